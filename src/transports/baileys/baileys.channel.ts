import type { Worker } from 'node:worker_threads'
import type { ConnectionState } from '../port.js'
import {
  describeIssue,
  memorySchema,
  workerMessageSchema,
  type Call,
  type HostMessage,
  type Request,
  type TransportErrorShape,
  type WorkerMemory,
} from './baileys.protocol.js'

/** A delay as people read it: `10 minutes`, `30 s`, `200 ms`. */
export function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) {
    const minutes = ms / 60_000
    return minutes === 1 ? '1 minute' : `${minutes} minutes`
  }
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`
}

/** Why a worker went away: what the restart metrics count, and the account's state reason. */
export const lossKinds = ['crash', 'exit', 'memory', 'heartbeat'] as const
export type LossKind = (typeof lossKinds)[number]

export interface Loss {
  kind: LossKind
  /** For people: `worker exceeded 256 MB heap`, `worker exited with code 3`… */
  reason: string
}

/** A request the worker can no longer answer: it went away (`loss`), or was closed (none). */
export class WorkerGoneError extends Error {
  constructor(readonly loss: Loss | undefined) {
    super(loss ? loss.reason : 'the worker was stopped')
    this.name = 'WorkerGoneError'
  }
}

/** A request the worker answered with an error. */
export class WorkerRequestError extends Error {
  constructor(readonly error: TransportErrorShape) {
    super(error.message)
    this.name = 'WorkerRequestError'
  }
}

/** A request the worker did not answer in time (it may still act on it). */
export class WorkerTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`the worker did not answer within ${duration(ms)}`)
    this.name = 'WorkerTimeoutError'
  }
}

/** What a channel hands to its session. */
export interface ChannelHandlers {
  /** Answers a call of the worker (its store and its listener); a rejection is sent back. */
  call(call: Call): Promise<unknown>
  state(state: ConnectionState, reason: string | undefined): void
  pairing(info: { qr?: string; pairingCode?: string } | null): void
  /** One JSON log line of the worker. */
  log(line: string): void
  /** The worker's memory, at each heartbeat. */
  memory(usage: WorkerMemory): void
  /** The worker went away without being closed; called once, after it exited. */
  lost(loss: Loss): void
  /** A message from the worker that does not follow the protocol (it is dropped). */
  invalid(issue: string): void
}

export interface ChannelOptions {
  /** The heap ceiling the worker was started with, in MB (for the loss reason). */
  maxHeapMb: number
  /** How often the worker is pinged, and how long it may take to answer. */
  heartbeat: { intervalMs: number; timeoutMs: number }
  /** How long the worker may take to load and say it is ready. */
  startTimeoutMs: number
}

interface Pending {
  resolve(value: unknown): void
  reject(err: Error): void
  timer: NodeJS.Timeout | undefined
}

const MB = 1024 * 1024

/**
 * The main thread's end of one session worker: requests with ids and timeouts, the
 * worker's calls answered, a heartbeat, and one `lost` when the worker crashes, exits,
 * passes its memory ceiling or stops answering. It never restarts anything itself.
 */
export class SessionChannel {
  private readonly pending = new Map<number, Pending>()
  /** Calls of the worker still being answered. */
  private readonly answering = new Set<Promise<void>>()
  private nextId = 0
  private loss: Loss | undefined
  private closing = false
  private ended = false
  private heartbeatTimer: NodeJS.Timeout | undefined
  private pingSentAt: number | undefined
  private readonly readyPromise: Promise<void>
  /** Resolves once the worker thread has exited. */
  readonly exited: Promise<void>

  constructor(
    private readonly worker: Worker,
    private readonly handlers: ChannelHandlers,
    private readonly options: ChannelOptions,
  ) {
    let markReady!: () => void
    let failReady!: (err: Error) => void
    this.readyPromise = new Promise<void>((resolve, reject) => {
      markReady = resolve
      failReady = reject
    })
    // Settled either way; a caller that stopped waiting must not see an unhandled rejection.
    this.readyPromise.catch(() => {})
    const startTimer = setTimeout(() => {
      this.end({
        kind: 'heartbeat',
        reason: `worker did not start within ${duration(options.startTimeoutMs)}`,
      })
    }, options.startTimeoutMs)
    startTimer.unref()

    let resolveExited!: () => void
    this.exited = new Promise((resolve) => (resolveExited = resolve))

    worker.on('message', (raw: unknown) => {
      const parsed = workerMessageSchema.safeParse(raw)
      if (!parsed.success) {
        handlers.invalid(describeIssue(parsed.error))
        return
      }
      const message = parsed.data
      switch (message.type) {
        case 'ready':
          clearTimeout(startTimer)
          markReady()
          return
        case 'call':
          this.answer(message.id, message.call)
          return
        case 'response':
          this.settle(message.id, message.outcome)
          return
        case 'state':
          if (this.listening) handlers.state(message.state, message.reason)
          return
        case 'pairing':
          if (this.listening) handlers.pairing(message.info)
          return
        case 'log':
          handlers.log(message.line)
          return
      }
    })
    worker.on('error', (err: Error & { code?: string }) => {
      this.loss ??=
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { kind: 'memory', reason: `worker exceeded ${options.maxHeapMb} MB heap` }
          : { kind: 'crash', reason: `worker crashed: ${err.message}` }
    })
    worker.on('exit', (code) => {
      clearTimeout(startTimer)
      this.ended = true
      this.stopHeartbeat()
      const loss = this.closing
        ? undefined
        : (this.loss ?? { kind: 'exit', reason: `worker exited with code ${code}` })
      const gone = new WorkerGoneError(loss)
      failReady(gone)
      for (const [id, pending] of this.pending) {
        this.pending.delete(id)
        if (pending.timer) clearTimeout(pending.timer)
        pending.reject(gone)
      }
      resolveExited()
      if (loss) handlers.lost(loss)
    })
  }

  /** Resolves once the worker has loaded and takes requests; rejects if it went away first. */
  ready(): Promise<void> {
    return this.readyPromise
  }

  /**
   * Asks the worker; resolves with its answer. Rejects with WorkerRequestError when it
   * answered with an error, WorkerTimeoutError past `timeoutMs`, WorkerGoneError when the
   * worker went away before answering.
   */
  request(request: Request, timeoutMs?: number): Promise<unknown> {
    if (this.ended || this.closing || this.loss) {
      return Promise.reject(new WorkerGoneError(this.loss))
    }
    const id = ++this.nextId
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.pending.delete(id)
              reject(new WorkerTimeoutError(timeoutMs))
            }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      this.post({ type: 'request', id, request })
    })
  }

  /** Pings the worker every interval; no answer within the timeout, or memory past the ceiling, ends it. */
  startHeartbeat(): void {
    if (this.heartbeatTimer || this.ended) return
    const { intervalMs, timeoutMs } = this.options.heartbeat
    this.heartbeatTimer = setInterval(() => this.beat(timeoutMs), intervalMs)
    this.heartbeatTimer.unref()
  }

  /** Stops the worker on purpose (no `lost`); resolves once it has exited. */
  async close(): Promise<void> {
    this.closing = true
    this.stopHeartbeat()
    if (!this.ended) await this.worker.terminate()
    await this.exited
  }

  /** Resolves once the calls of the worker being answered are done (e.g. its last auth writes). */
  async settled(): Promise<void> {
    while (this.answering.size > 0) await Promise.allSettled([...this.answering])
  }

  /** Whether the worker's reports still count: not after it was given up or closed. */
  private get listening(): boolean {
    return !this.closing && !this.loss && !this.ended
  }

  private beat(timeoutMs: number): void {
    const now = Date.now()
    if (this.pingSentAt !== undefined) {
      if (now - this.pingSentAt >= timeoutMs) {
        this.end({
          kind: 'heartbeat',
          reason: `worker stopped answering for ${duration(timeoutMs)}`,
        })
      }
      return
    }
    this.pingSentAt = now
    this.request({ op: 'ping' }).then(
      (value) => {
        this.pingSentAt = undefined
        const usage = memorySchema.safeParse(value)
        if (!usage.success) {
          this.handlers.invalid(`ping answer: ${describeIssue(usage.error)}`)
          return
        }
        this.handlers.memory(usage.data)
        // The heap has its ceiling in V8 (resourceLimits); buffers live outside it.
        const ceiling = this.options.maxHeapMb * MB
        if (usage.data.external > ceiling) {
          this.end({
            kind: 'memory',
            reason: `worker held ${Math.round(usage.data.external / MB)} MB of buffers, over its ${this.options.maxHeapMb} MB ceiling`,
          })
        }
      },
      () => {
        // The worker went away: its exit reports why.
      },
    )
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer)
    this.heartbeatTimer = undefined
  }

  /** Ends the worker for `loss`, reported by `lost` once it has exited. */
  end(loss: Loss): void {
    if (this.ended || this.closing || this.loss) return
    this.loss = loss
    this.stopHeartbeat()
    void this.worker.terminate()
  }

  private answer(id: number, call: Call): void {
    const done: Promise<void> = this.handlers.call(call).then(
      (value) => this.post({ type: 'result', id, outcome: { ok: true, value } }),
      (err: unknown) =>
        this.post({
          type: 'result',
          id,
          outcome: { ok: false, error: err instanceof Error ? err.message : String(err) },
        }),
    )
    this.answering.add(done)
    void done.finally(() => this.answering.delete(done))
  }

  private settle(
    id: number,
    outcome: { ok: true; value?: unknown } | { ok: false; error: TransportErrorShape },
  ): void {
    const pending = this.pending.get(id)
    if (!pending) return
    this.pending.delete(id)
    if (pending.timer) clearTimeout(pending.timer)
    if (outcome.ok) pending.resolve(outcome.value)
    else pending.reject(new WorkerRequestError(outcome.error))
  }

  private post(message: HostMessage): void {
    if (!this.ended) this.worker.postMessage(message)
  }
}
