import type { Db, Executor, Trx } from './schema.js'

const afterCommitHooks = new WeakMap<object, Array<() => void>>()

/**
 * Runs `fn` in a transaction, then the callbacks registered with `afterCommit` once it
 * has committed (none if it rolled back). The queue uses this to wake its workers only
 * when the jobs they would look for are visible.
 */
export async function transaction<T>(db: Db, fn: (trx: Trx) => Promise<T>): Promise<T> {
  const hooks: Array<() => void> = []
  const result = await db.transaction().execute(async (trx) => {
    afterCommitHooks.set(trx, hooks)
    return fn(trx)
  })
  for (const hook of hooks) hook()
  return result
}

/**
 * Runs `hook` after the transaction `executor` belongs to commits, or at once when the
 * executor is not a transaction opened by `transaction`.
 */
export function afterCommit(executor: Executor, hook: () => void): void {
  const hooks = afterCommitHooks.get(executor)
  if (hooks) hooks.push(hook)
  else hook()
}
