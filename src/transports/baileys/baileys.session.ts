import type { Logger } from '../../platform/logging.js'
import type { ConnectionState, OutboundMessage, Transport, TransportCapabilities } from '../port.js'
import { baileysCapabilities } from './baileys.capabilities.js'
import {
  duration,
  WorkerGoneError,
  WorkerRequestError,
  WorkerTimeoutError,
  type ChannelHandlers,
  type Loss,
  type LossKind,
  type SessionChannel,
} from './baileys.channel.js'
import { BaileysError, isBaileysErrorCode } from './baileys.errors.js'
import { asInbound, sentSchema, type Call, type WorkerMemory } from './baileys.protocol.js'
import type { BaileysStore } from './baileys.store.js'
import type { BaileysListener } from './baileys.transport.js'

export interface RestartPolicyOptions {
  /** The first restart waits about this long; each next one twice as long. Default 1 s. */
  baseMs?: number
  /** The longest wait between restarts. Default 60 s. */
  maxMs?: number
  /** Restarts allowed within `windowMs`; one more loss in the window ends in `error`. Default 5. */
  maxRestarts?: number
  /** Default 10 minutes. */
  windowMs?: number
}

/**
 * When to restart a session's worker: capped exponential backoff with jitter, and a crash
 * loop (more than `maxRestarts` losses within `windowMs`) ends the restarts.
 */
export class RestartPolicy {
  readonly baseMs: number
  readonly maxMs: number
  readonly maxRestarts: number
  readonly windowMs: number
  private attempt = 0
  private restarts: number[] = []

  constructor(
    options: RestartPolicyOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.baseMs = options.baseMs ?? 1_000
    this.maxMs = options.maxMs ?? 60_000
    this.maxRestarts = options.maxRestarts ?? 5
    this.windowMs = options.windowMs ?? 10 * 60_000
  }

  /** A worker was lost at `now` (ms): how long to wait before starting another, or give up. */
  lost(now: number): { restart: true; delayMs: number } | { restart: false } {
    this.restarts = this.restarts.filter((at) => now - at < this.windowMs)
    if (this.restarts.length >= this.maxRestarts) return { restart: false }
    this.restarts.push(now)
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt++, 30))
    // "Equal jitter": at least half the ceiling, so that delays still grow.
    return { restart: true, delayMs: Math.round(ceiling / 2 + (this.random() * ceiling) / 2) }
  }

  /** The session came up again: the next restart waits the base delay (the window stays). */
  recovered(): void {
    this.attempt = 0
  }

  /** A fresh start (connect): no restarts counted. */
  reset(): void {
    this.attempt = 0
    this.restarts = []
  }
}

/** What a session needs from its supervisor: workers, and somewhere to report. */
export interface SessionWorkers {
  /** Starts a worker for the session; it reports through `handlers`. */
  open(session: { accountId: string; phone?: string }, handlers: ChannelHandlers): SessionChannel
  /** How long a send may take in the worker before its outcome counts as unknown. */
  readonly sendTimeoutMs: number
  /** How long the worker may take to open the session once it is loaded. */
  readonly startTimeoutMs: number
  readonly restartPolicy: RestartPolicyOptions
  readonly logger: Logger
  /** A worker of the session was lost and is restarted. */
  restarted(accountId: string, loss: Loss): void
  /** The memory of the session's worker at its latest heartbeat; null once it stopped. */
  memory(accountId: string, usage: WorkerMemory | null): void
}

export interface SupervisedSessionOptions {
  accountId: string
  /** The account's phone number (E.164): a pairing code is asked for too. */
  phone?: string
  /** Where the session lives (in the main thread's database). */
  store: BaileysStore
  random?: () => number
}

/** How long a send asked for while the session is being restarted waits before it tries again. */
const RESTART_WAIT_MS = 1_000

/** How long a worker may take to close its session before it is ended regardless. */
const STOP_TIMEOUT_MS = 10_000

/**
 * A WhatsApp Web account whose BaileysTransport runs in a worker thread of its own, under
 * supervision. The rest of Linda sees the same Transport as in process. When the worker
 * crashes, exits, passes its memory ceiling or stops answering its heartbeat, this session
 * alone is restarted, after a capped exponential backoff, and resumes from the auth state
 * in the database: the account goes `reconnecting` (the reason says why) and back to
 * `connected`. Sends in flight at that moment fail as of unknown outcome. A crash loop
 * ends in `error`.
 */
export class SupervisedBaileysTransport implements Transport {
  readonly kind = 'baileys' as const
  readonly capabilities: TransportCapabilities = baileysCapabilities

  private readonly policy: RestartPolicy
  private readonly logger: Logger
  /** Whether Linda wants the session up (between connect and disconnect). */
  private running = false
  /** The first start of a connect: a loss then fails the connect instead of restarting. */
  private booting = false
  private channel: SessionChannel | undefined
  /** The worker lost last: its calls in flight land before the next worker reads the store. */
  private previous: SessionChannel | undefined
  private restartTimer: NodeJS.Timeout | undefined
  /** The state the current worker reported last. */
  private lastState: ConnectionState | undefined
  /** From a lost worker until its successor has the session connected again. */
  private restarting = false

  constructor(
    private readonly listener: BaileysListener,
    private readonly options: SupervisedSessionOptions,
    private readonly workers: SessionWorkers,
  ) {
    this.policy = new RestartPolicy(workers.restartPolicy, options.random)
    this.logger = workers.logger.child({ accountId: options.accountId })
  }

  async connect(): Promise<void> {
    if (this.running) return
    this.running = true
    this.booting = true
    this.restarting = false
    this.policy.reset()
    try {
      await this.start()
    } catch (err) {
      this.running = false
      const channel = this.channel
      this.channel = undefined
      await channel?.close()
      throw new Error(
        `the WhatsApp Web session could not start: ${err instanceof Error ? err.message : String(err)}`,
      )
    } finally {
      this.booting = false
    }
  }

  async disconnect(): Promise<void> {
    const wasRunning = this.running
    this.running = false
    this.restarting = false
    this.clearRestart()
    const channel = this.channel
    this.channel = undefined
    if (channel) {
      // The worker closes its socket and finishes its writes; a worker that cannot is ended.
      await channel.request({ op: 'disconnect' }, STOP_TIMEOUT_MS).catch(() => {})
      await channel.settled()
      await channel.close()
    }
    await this.previous?.settled()
    this.previous = undefined
    this.workers.memory(this.options.accountId, null)
    this.listener.pairing(null)
    if (wasRunning) this.listener.state('disconnected')
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<{ externalId: string }> {
    signal.throwIfAborted()
    const channel = this.channel
    if (this.restarting && this.running) {
      // Being restarted: the send waits its turn, queued, without using up its attempts.
      throw new BaileysError(
        'BAILEYS_NOT_CONNECTED',
        'The WhatsApp Web session is being restarted',
        { retryable: true, retryAfterMs: RESTART_WAIT_MS },
      )
    }
    if (!channel) {
      throw new BaileysError('BAILEYS_NOT_CONNECTED', 'The WhatsApp Web account is not connected', {
        retryable: true,
      })
    }
    let answer: unknown
    try {
      answer = await channel.request({ op: 'send', message }, this.workers.sendTimeoutMs)
    } catch (err) {
      throw sendError(err)
    }
    const sent = sentSchema.safeParse(answer)
    if (!sent.success) {
      throw new BaileysError(
        'BAILEYS_SEND_FAILED',
        'The WhatsApp Web session returned no message id',
        {
          retryable: true,
          deliveryUnknown: true,
        },
      )
    }
    return sent.data
  }

  /** Starts a worker and opens the session in it. */
  private async start(): Promise<void> {
    // The handlers are made before the channel they belong to: they find it here.
    const made: { channel?: SessionChannel } = {}
    const own = (): SessionChannel | undefined =>
      made.channel !== undefined && made.channel === this.channel ? made.channel : undefined
    const handlers: ChannelHandlers = {
      call: (call) => this.answer(call),
      state: (state, reason) => {
        const channel = own()
        if (channel) this.reported(channel, state, reason)
      },
      pairing: (info) => {
        if (own()) this.listener.pairing(info)
      },
      log: (line) => this.relayLog(line),
      memory: (usage) => {
        if (own()) this.workers.memory(this.options.accountId, usage)
      },
      lost: (loss) => {
        const channel = own()
        if (channel) this.lost(channel, loss)
      },
      invalid: (issue) => {
        this.logger.error({ issue }, 'a WhatsApp Web worker sent a message outside the protocol')
      },
    }
    const channel = this.workers.open(
      {
        accountId: this.options.accountId,
        ...(this.options.phone ? { phone: this.options.phone } : {}),
      },
      handlers,
    )
    made.channel = channel
    this.channel = channel
    this.lastState = undefined
    await channel.ready()
    await channel.request({ op: 'connect' }, this.workers.startTimeoutMs)
    if (own()) channel.startHeartbeat()
  }

  /** The worker's store and listener calls, answered from the main thread. */
  private async answer(call: Call): Promise<unknown> {
    const { store } = this.options
    switch (call.op) {
      case 'read':
        return [...(await store.read(call.keys))]
      case 'write':
        await store.write(new Map(call.entries))
        return null
      case 'clear':
        await store.clear()
        return null
      case 'rememberMessage':
        await store.rememberMessage(call.messageId, call.message)
        return null
      case 'recallMessage':
        return (await store.recallMessage(call.messageId)) ?? null
      case 'rememberLid':
        await store.rememberLid(call.lid, call.phone)
        return null
      case 'phoneOfLid':
        return (await store.phoneOfLid(call.lid)) ?? null
      case 'inbound':
        return this.listener.inbound(asInbound(call.message))
      case 'statuses':
        await this.listener.statuses(call.updates)
        return null
    }
  }

  private reported(channel: SessionChannel, state: ConnectionState, reason?: string): void {
    this.lastState = state
    if (state === 'connected') {
      this.policy.recovered()
      this.restarting = false
    }
    this.listener.state(state, reason)
    if (state === 'logged_out' || state === 'error') {
      // The session ended inside the worker (unlinked, or failed for good): free its memory.
      this.running = false
      this.restarting = false
      this.channel = undefined
      this.workers.memory(this.options.accountId, null)
      void channel.close()
    }
  }

  private lost(channel: SessionChannel, loss: Loss): void {
    this.channel = undefined
    this.previous = channel
    this.workers.memory(this.options.accountId, null)
    // A loss during connect fails that connect (it sees the worker gone).
    if (!this.running || this.booting) return
    const next = this.policy.lost(Date.now())
    this.listener.pairing(null)
    if (!next.restart) {
      this.running = false
      this.restarting = false
      this.logger.error({ reason: loss.reason }, 'WhatsApp Web session in a crash loop; given up')
      this.listener.state(
        'error',
        `the WhatsApp Web session was restarted ${this.policy.maxRestarts} times within ${duration(this.policy.windowMs)} and failed again: ${loss.reason}`,
      )
      return
    }
    this.workers.restarted(this.options.accountId, loss)
    this.logger.warn(
      { reason: loss.reason, restartInMs: next.delayMs },
      'WhatsApp Web session worker lost; restarting it',
    )
    // A session still linking links again (with a new code); a linked one reconnects.
    if (this.lastState === 'linking') {
      this.listener.state('linking', `${loss.reason}; restarted, with a new code`)
    } else {
      this.listener.state('reconnecting', loss.reason)
    }
    this.restarting = true
    this.clearRestart()
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined
      void this.restart()
    }, next.delayMs)
  }

  private async restart(): Promise<void> {
    await this.previous?.settled()
    this.previous = undefined
    if (!this.running || this.channel) return
    try {
      await this.start()
    } catch (err) {
      if (err instanceof WorkerGoneError) return // `lost` restarts again, or gives up.
      // It started but did not open the session: ended as a loss, so it is restarted.
      // (Read again: `start` set it since the check above.)
      const channel = this.channel as SessionChannel | undefined
      channel?.end({
        kind: 'heartbeat',
        reason: `worker did not open the session: ${err instanceof Error ? err.message : String(err)}`,
      })
    }
  }

  private clearRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.restartTimer = undefined
  }

  /** A log line of the worker (pino's JSON), written by this thread's logger. */
  private relayLog(line: string): void {
    let record: Record<string, unknown>
    try {
      record = JSON.parse(line) as Record<string, unknown>
    } catch {
      this.logger.warn({ line }, 'unreadable log line from a WhatsApp Web worker')
      return
    }
    const { level, msg, time: _time, pid: _pid, hostname: _host, accountId: _id, ...rest } = record
    const label = typeof level === 'number' ? this.logger.levels.labels[level] : undefined
    const write =
      label === undefined ? undefined : (this.logger as unknown as Record<string, unknown>)[label]
    if (typeof write !== 'function') return
    ;(write as (obj: object, msg?: string) => void).call(
      this.logger,
      { ...rest, worker: true },
      typeof msg === 'string' ? msg : undefined,
    )
  }
}

/** A send that failed across the worker boundary, as the TransportError the sender reads. */
function sendError(err: unknown): BaileysError {
  if (err instanceof WorkerRequestError) {
    const { code, message, retryable, deliveryUnknown } = err.error
    return new BaileysError(isBaileysErrorCode(code) ? code : 'BAILEYS_SEND_FAILED', message, {
      retryable,
      deliveryUnknown,
    })
  }
  if (err instanceof WorkerGoneError) {
    return new BaileysError(
      'BAILEYS_WORKER_LOST',
      `The WhatsApp Web session stopped while sending (${err.message}); the message may have left`,
      { retryable: true, deliveryUnknown: true, cause: err },
    )
  }
  if (err instanceof WorkerTimeoutError) {
    return new BaileysError(
      'BAILEYS_CONNECTION_LOST',
      `WhatsApp Web did not answer the send: ${err.message}; the message may have left`,
      { retryable: true, deliveryUnknown: true, cause: err },
    )
  }
  return new BaileysError(
    'BAILEYS_SEND_FAILED',
    `WhatsApp Web send failed: ${err instanceof Error ? err.message : String(err)}`,
    { retryable: true, deliveryUnknown: true, cause: err },
  )
}

export type { LossKind }
