import { CompiledQuery, SqliteAdapter } from 'kysely'
import type { Db, Executor, Trx } from './schema.js'

interface Hooks {
  commit: Array<() => void>
  rollback: Array<() => void>
}

const transactionHooks = new WeakMap<object, Hooks>()

function runAll(hooks: Array<() => void>): void {
  for (const hook of hooks) hook()
}

interface GroupItem {
  fn: (trx: Trx) => Promise<unknown>
  /** One statement: atomic by itself, so it needs no savepoint. */
  single: boolean
  hooks: Hooks
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown }
}

const savepoint = CompiledQuery.raw('savepoint linda_group')
const release = CompiledQuery.raw('release linda_group')
const rollbackTo = CompiledQuery.raw('rollback to linda_group')

/** Transactions per commit at most, to bound how long one waits for the others. */
const GROUP_LIMIT = 64

/**
 * Group commit for SQLite: its one connection runs one transaction at a time, and every
 * commit pays for writing the WAL. Transactions that arrive while one is open run in the
 * same SQLite transaction, each inside its own savepoint (a failure rolls back only its
 * own work), and are committed together.
 */
class GroupCommitter {
  private readonly queue: GroupItem[] = []
  private running = false

  constructor(private readonly db: Db) {}

  run<T>(fn: (trx: Trx) => Promise<T>, single = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        fn,
        single,
        hooks: { commit: [], rollback: [] },
        resolve: resolve as (v: unknown) => void,
        reject,
      })
      if (!this.running) void this.drain()
    })
  }

  private async drain(): Promise<void> {
    this.running = true
    try {
      while (this.queue.length > 0) {
        const batch: GroupItem[] = []
        try {
          await this.db.transaction().execute(async (trx) => {
            while (this.queue.length > 0 && batch.length < GROUP_LIMIT) {
              const item = this.queue.shift()!
              batch.push(item)
              transactionHooks.set(trx, item.hooks)
              if (item.single) {
                // A failing statement undoes only itself; the batch goes on.
                try {
                  item.outcome = { ok: true, value: await item.fn(trx) }
                } catch (error) {
                  item.outcome = { ok: false, error }
                }
                continue
              }
              await trx.executeQuery(savepoint)
              try {
                item.outcome = { ok: true, value: await item.fn(trx) }
                await trx.executeQuery(release)
              } catch (error) {
                item.outcome = { ok: false, error }
                await trx.executeQuery(rollbackTo)
                await trx.executeQuery(release)
              }
            }
          })
        } catch (error) {
          for (const item of batch) {
            item.reject(error)
            runAll(item.hooks.rollback)
          }
          continue
        }
        for (const item of batch) {
          if (item.outcome?.ok) {
            item.resolve(item.outcome.value)
            runAll(item.hooks.commit)
          } else {
            item.reject(item.outcome?.error)
            runAll(item.hooks.rollback)
          }
        }
      }
    } finally {
      this.running = false
    }
  }
}

const committers = new WeakMap<Db, GroupCommitter | null>()

function committerFor(db: Db): GroupCommitter | null {
  let committer = committers.get(db)
  if (committer === undefined) {
    committer = db.getExecutor().adapter instanceof SqliteAdapter ? new GroupCommitter(db) : null
    committers.set(db, committer)
  }
  return committer
}

/**
 * Runs `fn` in a transaction, then the callbacks registered with `afterCommit` once it
 * has committed (none if it rolled back). On SQLite, transactions are group-committed.
 * Inside `fn`, use only `trx`: the db itself waits for the transaction to end.
 */
export async function transaction<T>(db: Db, fn: (trx: Trx) => Promise<T>): Promise<T> {
  const committer = committerFor(db)
  if (committer) return committer.run(fn)
  const hooks: Hooks = { commit: [], rollback: [] }
  let result: T
  try {
    result = await db.transaction().execute(async (trx) => {
      transactionHooks.set(trx, hooks)
      return fn(trx)
    })
  } catch (err) {
    runAll(hooks.rollback)
    throw err
  }
  runAll(hooks.commit)
  return result
}

/**
 * Runs one write statement, group-committed with other writes on SQLite (on PostgreSQL it
 * runs as it is). `fn` must issue exactly one statement.
 */
export async function groupWrite<T>(db: Db, fn: (executor: Executor) => Promise<T>): Promise<T> {
  const committer = committerFor(db)
  return committer ? committer.run(fn, true) : fn(db)
}

/**
 * Runs `hook` after the transaction `executor` belongs to commits, or at once when the
 * executor is not a transaction opened by `transaction`.
 */
export function afterCommit(executor: Executor, hook: () => void): void {
  const hooks = transactionHooks.get(executor)
  if (hooks) hooks.commit.push(hook)
  else hook()
}

/**
 * Runs `hook` if the transaction `executor` belongs to rolls back (on SQLite: if the
 * caller's own part of a group commit does). Never runs outside a `transaction`.
 */
export function afterRollback(executor: Executor, hook: () => void): void {
  transactionHooks.get(executor)?.rollback.push(hook)
}
