import type { Compilable, CompiledQuery, QueryResult } from 'kysely'
import type { Executor } from './schema.js'

const MARK = '\u0000linda-param\u0000'

type Slot = { name: string } | { value: unknown }

/**
 * A query of fixed shape, built and compiled once per dialect and then run with new
 * values: on SQLite, building and compiling a Kysely query costs more than running it.
 * `build` gets placeholders for the values; each must be passed as a whole value (never
 * inside a string, an array or JSON), which is checked when the query is first compiled.
 */
export function prepared<P extends Record<string, unknown>, R>(
  build: (db: Executor, params: P) => Compilable<R>,
): (db: Executor, params: P) => Promise<QueryResult<R>> {
  const byAdapter = new Map<unknown, { compiled: CompiledQuery<R>; slots: Slot[] }>()
  return (db, params) => {
    const adapter = db.getExecutor().adapter.constructor
    let entry = byAdapter.get(adapter)
    if (!entry) {
      const placeholders = new Proxy({} as P, { get: (_, name) => MARK + String(name) })
      const compiled = build(db, placeholders).compile()
      const slots = compiled.parameters.map((value): Slot => {
        if (typeof value === 'string' && value.includes(MARK)) {
          if (!value.startsWith(MARK)) throw new Error(`a placeholder was used inside a value`)
          return { name: value.slice(MARK.length) }
        }
        return { value }
      })
      entry = { compiled, slots }
      byAdapter.set(adapter, entry)
    }
    const parameters = entry.slots.map((slot) => ('name' in slot ? params[slot.name] : slot.value))
    return db.executeQuery<R>({ ...entry.compiled, parameters })
  }
}
