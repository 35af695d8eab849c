import type { Executor } from '../db/index.js'

/**
 * The typed job registry: each module adds its jobs by augmenting this interface
 * (`declare module '…/platform/queue/port.js' { interface JobRegistry { … } }`), one payload
 * type per job name.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JobRegistry {}

export type JobName = keyof JobRegistry & string

export const jobStates = ['pending', 'active', 'dead'] as const
export type JobState = (typeof jobStates)[number]

export interface EnqueueOptions {
  /** Not before this time (ISO string or Date); default now. */
  runAt?: string | Date
  /** While a job with this key is pending or running, enqueueing it again returns that job. */
  dedupeKey?: string
  /**
   * Jobs of the same name and group run one at a time, in the order they were enqueued:
   * a job waits while an earlier one of its group is pending (a retry included) or running.
   * Dead letters no longer hold their group up.
   */
  group?: string
  /** Higher runs first among due jobs of the same name; default 0. */
  priority?: number
  /** Attempts before the job becomes a dead letter; default 5. */
  maxAttempts?: number
  /**
   * Run the job in this process as soon as the enqueueing transaction commits, when this
   * process has a worker for it: the job is written already claimed, which spares the
   * round trip through the claim query. Should the process die first, the job is
   * recovered like any job left running. Ignored for delayed jobs.
   */
  runHere?: boolean
}

export interface Job<N extends JobName = JobName> {
  id: string
  name: N
  data: JobRegistry[N]
  /** 1 on the first run. */
  attempt: number
  maxAttempts: number
  createdAt: string
}

export interface JobInfo {
  id: string
  name: string
  state: JobState
  data: unknown
  attempts: number
  maxAttempts: number
  runAt: string
  lastError: string | null
  createdAt: string
  updatedAt: string
  finishedAt: string | null
}

/**
 * A job handler. It must be idempotent: a job can run more than once (after a crash or a
 * retry). The signal aborts when the queue shuts down past its drain timeout.
 */
export type JobHandler<N extends JobName> = (job: Job<N>, signal: AbortSignal) => Promise<void>

export interface WorkOptions {
  /** Jobs of this name run at once in this process; default 1. */
  concurrency?: number
}

export interface JobQueue {
  /**
   * Adds a job. Given a transaction (`executor`), the job is written in it and becomes
   * visible to workers only when it commits: the transactional outbox. Returns the job id,
   * or the id of the live job holding the same dedupe key.
   */
  enqueue<N extends JobName>(
    name: N,
    data: JobRegistry[N],
    options?: EnqueueOptions,
    executor?: Executor,
  ): Promise<string>
  /** Registers the handler of a job name. Call before `start`. */
  work<N extends JobName>(name: N, handler: JobHandler<N>, options?: WorkOptions): void
  /** Starts the workers; jobs left running by a dead process are picked up again. */
  start(): Promise<void>
  /**
   * Stops taking jobs and waits up to `timeoutMs` for running handlers, then aborts
   * them. Unfinished jobs stay in the queue for the next start.
   */
  stop(timeoutMs?: number): Promise<void>
  /** A job still to do, running, or dead; completed jobs are gone. */
  get(id: string): Promise<JobInfo | undefined>
  /** Count of jobs per state, for health and metrics. */
  counts(): Promise<Record<JobState, number>>
  /** Whether the workers are running. */
  readonly running: boolean
}

/** Thrown by a handler when retrying cannot help: the job becomes a dead letter at once. */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnrecoverableError'
  }
}

/** Thrown by a handler to run the job again after `delayMs` without using up an attempt. */
export class DelayError extends Error {
  constructor(
    readonly delayMs: number,
    message = `retry in ${delayMs} ms`,
  ) {
    super(message)
    this.name = 'DelayError'
  }
}

/**
 * Delay before attempt `attempt + 1`: exponential from `baseMs`, capped at `maxMs`, with
 * full jitter so that failures do not retry in lockstep.
 */
export function backoffDelay(
  attempt: number,
  baseMs = 1000,
  maxMs = 5 * 60_000,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}
