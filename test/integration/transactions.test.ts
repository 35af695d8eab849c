// transaction() and groupWrite(): on SQLite, concurrent transactions share one commit, yet
// each succeeds or fails alone; on PostgreSQL they are ordinary transactions. Same contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import {
  afterCommit,
  groupWrite,
  migrateToLatest,
  openDb,
  transaction,
  type DbHandle,
} from '../../src/platform/db/index.js'
import { freshDataDir, freshPostgresUrl, testDialects } from '../helpers/databases.js'

describe.each(testDialects())('transactions on %s', (dialect) => {
  let handle: DbHandle

  beforeAll(async () => {
    handle =
      dialect === 'postgres'
        ? await openDb({ databaseUrl: await freshPostgresUrl(), sqlitePath: '' })
        : await openDb({ sqlitePath: join(await freshDataDir(), 'linda.db') })
    await migrateToLatest(handle.db)
  })

  afterAll(async () => {
    await handle?.close()
  })

  const put = (key: string) => (trx: typeof handle.db) =>
    trx
      .insertInto('instance_settings')
      .values({ key, value: '1', updated_at: new Date().toISOString() })
      .execute()

  const keys = async (prefix: string) =>
    (
      await handle.db
        .selectFrom('instance_settings')
        .select('key')
        .where('key', 'like', `${prefix}%`)
        .orderBy('key')
        .execute()
    ).map((r) => r.key)

  it('commits concurrent transactions, rolling back only the one that fails', async () => {
    const hooks: string[] = []
    const results = await Promise.allSettled(
      ['t:a', 't:b', 't:c'].map((key) =>
        transaction(handle.db, async (trx) => {
          await put(key)(trx)
          afterCommit(trx, () => hooks.push(key))
          if (key === 't:b') throw new Error('b fails')
          await put(`${key}2`)(trx)
        }),
      ),
    )
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(await keys('t:')).toEqual(['t:a', 't:a2', 't:c', 't:c2'])
    // After-commit hooks run for the committed ones only.
    expect(hooks.sort()).toEqual(['t:a', 't:c'])
  })

  it('isolates a failing single write from the others written with it', async () => {
    await put('w:dup')(handle.db)
    const results = await Promise.allSettled(
      ['w:x', 'w:dup', 'w:y'].map((key) => groupWrite(handle.db, (db) => put(key)(db))),
    )
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(await keys('w:')).toEqual(['w:dup', 'w:x', 'w:y'])
  })
})
