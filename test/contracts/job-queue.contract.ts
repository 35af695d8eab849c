// The JobQueue contract: one suite that every JobQueue adapter passes (BullMQ's adapter
// conformance style). Run it from an integration test with a factory for the adapter:
//
//   jobQueueContract('SqlJobQueue on sqlite', () => makeQueue('sqlite'))
//
// The factory gives a queue over a fresh, migrated database that nothing else uses, not yet
// started, with fast retries (a few ms of backoff) and a short poll interval; `close` stops the
// queue and releases the database.
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { nowIso, toJson, transaction, type Db } from '../../src/platform/db/index.js'
import { newId } from '../../src/platform/ids.js'
import {
  DelayError,
  UnrecoverableError,
  type Job,
  type JobInfo,
  type JobQueue,
  type JobState,
} from '../../src/platform/queue/index.js'
import { sleep } from '../../src/platform/sleep.js'

declare module '../../src/platform/queue/index.js' {
  interface JobRegistry {
    'test.echo': { n: number }
    'test.other': { text: string }
  }
}

export interface QueueUnderTest {
  queue: JobQueue
  db: Db
  close(): Promise<void>
}

/** Polls until `check` stops throwing; generous because PostgreSQL in CI can be slow. */
function until<T>(check: () => T | Promise<T>): Promise<T> {
  return vi.waitFor(check, { timeout: 10_000, interval: 10 })
}

async function stateOf(queue: JobQueue, id: string): Promise<JobInfo> {
  const info = await queue.get(id)
  if (!info) throw new Error(`job ${id} not found`)
  return info
}

/** Waits until job `id` is in `state` and returns it. */
function untilState(queue: JobQueue, id: string, state: JobState): Promise<JobInfo> {
  return until(async () => {
    const info = await stateOf(queue, id)
    expect(info.state).toBe(state)
    return info
  })
}

/** Waits until job `id` has finished successfully: completed jobs leave the queue. */
function untilDone(queue: JobQueue, id: string): Promise<void> {
  return until(async () => {
    expect(await queue.get(id)).toBeUndefined()
  })
}

interface Gate {
  promise: Promise<void>
  open(): void
}

/** A promise the test resolves by hand, to hold handlers at a known point. */
function gate(): Gate {
  let open!: () => void
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** How long to watch for something that must not happen: several poll intervals. */
const quietMs = 100

export function jobQueueContract(name: string, makeQueue: () => Promise<QueueUnderTest>): void {
  describe(name, () => {
    let queue: JobQueue
    let db: Db
    let close: (() => Promise<void>) | undefined

    beforeEach(async () => {
      ;({ queue, db, close } = await makeQueue())
    })

    afterEach(async () => {
      await close?.()
      close = undefined
    })

    describe('enqueue and work', () => {
      it('runs the handler with the typed data of the job', async () => {
        const seen: Array<Job<'test.echo'>> = []
        queue.work('test.echo', async (job) => {
          expectTypeOf(job.data).toEqualTypeOf<{ n: number }>()
          seen.push(job)
        })
        await queue.start()
        const id = await queue.enqueue('test.echo', { n: 42 })

        await untilDone(queue, id)
        expect(seen).toEqual([
          expect.objectContaining({ id, name: 'test.echo', data: { n: 42 }, attempt: 1 }),
        ])
      })

      it('runs jobs enqueued before start once it starts', async () => {
        const seen: number[] = []
        queue.work('test.echo', async (job) => {
          seen.push(job.data.n)
        })
        const id = await queue.enqueue('test.echo', { n: 1 })
        await sleep(quietMs)
        expect(seen).toEqual([])
        expect(queue.running).toBe(false)

        await queue.start()
        expect(queue.running).toBe(true)
        await untilDone(queue, id)
        expect(seen).toEqual([1])
      })

      it('hands each job only to the handler of its name', async () => {
        const echoes: unknown[] = []
        const others: unknown[] = []
        queue.work('test.echo', async (job) => {
          echoes.push(job.data)
        })
        queue.work('test.other', async (job) => {
          others.push(job.data)
        })
        await queue.start()
        const a = await queue.enqueue('test.echo', { n: 1 })
        const b = await queue.enqueue('test.other', { text: 'two' })
        await untilDone(queue, a)
        await untilDone(queue, b)
        expect(echoes).toEqual([{ n: 1 }])
        expect(others).toEqual([{ text: 'two' }])
      })

      it('keeps a job waiting, readable by id, until a worker takes it', async () => {
        const id = await queue.enqueue('test.echo', { n: 5 }, { priority: 3, maxAttempts: 2 })
        const info = await stateOf(queue, id)
        expect(info).toMatchObject({
          id,
          name: 'test.echo',
          state: 'pending',
          data: { n: 5 },
          attempts: 0,
          maxAttempts: 2,
          lastError: null,
          finishedAt: null,
        })
        expect(Date.parse(info.runAt)).not.toBeNaN()
        expect(Date.parse(info.createdAt)).not.toBeNaN()
      })

      it('defaults to five attempts', async () => {
        const id = await queue.enqueue('test.echo', { n: 1 })
        expect((await stateOf(queue, id)).maxAttempts).toBe(5)
      })

      it('refuses a second handler for the same job name', () => {
        queue.work('test.echo', async () => {})
        expect(() => queue.work('test.echo', async () => {})).toThrow(/already registered/)
      })

      it('gives undefined for an unknown job id', async () => {
        expect(await queue.get(newId())).toBeUndefined()
      })
    })

    describe('enqueue in a transaction', () => {
      it('drops the job when the transaction rolls back', async () => {
        const seen: number[] = []
        queue.work('test.echo', async (job) => {
          seen.push(job.data.n)
        })
        await queue.start()

        let rolledBack: string | undefined
        await expect(
          transaction(db, async (trx) => {
            rolledBack = await queue.enqueue('test.echo', { n: 1 }, {}, trx)
            throw new Error('business rule failed')
          }),
        ).rejects.toThrow('business rule failed')
        expect(rolledBack).toBeDefined()
        expect(await queue.get(rolledBack ?? '')).toBeUndefined()

        // A later job runs, and the rolled-back one never did.
        const marker = await queue.enqueue('test.echo', { n: 2 })
        await untilDone(queue, marker)
        expect(seen).toEqual([2])
        expect((await queue.counts()).pending).toBe(0)
      })

      it('runs the job only after the transaction commits', async () => {
        const seen: number[] = []
        queue.work('test.echo', async (job) => {
          seen.push(job.data.n)
        })
        await queue.start()

        const id = await transaction(db, async (trx) => {
          const id = await queue.enqueue('test.echo', { n: 7 }, {}, trx)
          await sleep(quietMs)
          expect(seen).toEqual([])
          return id
        })
        await untilDone(queue, id)
        expect(seen).toEqual([7])
      })
    })

    describe('delayed jobs', () => {
      it('does not run a job before its runAt, and runs it after', async () => {
        const ranAt: number[] = []
        queue.work('test.echo', async () => {
          ranAt.push(Date.now())
        })
        await queue.start()
        const runAt = new Date(Date.now() + 400)
        const id = await queue.enqueue('test.echo', { n: 1 }, { runAt })
        expect((await stateOf(queue, id)).runAt).toBe(runAt.toISOString())

        await sleep(100)
        expect(ranAt).toEqual([])
        expect((await stateOf(queue, id)).state).toBe('pending')

        await untilDone(queue, id)
        expect(ranAt).toHaveLength(1)
        expect(ranAt[0]).toBeGreaterThanOrEqual(runAt.getTime())
      })

      it('accepts runAt as an ISO string', async () => {
        const ranAt: number[] = []
        queue.work('test.echo', async () => {
          ranAt.push(Date.now())
        })
        await queue.start()
        const runAt = new Date(Date.now() + 50).toISOString()
        const id = await queue.enqueue('test.echo', { n: 1 }, { runAt })
        await untilDone(queue, id)
        expect(ranAt[0]).toBeGreaterThanOrEqual(Date.parse(runAt))
      })

      it('runs a due job while a later one waits', async () => {
        const seen: number[] = []
        queue.work('test.echo', async (job) => {
          seen.push(job.data.n)
        })
        await queue.start()
        const later = await queue.enqueue(
          'test.echo',
          { n: 2 },
          { runAt: new Date(Date.now() + 60_000) },
        )
        const now = await queue.enqueue('test.echo', { n: 1 })
        await untilDone(queue, now)
        expect(seen).toEqual([1])
        expect((await stateOf(queue, later)).state).toBe('pending')
      })
    })

    describe('failures', () => {
      it('retries a failing job with backoff and keeps it as a dead letter after maxAttempts', async () => {
        const attempts: number[] = []
        const failedAt: number[] = []
        const retryInfo: JobInfo[] = []
        queue.work('test.echo', async (job) => {
          attempts.push(job.attempt)
          expect(job.maxAttempts).toBe(3)
          if (job.attempt > 1) retryInfo.push(await stateOf(queue, job.id))
          failedAt.push(Date.now())
          throw new Error(`boom ${job.attempt}`)
        })
        await queue.start()
        const id = await queue.enqueue('test.echo', { n: 1 }, { maxAttempts: 3 })

        const info = await untilState(queue, id, 'dead')
        expect(attempts).toEqual([1, 2, 3])
        expect(info).toMatchObject({ attempts: 3, maxAttempts: 3, lastError: 'boom 3' })
        expect(info.finishedAt).not.toBeNull()
        // Each retry was scheduled after the failure before it, with the error kept.
        expect(retryInfo.map((r) => r.lastError)).toEqual(['boom 1', 'boom 2'])
        retryInfo.forEach((retry, i) => {
          expect(Date.parse(retry.runAt)).toBeGreaterThan(failedAt[i] ?? Infinity)
        })
        await sleep(quietMs)
        expect(attempts).toHaveLength(3)
      })

      it('completes a job that succeeds on a retry', async () => {
        const attempts: number[] = []
        queue.work('test.echo', async (job) => {
          attempts.push(job.attempt)
          if (job.attempt < 2) throw new Error('flaky')
        })
        await queue.start()
        const id = await queue.enqueue('test.echo', { n: 1 }, { maxAttempts: 5 })
        await untilDone(queue, id)
        expect(attempts).toEqual([1, 2])
      })

      it('records what a handler threw when it is not an Error', async () => {
        queue.work('test.echo', async () => {
          throw 'plain string failure'
        })
        await queue.start()
        const id = await queue.enqueue('test.echo', { n: 1 }, { maxAttempts: 1 })
        expect((await untilState(queue, id, 'dead')).lastError).toBe('plain string failure')
      })

      it('keeps a job as a dead letter at once on UnrecoverableError', async () => {
        const attempts: number[] = []
        queue.work('test.echo', async (job) => {
          attempts.push(job.attempt)
          throw new UnrecoverableError('payload refers to a deleted account')
        })
        await queue.start()
        const id = await queue.enqueue('test.echo', { n: 1 }, { maxAttempts: 5 })

        const info = await untilState(queue, id, 'dead')
        expect(info).toMatchObject({
          attempts: 1,
          lastError: 'payload refers to a deleted account',
        })
        await sleep(quietMs)
        expect(attempts).toEqual([1])
      })

      it('runs a job again after a DelayError without using up an attempt', async () => {
        const attempts: number[] = []
        const delayedAt: number[] = []
        const startedAt: number[] = []
        queue.work('test.echo', async (job) => {
          attempts.push(job.attempt)
          startedAt.push(Date.now())
          if (attempts.length <= 2) {
            delayedAt.push(Date.now())
            throw new DelayError(60)
          }
        })
        await queue.start()
        // One attempt only: were a delay counted as one, the job would go dead.
        const id = await queue.enqueue('test.echo', { n: 1 }, { maxAttempts: 1 })

        await untilDone(queue, id)
        expect(attempts).toEqual([1, 1, 1])
        // Not before the requested delay.
        expect(startedAt[1]).toBeGreaterThanOrEqual((delayedAt[0] ?? Infinity) + 60)
        expect(startedAt[2]).toBeGreaterThanOrEqual((delayedAt[1] ?? Infinity) + 60)
      })
    })

    describe('concurrency', () => {
      async function peakOf(concurrency: number | undefined, jobs: number): Promise<number> {
        let active = 0
        let peak = 0
        queue.work(
          'test.echo',
          async () => {
            active++
            peak = Math.max(peak, active)
            await sleep(20)
            active--
          },
          concurrency === undefined ? {} : { concurrency },
        )
        const ids: string[] = []
        for (let n = 0; n < jobs; n++) ids.push(await queue.enqueue('test.echo', { n }))
        await queue.start()
        for (const id of ids) await untilDone(queue, id)
        return peak
      }

      it('never runs more handlers at once than the concurrency, and does use it', async () => {
        expect(await peakOf(3, 10)).toBe(3)
      })

      it('runs one job at a time by default', async () => {
        expect(await peakOf(undefined, 4)).toBe(1)
      })
    })

    describe('runHere', () => {
      it('runs a job enqueued with runHere once, with its data', async () => {
        const seen: Array<Job<'test.echo'>> = []
        queue.work('test.echo', async (job) => {
          seen.push(job)
        })
        await queue.start()
        const id = await queue.enqueue('test.echo', { n: 3 }, { runHere: true })
        await untilDone(queue, id)
        await sleep(quietMs)
        expect(seen).toEqual([expect.objectContaining({ id, data: { n: 3 }, attempt: 1 })])
      })

      it('runs a runHere job only once its transaction commits, and never after a rollback', async () => {
        const seen: number[] = []
        queue.work('test.echo', async (job) => {
          seen.push(job.data.n)
        })
        await queue.start()
        await expect(
          transaction(db, async (trx) => {
            await queue.enqueue('test.echo', { n: 1 }, { runHere: true }, trx)
            throw new Error('rolled back')
          }),
        ).rejects.toThrow('rolled back')
        const id = await transaction(db, async (trx) => {
          const id = await queue.enqueue('test.echo', { n: 2 }, { runHere: true }, trx)
          await sleep(quietMs)
          expect(seen).toEqual([])
          return id
        })
        await untilDone(queue, id)
        await sleep(quietMs)
        expect(seen).toEqual([2])
      })

      it('keeps to the concurrency limit with runHere jobs', async () => {
        let active = 0
        let peak = 0
        const seen: number[] = []
        queue.work(
          'test.echo',
          async (job) => {
            active++
            peak = Math.max(peak, active)
            await sleep(10)
            seen.push(job.data.n)
            active--
          },
          { concurrency: 2 },
        )
        await queue.start()
        const ids: string[] = []
        for (let n = 0; n < 6; n++) {
          ids.push(await queue.enqueue('test.echo', { n }, { runHere: true }))
        }
        for (const id of ids) await untilDone(queue, id)
        expect(peak).toBeLessThanOrEqual(2)
        expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5])
      })

      it('runs each runHere job once across a stop and a start', async () => {
        const runs = new Map<number, number>()
        queue.work('test.echo', async (job) => {
          runs.set(job.data.n, (runs.get(job.data.n) ?? 0) + 1)
          await sleep(20)
        })
        await queue.start()
        const ids: string[] = []
        for (let n = 0; n < 4; n++) {
          ids.push(await queue.enqueue('test.echo', { n }, { runHere: true }))
        }
        await queue.stop(5000)
        const left = (await queue.counts()).pending
        expect(left).toBeGreaterThan(0)
        expect(runs.size).toBe(4 - left)

        await queue.start()
        for (const id of ids) await untilDone(queue, id)
        await sleep(quietMs)
        expect(Object.fromEntries(runs)).toEqual({ 0: 1, 1: 1, 2: 1, 3: 1 })
      })

      it('still waits for runAt', async () => {
        const ranAt: number[] = []
        queue.work('test.echo', async () => {
          ranAt.push(Date.now())
        })
        await queue.start()
        const runAt = new Date(Date.now() + 200)
        const id = await queue.enqueue('test.echo', { n: 1 }, { runAt, runHere: true })
        expect((await stateOf(queue, id)).state).toBe('pending')
        await untilDone(queue, id)
        expect(ranAt[0]).toBeGreaterThanOrEqual(runAt.getTime())
      })

      it('runs a runHere job enqueued while stopped once the queue starts', async () => {
        const seen: number[] = []
        queue.work('test.echo', async (job) => {
          seen.push(job.data.n)
        })
        const id = await queue.enqueue('test.echo', { n: 1 }, { runHere: true })
        expect((await stateOf(queue, id)).state).toBe('pending')
        await queue.start()
        await untilDone(queue, id)
        expect(seen).toEqual([1])
      })
    })

    describe('groups', () => {
      /** Runs `jobs` (group, n) through a worker of concurrency 4; returns what it saw. */
      function watchGroups(options: { failFirst?: Set<number>; failAlways?: Set<number> } = {}) {
        const order = new Map<string, number[]>()
        const active = new Map<string, number>()
        let overlap = 0
        let running = 0
        let peak = 0
        const attempts = new Map<number, number>()
        queue.work(
          'test.echo',
          async (job) => {
            const group = `g${job.data.n % 3}`
            const inGroup = (active.get(group) ?? 0) + 1
            active.set(group, inGroup)
            if (inGroup > 1) overlap++
            running++
            peak = Math.max(peak, running)
            try {
              await sleep(5)
              const attempt = (attempts.get(job.data.n) ?? 0) + 1
              attempts.set(job.data.n, attempt)
              if (options.failAlways?.has(job.data.n)) throw new Error('always fails')
              if (attempt === 1 && options.failFirst?.has(job.data.n))
                throw new Error('first fails')
              order.set(group, [...(order.get(group) ?? []), job.data.n])
            } finally {
              running--
              active.set(group, (active.get(group) ?? 1) - 1)
            }
          },
          { concurrency: 4 },
        )
        return {
          order,
          overlap: () => overlap,
          peak: () => peak,
        }
      }

      /** Enqueues jobs 0…count-1 one after another (concurrent enqueues have no order). */
      async function enqueueAll(
        count: number,
        runHere: boolean,
        maxAttempts?: number,
      ): Promise<string[]> {
        const ids: string[] = []
        for (let n = 0; n < count; n++) {
          const options = { group: `g${n % 3}`, runHere, ...(maxAttempts ? { maxAttempts } : {}) }
          ids.push(await queue.enqueue('test.echo', { n }, options))
        }
        return ids
      }

      for (const runHere of [false, true]) {
        it(`runs a group's jobs one at a time in order, groups side by side${runHere ? ' (runHere)' : ''}`, async () => {
          const seen = watchGroups()
          await queue.start()
          const ids = await enqueueAll(15, runHere)
          for (const id of ids) await untilDone(queue, id)
          expect(seen.overlap()).toBe(0)
          expect(seen.peak()).toBeGreaterThan(1)
          expect(Object.fromEntries(seen.order)).toEqual({
            g0: [0, 3, 6, 9, 12],
            g1: [1, 4, 7, 10, 13],
            g2: [2, 5, 8, 11, 14],
          })
        })
      }

      it('holds a group while its job waits for a retry', async () => {
        const seen = watchGroups({ failFirst: new Set([3]) })
        await queue.start()
        const ids = await enqueueAll(9, true)
        for (const id of ids) await untilDone(queue, id)
        expect(seen.overlap()).toBe(0)
        expect(seen.order.get('g0')).toEqual([0, 3, 6])
      })

      it('lets a group go on past a dead letter', async () => {
        const seen = watchGroups({ failAlways: new Set([3]) })
        await queue.start()
        const ids = await enqueueAll(9, true, 2)
        await untilState(queue, ids[3]!, 'dead')
        for (const id of ids.filter((_, n) => n !== 3)) await untilDone(queue, id)
        expect(seen.order.get('g0')).toEqual([0, 6])
      })

      it('is not held up by a grouped job whose transaction rolled back', async () => {
        const seen = watchGroups()
        await queue.start()
        await expect(
          transaction(db, async (trx) => {
            await queue.enqueue('test.echo', { n: 0 }, { group: 'g0', runHere: true }, trx)
            throw new Error('rolled back')
          }),
        ).rejects.toThrow('rolled back')
        const id = await queue.enqueue('test.echo', { n: 3 }, { group: 'g0', runHere: true })
        await untilDone(queue, id)
        expect(seen.order.get('g0')).toEqual([3])
      })

      it('keeps the order of a group across a stop and a start', async () => {
        const seen = watchGroups()
        await queue.start()
        const ids = await enqueueAll(12, true)
        await queue.stop(5000)
        await queue.start()
        for (const id of ids) await untilDone(queue, id)
        expect(seen.overlap()).toBe(0)
        expect(seen.order.get('g1')).toEqual([1, 4, 7, 10])
      })
    })

    describe('ordering', () => {
      it('runs higher priority jobs first', async () => {
        const order: number[] = []
        queue.work('test.echo', async (job) => {
          order.push(job.data.n)
        })
        const ids = [
          await queue.enqueue('test.echo', { n: 0 }),
          await queue.enqueue('test.echo', { n: 10 }, { priority: 10 }),
          await queue.enqueue('test.echo', { n: -5 }, { priority: -5 }),
          await queue.enqueue('test.echo', { n: 5 }, { priority: 5 }),
        ]
        await queue.start()
        for (const id of ids) await untilDone(queue, id)
        expect(order).toEqual([10, 5, 0, -5])
      })

      it('runs jobs of equal priority in the order they were enqueued', async () => {
        const order: number[] = []
        queue.work('test.echo', async (job) => {
          order.push(job.data.n)
        })
        const ids: string[] = []
        for (let n = 0; n < 6; n++) ids.push(await queue.enqueue('test.echo', { n }))
        await queue.start()
        for (const id of ids) await untilDone(queue, id)
        expect(order).toEqual([0, 1, 2, 3, 4, 5])
      })
    })

    describe('dedupe keys', () => {
      it('returns the same job while it is pending', async () => {
        const first = await queue.enqueue('test.echo', { n: 1 }, { dedupeKey: 'contact-9' })
        const again = await queue.enqueue('test.echo', { n: 2 }, { dedupeKey: 'contact-9' })
        const other = await queue.enqueue('test.echo', { n: 3 }, { dedupeKey: 'contact-10' })
        expect(again).toBe(first)
        expect(other).not.toBe(first)
        expect((await stateOf(queue, first)).data).toEqual({ n: 1 })
        expect((await queue.counts()).pending).toBe(2)
      })

      it('returns the same job while it is running', async () => {
        const running = gate()
        const release = gate()
        queue.work('test.echo', async () => {
          running.open()
          await release.promise
        })
        await queue.start()
        const first = await queue.enqueue('test.echo', { n: 1 }, { dedupeKey: 'k' })
        await running.promise
        expect(await queue.enqueue('test.echo', { n: 2 }, { dedupeKey: 'k' })).toBe(first)
        release.open()
        await untilDone(queue, first)
      })

      it('scopes a dedupe key to its job name', async () => {
        const echo = await queue.enqueue('test.echo', { n: 1 }, { dedupeKey: 'same' })
        const other = await queue.enqueue('test.other', { text: 'x' }, { dedupeKey: 'same' })
        expect(other).not.toBe(echo)
      })

      it('makes a new job once the previous one with the key has finished', async () => {
        queue.work('test.echo', async () => {})
        await queue.start()
        const first = await queue.enqueue('test.echo', { n: 1 }, { dedupeKey: 'k' })
        await untilDone(queue, first)
        const second = await queue.enqueue('test.echo', { n: 2 }, { dedupeKey: 'k' })
        expect(second).not.toBe(first)
        await untilDone(queue, second)
      })
    })

    describe('stop', () => {
      it('waits for a running handler to finish', async () => {
        const running = gate()
        let finished = false
        let aborted = false
        queue.work('test.echo', async (_job, signal) => {
          running.open()
          await sleep(100)
          aborted = signal.aborted
          finished = true
        })
        await queue.start()
        const id = await queue.enqueue('test.echo', { n: 1 })
        await running.promise

        await queue.stop(10_000)
        expect(finished).toBe(true)
        expect(aborted).toBe(false)
        expect(queue.running).toBe(false)
        expect(await queue.get(id)).toBeUndefined()
      })

      it('takes no new jobs once stopped', async () => {
        const seen: number[] = []
        queue.work('test.echo', async (job) => {
          seen.push(job.data.n)
        })
        await queue.start()
        await queue.stop()
        const id = await queue.enqueue('test.echo', { n: 1 })
        await sleep(quietMs)
        expect(seen).toEqual([])
        expect((await stateOf(queue, id)).state).toBe('pending')
      })

      it('aborts the signal of a handler still running at the timeout, and keeps the job for the next start', async () => {
        const running = gate()
        const reasons: unknown[] = []
        const attempts: number[] = []
        queue.work('test.echo', async (job, signal) => {
          attempts.push(job.attempt)
          if (job.attempt > 1) return
          running.open()
          await new Promise<void>((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              reasons.push(signal.reason)
              reject(signal.reason as Error)
            })
          })
        })
        await queue.start()
        const id = await queue.enqueue('test.echo', { n: 1 }, { maxAttempts: 3 })
        await running.promise

        await queue.stop(30)
        expect(reasons).toHaveLength(1)
        const info = await stateOf(queue, id)
        expect(info.state).toBe('pending')
        expect(attempts).toEqual([1])

        await queue.start()
        await untilDone(queue, id)
        expect(attempts).toEqual([1, 2])
      })
    })

    describe('recovery', () => {
      it('picks up a job left active by a crashed process on the next start', async () => {
        // What a process that died mid-job leaves behind: claimed, attempt 1, lock still held.
        const id = newId()
        const now = nowIso()
        await db
          .insertInto('jobs')
          .values({
            id,
            queue: 'test.echo',
            payload: toJson({ n: 99 }),
            state: 'active',
            priority: 0,
            run_at: now,
            attempts: 1,
            max_attempts: 5,
            dedupe_key: null,
            locked_until: new Date(Date.now() + 5 * 60_000).toISOString(),
            created_at: now,
            updated_at: now,
          })
          .execute()
        expect((await queue.counts()).active).toBe(1)

        const seen: Array<Job<'test.echo'>> = []
        queue.work('test.echo', async (job) => {
          seen.push(job)
        })
        await queue.start()
        await untilDone(queue, id)
        expect(seen).toEqual([expect.objectContaining({ id, data: { n: 99 }, attempt: 2 })])
      })
    })

    describe('counts', () => {
      it('is zero for every state on an empty queue', async () => {
        expect(await queue.counts()).toEqual({ pending: 0, active: 0, dead: 0 })
      })

      it('counts the jobs in each state', async () => {
        const running = gate()
        const release = gate()
        queue.work('test.echo', async (job) => {
          if (job.data.n === 1) return
          if (job.data.n === 2) throw new UnrecoverableError('no')
          running.open()
          await release.promise
        })
        await queue.start()
        const done = await queue.enqueue('test.echo', { n: 1 })
        const dead = await queue.enqueue('test.echo', { n: 2 })
        await untilDone(queue, done)
        await untilState(queue, dead, 'dead')
        const held = await queue.enqueue('test.echo', { n: 3 })
        await running.promise
        await queue.enqueue('test.echo', { n: 4 }, { runAt: new Date(Date.now() + 60_000) })
        await queue.enqueue('test.other', { text: 'no worker' })

        expect(await queue.counts()).toEqual({ pending: 2, active: 1, dead: 1 })
        release.open()
        await untilDone(queue, held)
        expect(await queue.counts()).toEqual({ pending: 2, active: 0, dead: 1 })
      })
    })
  })
}
