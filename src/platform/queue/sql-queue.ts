import { sql, type Selectable } from 'kysely'
import type { Logger } from '../logging.js'
import {
  afterCommit,
  afterRollback,
  fromJson,
  nowIso,
  prepared,
  toJson,
  type Db,
  type Executor,
} from '../db/index.js'
import type { JobsTable } from '../db/schema.js'
import { newId } from '../ids.js'
import {
  backoffDelay,
  DelayError,
  jobStates,
  UnrecoverableError,
  type EnqueueOptions,
  type Job,
  type JobHandler,
  type JobInfo,
  type JobName,
  type JobQueue,
  type JobRegistry,
  type JobState,
  type WorkOptions,
} from './port.js'

export interface SqlQueueOptions {
  db: Db
  dialect: 'sqlite' | 'postgres'
  logger: Logger
  /** How often idle workers look for due jobs they were not woken for; default 1000 ms. */
  pollIntervalMs?: number
  /** How long a claimed job is held before another worker may take it over; default 5 min. */
  lockMs?: number
  /** Backoff base for retries; default 1000 ms. */
  retryBaseMs?: number
  /** This process is the only one using the jobs table (embedded mode). */
  exclusive?: boolean
  /** Called after every finished attempt, for metrics. */
  onSettled?: (name: string, outcome: 'completed' | 'retry' | 'dead', ms: number) => void
}

interface Worker {
  name: string
  handler: JobHandler<JobName>
  concurrency: number
  active: number
  claiming: boolean
  /** The claim under way, if any: `stop` waits for it so that no job it takes goes unseen. */
  claimDone: Promise<void> | undefined
  again: boolean
  wakePending: boolean
  /** Jobs claimed at enqueue (runHere), waiting for a free slot. */
  held: Row[]
  /** Jobs may be due in the table: false once a claim found fewer than it asked for. */
  backlog: boolean
  timer: NodeJS.Timeout | undefined
}

type Row = Pick<
  Selectable<JobsTable>,
  | 'id'
  | 'queue'
  | 'payload'
  | 'attempts'
  | 'max_attempts'
  | 'created_at'
  | 'priority'
  | 'run_at'
  | 'group_key'
>

/** Enqueueing is the hot path of every message: its insert is compiled once. */
const insertJob = prepared(
  (
    db,
    p: {
      id: string
      queue: string
      payload: string
      state: 'pending' | 'active'
      priority: number
      runAt: string
      attempts: number
      maxAttempts: number
      dedupeKey: string | null
      groupKey: string | null
      lockedUntil: string | null
      now: string
    },
  ) =>
    db
      .insertInto('jobs')
      .values({
        id: p.id,
        queue: p.queue,
        payload: p.payload,
        state: p.state,
        priority: p.priority,
        run_at: p.runAt,
        attempts: p.attempts,
        max_attempts: p.maxAttempts,
        dedupe_key: p.dedupeKey,
        group_key: p.groupKey,
        locked_until: p.lockedUntil,
        created_at: p.now,
        updated_at: p.now,
      })
      .onConflict((oc) =>
        oc
          .columns(['queue', 'dedupe_key'])
          // Must repeat the partial index's predicate word for word (SQLite matches it as text).
          .where(sql<boolean>`state in ('pending', 'active') and dedupe_key is not null`)
          .doNothing(),
      )
      .returning('id'),
)

/**
 * The local durable job queue: jobs live in the `jobs` table of Linda's own database, so
 * enqueueing takes part in the caller's transaction. Workers are woken in-process the
 * moment a job commits, and poll for delayed jobs and for jobs written by other processes.
 */
export class SqlJobQueue implements JobQueue {
  private readonly workers = new Map<string, Worker>()
  private readonly inFlight = new Map<string, { done: Promise<void>; abort: AbortController }>()
  private housekeeping: NodeJS.Timeout | undefined
  private stopping = false
  private started = false
  private readonly pollIntervalMs: number
  private readonly lockMs: number
  private readonly retryBaseMs: number
  /**
   * Whether this process alone writes the table through one connection, so that jobs
   * commit in the order they are enqueued: then a grouped job can be claimed as it is
   * written. On a pool, a later job of a group may commit before an earlier one.
   */
  private readonly ordersCommits: boolean
  /**
   * When `ordersCommits`: how many jobs of each group (`queue\0group`) are live, known
   * since start. A job whose group has none can be claimed as it is written (`runHere`);
   * the others wait their turn in the table. May overcount after a rollback, which only
   * costs the fast path.
   */
  private readonly liveGroups = new Map<string, number>()

  constructor(private readonly options: SqlQueueOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000
    this.lockMs = options.lockMs ?? 5 * 60_000
    this.retryBaseMs = options.retryBaseMs ?? 1000
    this.ordersCommits = options.exclusive === true && options.dialect === 'sqlite'
  }

  get running(): boolean {
    return this.started && !this.stopping
  }

  async enqueue<N extends JobName>(
    name: N,
    data: JobRegistry[N],
    options: EnqueueOptions = {},
    executor: Executor = this.options.db,
  ): Promise<string> {
    const now = nowIso()
    const runAt = options.runAt ? new Date(options.runAt).toISOString() : now
    const delay = Date.parse(runAt) - Date.now()
    const worker = this.workers.get(name)
    const groupKey = options.group ?? null
    const groupId = groupKey === null ? undefined : `${name}\0${groupKey}`
    const claimHere =
      options.runHere === true &&
      delay <= 0 &&
      worker !== undefined &&
      this.running &&
      (groupId === undefined || (this.ordersCommits && (this.liveGroups.get(groupId) ?? 0) === 0))
    const id = newId()
    const maxAttempts = options.maxAttempts ?? 5
    // Counted before the insert so that enqueues of one group racing each other see it.
    const counted = groupId !== undefined && this.ordersCommits
    if (counted) this.liveGroups.set(groupId, (this.liveGroups.get(groupId) ?? 0) + 1)
    let rows: Array<{ id: string }>
    try {
      ;({ rows } = await insertJob(executor, {
        id,
        queue: name,
        payload: toJson(data),
        state: claimHere ? 'active' : 'pending',
        priority: options.priority ?? 0,
        runAt,
        attempts: claimHere ? 1 : 0,
        maxAttempts,
        dedupeKey: options.dedupeKey ?? null,
        groupKey,
        lockedUntil: claimHere ? new Date(Date.now() + this.lockMs).toISOString() : null,
        now,
      }))
    } catch (err) {
      if (counted) this.groupDone(groupId)
      throw err
    }
    const inserted = rows[0]
    if (counted) {
      if (inserted) afterRollback(executor, () => this.groupDone(groupId))
      else this.groupDone(groupId)
    }
    if (!inserted) {
      const existing = await executor
        .selectFrom('jobs')
        .select('id')
        .where('queue', '=', name)
        .where('dedupe_key', '=', options.dedupeKey ?? null)
        .where('state', 'in', ['pending', 'active'])
        .executeTakeFirstOrThrow()
      return existing.id
    }
    if (claimHere) {
      const row: Row = {
        id,
        queue: name,
        payload: data,
        attempts: 1,
        max_attempts: maxAttempts,
        created_at: now,
        priority: options.priority ?? 0,
        run_at: runAt,
        group_key: groupKey,
      }
      afterCommit(executor, () => this.handOver(worker, row))
    } else {
      afterCommit(executor, () => this.wake(name, delay))
    }
    return id
  }

  /** Runs a job this process claimed when it wrote it, or holds it until a slot frees. */
  private handOver(worker: Worker, row: Row): void {
    if (!this.running) return
    if (worker.active < worker.concurrency) this.run(worker, row)
    else worker.held.push(row)
  }

  /**
   * Puts runHere jobs still waiting for a slot back in line, unclaimed: otherwise they would
   * sit locked until their lock expires, or run twice after a restart of this queue.
   */
  private async releaseHeld(): Promise<void> {
    const ids = [...this.workers.values()].flatMap((w) => w.held.splice(0).map((row) => row.id))
    if (ids.length === 0) return
    await this.options.db
      .updateTable('jobs')
      .set((eb) => ({
        state: 'pending',
        attempts: eb('attempts', '-', 1),
        locked_until: null,
        updated_at: nowIso(),
      }))
      .where('id', 'in', ids)
      .where('state', '=', 'active')
      .execute()
  }

  work<N extends JobName>(name: N, handler: JobHandler<N>, options: WorkOptions = {}): void {
    if (this.workers.has(name)) throw new Error(`A worker for ${name} is already registered`)
    this.workers.set(name, {
      name,
      handler: handler as unknown as JobHandler<JobName>,
      concurrency: Math.max(1, options.concurrency ?? 1),
      active: 0,
      claiming: false,
      claimDone: undefined,
      again: false,
      wakePending: false,
      held: [],
      backlog: true,
      timer: undefined,
    })
    if (this.running) this.wake(name)
  }

  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    this.stopping = false
    await this.recoverStalled(this.options.exclusive === true)
    if (this.ordersCommits) await this.loadLiveGroups()
    this.housekeeping = setInterval(() => void this.housekeep(), 30_000)
    this.housekeeping.unref()
    for (const name of this.workers.keys()) this.wake(name)
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.started || this.stopping) return
    this.stopping = true
    clearInterval(this.housekeeping)
    for (const worker of this.workers.values()) {
      clearTimeout(worker.timer)
      // A stale timer would make `schedule` think a wake-up is already set after a restart.
      worker.timer = undefined
    }
    await Promise.all([...this.workers.values()].map((w) => w.claimDone))
    await this.releaseHeld()
    const all = () => Promise.allSettled([...this.inFlight.values()].map((f) => f.done))
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs)
      }),
    ])
    clearTimeout(timer)
    if (timedOut) {
      this.options.logger.warn(
        { running: this.inFlight.size },
        'queue drain timed out; aborting running jobs',
      )
      for (const f of this.inFlight.values()) f.abort.abort(new Error('queue stopping'))
      await all()
    }
    this.started = false
  }

  async get(id: string): Promise<JobInfo | undefined> {
    const row = await this.options.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) return undefined
    return {
      id: row.id,
      name: row.queue,
      state: row.state,
      data: fromJson(row.payload),
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      runAt: row.run_at,
      lastError: row.last_error,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      finishedAt: row.finished_at,
    }
  }

  async counts(): Promise<Record<JobState, number>> {
    const rows = await this.options.db
      .selectFrom('jobs')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute()
    const result = Object.fromEntries(jobStates.map((s) => [s, 0])) as Record<JobState, number>
    for (const row of rows) result[row.state] = Number(row.n)
    return result
  }

  /** Makes the worker of `name` look for jobs now, or after `delayMs`. */
  private wake(name: string, delayMs = 0): void {
    const worker = this.workers.get(name)
    if (!worker || !this.running) return
    worker.backlog = true
    if (delayMs > 5) {
      this.schedule(worker, delayMs)
      return
    }
    if (worker.claiming) {
      worker.again = true
      return
    }
    // Wakes within one turn of the event loop share one claim, so a burst of jobs is
    // claimed in one statement rather than one by one.
    if (worker.wakePending) return
    worker.wakePending = true
    setImmediate(() => {
      worker.wakePending = false
      if (worker.claiming) worker.again = true
      else worker.claimDone = this.claim(worker)
    })
  }

  private schedule(worker: Worker, delayMs: number): void {
    const due = Date.now() + delayMs
    const current = (worker.timer as unknown as { due?: number } | undefined)?.due
    if (worker.timer && current !== undefined && current <= due) return
    clearTimeout(worker.timer)
    const timer = setTimeout(
      () => {
        worker.timer = undefined
        this.wake(worker.name)
      },
      Math.max(0, delayMs),
    )
    timer.unref()
    Object.assign(timer, { due })
    worker.timer = timer
  }

  private async claim(worker: Worker): Promise<void> {
    worker.claiming = true
    try {
      do {
        worker.again = false
        const free = worker.concurrency - worker.active
        if (free <= 0 || !this.running) break
        const jobs = await this.claimBatch(worker.name, free)
        for (const row of jobs) this.run(worker, row)
        if (jobs.length === free) worker.again = true
        else if (!worker.again) worker.backlog = false
      } while (worker.again && this.running)
    } catch (err) {
      this.options.logger.error({ err, queue: worker.name }, 'claiming jobs failed')
    } finally {
      worker.claiming = false
    }
    if (this.running) this.scheduleNext(worker)
  }

  /**
   * Arms the worker's poll timer. Delayed jobs and retries set their own timers when they
   * are written (see `wake`); the poll finds jobs other processes wrote, within its interval.
   */
  private scheduleNext(worker: Worker): void {
    if (worker.active >= worker.concurrency) return
    this.schedule(worker, this.pollIntervalMs)
  }

  private async claimBatch(name: string, limit: number): Promise<Row[]> {
    const now = nowIso()
    const lockedUntil = new Date(Date.now() + this.lockMs).toISOString()
    const { db, dialect } = this.options
    // The jobs to take, chosen once: in a CTE, PostgreSQL runs a locking SELECT exactly once
    // (as a plain subquery it may re-run it per row and take more than `limit`).
    const rows = await db
      .with('next', (db) =>
        db
          .selectFrom('jobs')
          .select('id')
          .where('queue', '=', name)
          .where('state', '=', 'pending')
          .where('run_at', '<=', now)
          // A grouped job waits for every earlier live job of its group.
          .where((eb) =>
            eb.or([
              eb('group_key', 'is', null),
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('jobs as earlier')
                    .select(sql.lit(1).as('one'))
                    .whereRef('earlier.queue', '=', 'jobs.queue')
                    .whereRef('earlier.group_key', '=', 'jobs.group_key')
                    .where((e) =>
                      e.or([
                        e('earlier.state', '=', 'active'),
                        e.and([
                          e('earlier.state', '=', 'pending'),
                          e('earlier.id', '<', e.ref('jobs.id')),
                        ]),
                      ]),
                    ),
                ),
              ),
            ]),
          )
          .orderBy('priority', 'desc')
          .orderBy('run_at')
          .orderBy('id')
          .limit(limit)
          .$if(dialect === 'postgres', (qb) => qb.forUpdate().skipLocked()),
      )
      .updateTable('jobs')
      .set((eb) => ({
        state: 'active',
        attempts: eb('attempts', '+', 1),
        locked_until: lockedUntil,
        updated_at: now,
      }))
      .where('id', 'in', (eb) => eb.selectFrom('next').select('id'))
      .where('state', '=', 'pending')
      .returning([
        'id',
        'queue',
        'payload',
        'attempts',
        'max_attempts',
        'created_at',
        'priority',
        'run_at',
        'group_key',
      ])
      .execute()
    return rows.sort(
      (a, b) =>
        b.priority - a.priority || a.run_at.localeCompare(b.run_at) || a.id.localeCompare(b.id),
    )
  }

  private run(worker: Worker, row: Row): void {
    worker.active++
    const abort = new AbortController()
    const job: Job = {
      id: row.id,
      name: row.queue as JobName,
      data: fromJson(row.payload) as Job['data'],
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      createdAt: row.created_at,
    }
    const started = performance.now()
    const done = (async () => {
      try {
        await worker.handler(job, abort.signal)
        await this.complete(row.id)
        this.options.onSettled?.(worker.name, 'completed', performance.now() - started)
        if (row.group_key !== null) this.groupAdvanced(worker, row.group_key, true)
      } catch (err) {
        const dead = await this.fail(worker, job, err, performance.now() - started)
        if (row.group_key !== null) this.groupAdvanced(worker, row.group_key, dead)
      }
    })()
      .catch((err: unknown) => {
        this.options.logger.error(
          { err, jobId: row.id, queue: worker.name },
          'settling a job failed',
        )
      })
      .finally(() => {
        worker.active--
        this.inFlight.delete(row.id)
        const next = this.running ? worker.held.shift() : undefined
        if (next) this.run(worker, next)
        // A freed slot looks in the table only if jobs may be waiting there.
        else if (worker.backlog) this.wake(worker.name)
      })
    this.inFlight.set(row.id, { done, abort })
  }

  /**
   * A grouped job finished (`done`: completed or dead) or went back to wait: the next job of
   * its group may now be claimable, though no enqueue will wake the worker for it.
   */
  private groupAdvanced(worker: Worker, groupKey: string, done: boolean): void {
    if (done && this.ordersCommits) this.groupDone(`${worker.name}\0${groupKey}`)
    worker.backlog = true
  }

  private groupDone(groupId: string): void {
    const n = (this.liveGroups.get(groupId) ?? 0) - 1
    if (n > 0) this.liveGroups.set(groupId, n)
    else this.liveGroups.delete(groupId)
  }

  private async loadLiveGroups(): Promise<void> {
    this.liveGroups.clear()
    const rows = await this.options.db
      .selectFrom('jobs')
      .select(['queue', 'group_key', (eb) => eb.fn.countAll<number>().as('n')])
      .where('group_key', 'is not', null)
      .where('state', 'in', ['pending', 'active'])
      .groupBy(['queue', 'group_key'])
      .execute()
    for (const row of rows) this.liveGroups.set(`${row.queue}\0${row.group_key}`, Number(row.n))
  }

  /** Records a failed attempt; true when the job became a dead letter. */
  private async fail(worker: Worker, job: Job, err: unknown, ms: number): Promise<boolean> {
    const message = err instanceof Error ? err.message : String(err)
    if (err instanceof DelayError) {
      await this.settle(job.id, {
        state: 'pending',
        runAt: new Date(Date.now() + err.delayMs).toISOString(),
        lastError: message,
        refundAttempt: true,
      })
      this.wake(worker.name, err.delayMs)
      this.options.onSettled?.(worker.name, 'retry', ms)
      return false
    }
    const dead = err instanceof UnrecoverableError || job.attempt >= job.maxAttempts
    const log = { err, jobId: job.id, queue: worker.name, attempt: job.attempt }
    if (dead) {
      this.options.logger.error(log, 'job failed for good; kept as a dead letter')
      await this.settle(job.id, { state: 'dead', lastError: message })
      this.options.onSettled?.(worker.name, 'dead', ms)
      return true
    }
    const delay = backoffDelay(job.attempt, this.retryBaseMs)
    this.options.logger.warn({ ...log, retryInMs: delay }, 'job failed; will retry')
    await this.settle(job.id, {
      state: 'pending',
      runAt: new Date(Date.now() + delay).toISOString(),
      lastError: message,
    })
    this.wake(worker.name, delay)
    this.options.onSettled?.(worker.name, 'retry', ms)
    return false
  }

  private completions: { ids: string[]; done: Promise<void> } | undefined

  /**
   * Removes a completed job: the jobs table holds only work still to do and dead letters,
   * so it stays small and its indexes hot. Completions that finish close together are
   * written in one statement; on a crash before it the jobs run again, which handlers allow.
   */
  private complete(id: string): Promise<void> {
    if (this.completions) {
      this.completions.ids.push(id)
      return this.completions.done
    }
    const ids = [id]
    const done = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.completions = undefined
        this.options.db
          .deleteFrom('jobs')
          .where('id', 'in', ids)
          .execute()
          .then(() => resolve(), reject)
      })
    })
    this.completions = { ids, done }
    return done
  }

  private async settle(
    id: string,
    change: { state: JobState; runAt?: string; lastError?: string; refundAttempt?: boolean },
  ): Promise<void> {
    const now = nowIso()
    const finished = change.state === 'dead'
    await this.options.db
      .updateTable('jobs')
      .set((eb) => ({
        state: change.state,
        locked_until: null,
        updated_at: now,
        ...(change.runAt ? { run_at: change.runAt } : {}),
        ...(change.lastError !== undefined ? { last_error: change.lastError.slice(0, 2000) } : {}),
        ...(finished ? { finished_at: now } : {}),
        ...(change.refundAttempt ? { attempts: eb('attempts', '-', 1) } : {}),
      }))
      .where('id', '=', id)
      .execute()
  }

  /**
   * Puts jobs held by a dead worker back in line. In exclusive (embedded) mode every
   * active job belongs to a previous run of this process; otherwise only expired locks.
   */
  private async recoverStalled(all: boolean): Promise<void> {
    const now = nowIso()
    const result = await this.options.db
      .updateTable('jobs')
      .set({ state: 'pending', locked_until: null, updated_at: now })
      .where('state', '=', 'active')
      .$if(!all, (qb) => qb.where('locked_until', '<', now))
      .executeTakeFirst()
    const n = Number(result.numUpdatedRows)
    if (n > 0)
      this.options.logger.warn({ jobs: n }, 'picked up jobs left running by a stopped worker')
  }

  private async housekeep(): Promise<void> {
    try {
      await this.recoverStalled(false)
    } catch (err) {
      this.options.logger.error({ err }, 'queue housekeeping failed')
    }
  }
}
