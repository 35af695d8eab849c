// The JobQueue contract for the SQL queue, on every test dialect, plus what only the SQL
// queue promises: how a shared (cluster) queue takes over jobs from other workers.
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  migrateToLatest,
  nowIso,
  openDb,
  toJson,
  type Db,
  type DbHandle,
} from '../../src/platform/db/index.js'
import { newId } from '../../src/platform/ids.js'
import { createLogger } from '../../src/platform/logging.js'
import { SqlJobQueue, type SqlQueueOptions } from '../../src/platform/queue/index.js'
import { sleep } from '../../src/platform/sleep.js'
import { jobQueueContract, type QueueUnderTest } from '../contracts/job-queue.contract.js'
import {
  cleanupTestDirs,
  freshDataDir,
  freshPostgresUrl,
  testDialects,
  type TestDialect,
} from '../helpers/databases.js'

const logger = createLogger('silent')

let postgresUrl: Promise<string> | undefined

/** One migrated PostgreSQL database for the file: creating one per test is the slow part. */
function migratedPostgresUrl(): Promise<string> {
  postgresUrl ??= (async () => {
    const url = await freshPostgresUrl()
    const handle = await openDb({ databaseUrl: url, sqlitePath: '' })
    try {
      await migrateToLatest(handle.db)
    } finally {
      await handle.close()
    }
    return url
  })()
  return postgresUrl
}

/**
 * A SqlJobQueue, not yet started, over a migrated database of `dialect` with an empty jobs
 * table: a new SQLite file, or the file's PostgreSQL database emptied (tests run one by one).
 */
async function makeSqlQueue(
  dialect: TestDialect,
  options: Partial<SqlQueueOptions> = {},
): Promise<QueueUnderTest> {
  let handle: DbHandle
  if (dialect === 'postgres') {
    handle = await openDb({ databaseUrl: await migratedPostgresUrl(), sqlitePath: '' })
    await handle.db.deleteFrom('jobs').execute()
  } else {
    handle = await openDb({ sqlitePath: join(await freshDataDir(), 'linda.db') })
    await migrateToLatest(handle.db)
  }
  const queue = new SqlJobQueue({
    db: handle.db,
    dialect: handle.dialect,
    logger,
    pollIntervalMs: 20,
    retryBaseMs: 5,
    // The test owns this database alone, as an embedded Linda owns its SQLite file.
    exclusive: true,
    ...options,
  })
  return {
    queue,
    db: handle.db,
    async close() {
      await queue.stop(1000)
      await handle.close()
    },
  }
}

/** Writes the row a worker leaves behind when it dies while running a job. */
async function insertActiveJob(db: Db, lockedUntil: Date): Promise<string> {
  const id = newId()
  const now = nowIso()
  await db
    .insertInto('jobs')
    .values({
      id,
      queue: 'test.echo',
      payload: toJson({ n: 1 }),
      state: 'active',
      priority: 0,
      run_at: now,
      attempts: 1,
      max_attempts: 5,
      dedupe_key: null,
      locked_until: lockedUntil.toISOString(),
      created_at: now,
      updated_at: now,
    })
    .execute()
  return id
}

afterAll(async () => {
  await cleanupTestDirs()
})

for (const dialect of testDialects()) {
  jobQueueContract(`SqlJobQueue on ${dialect}`, () => makeSqlQueue(dialect))

  describe(`SqlJobQueue on ${dialect}, shared with other workers`, () => {
    let subject: QueueUnderTest | undefined

    afterEach(async () => {
      await subject?.close()
      subject = undefined
    })

    it('leaves a job whose lock another worker still holds', async () => {
      subject = await makeSqlQueue(dialect, { exclusive: false })
      const { queue, db } = subject
      const id = await insertActiveJob(db, new Date(Date.now() + 60_000))
      const seen: string[] = []
      queue.work('test.echo', async (job) => {
        seen.push(job.id)
      })
      await queue.start()
      await sleep(150)
      expect(seen).toEqual([])
      expect((await queue.get(id))?.state).toBe('active')
    })

    it('takes over a job whose lock has expired', async () => {
      subject = await makeSqlQueue(dialect, { exclusive: false })
      const { queue, db } = subject
      const id = await insertActiveJob(db, new Date(Date.now() - 1000))
      const attempts: number[] = []
      queue.work('test.echo', async (job) => {
        attempts.push(job.attempt)
      })
      await queue.start()
      await expect
        .poll(async () => await queue.get(id), { timeout: 10_000, interval: 10 })
        .toBeUndefined()
      expect(attempts).toEqual([2])
    })

    it('runs each job once when two workers share the table', async () => {
      subject = await makeSqlQueue(dialect, { exclusive: false })
      const { queue: first, db } = subject
      const second = new SqlJobQueue({
        db,
        dialect,
        logger,
        pollIntervalMs: 20,
        retryBaseMs: 5,
      })
      const runs = new Map<number, number>()
      const handler = async (job: { data: { n: number } }) => {
        runs.set(job.data.n, (runs.get(job.data.n) ?? 0) + 1)
        await sleep(2)
      }
      first.work('test.echo', handler, { concurrency: 4 })
      second.work('test.echo', handler, { concurrency: 4 })
      await Promise.all([first.start(), second.start()])
      try {
        for (let n = 0; n < 40; n++) await first.enqueue('test.echo', { n })
        await expect.poll(() => runs.size, { timeout: 10_000, interval: 20 }).toBe(40)
        await expect
          .poll(async () => await first.counts(), { timeout: 10_000, interval: 20 })
          .toEqual({ pending: 0, active: 0, dead: 0 })
      } finally {
        await second.stop(1000)
      }
      expect([...runs.values()].every((count) => count === 1)).toBe(true)
      expect(runs.size).toBe(40)
    })
  })
}
