import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Logger } from '../../platform/logging.js'
import {
  SessionChannel,
  type ChannelHandlers,
  type Loss,
  type LossKind,
} from './baileys.channel.js'
import type { WorkerData, WorkerMemory } from './baileys.protocol.js'
import {
  SupervisedBaileysTransport,
  type RestartPolicyOptions,
  type SessionWorkers,
  type SupervisedSessionOptions,
} from './baileys.session.js'
import type { BaileysListener } from './baileys.transport.js'

/**
 * The young generation of each worker, in MB. V8's default is sized for a whole process; a
 * session allocates little at a time, and 8 MB takes about a quarter off its resident
 * memory (bench: 58 → 44 MB a session) for a few more, cheap, scavenges.
 */
const YOUNG_GENERATION_MB = 8

/** What the supervisor reports, for metrics. */
export interface SupervisorObserver {
  /** A session's worker was lost and is restarted (or, past the crash loop limit, not). */
  restarted(kind: LossKind): void
  /** A session worker's memory at its latest heartbeat; null once the worker stopped. */
  memory(accountId: string, usage: WorkerMemory | null): void
  /** How many session workers run now. */
  workers(count: number): void
}

export interface BaileysSupervisorOptions {
  /** Heap ceiling of each session's worker, in MB (`LINDA_BAILEYS_MAX_HEAP_MB`). */
  maxHeapMb: number
  logger: Logger
  /**
   * A module exporting `makeSocket`, loaded inside each worker in place of Baileys'
   * `makeWASocket` (tests give a fake one). Settable from code only.
   */
  socketModule?: URL | string
  /** How often a worker is pinged (default 5 s) and how long it may take to answer (30 s). */
  heartbeat?: { intervalMs?: number; timeoutMs?: number }
  /** How long a worker may take to load and open its session. Default 60 s. */
  startTimeoutMs?: number
  /** How long a send may take before its outcome counts as unknown. Default 60 s. */
  sendTimeoutMs?: number
  restart?: RestartPolicyOptions
  /** The reconnect backoff of the transport inside each worker. */
  reconnect?: { baseMs?: number; maxMs?: number }
  observer?: SupervisorObserver
}

/**
 * Where the worker's entry is: beside this file, compiled (`dist/server-…/`), or as
 * TypeScript when Linda runs from its sources (tests, benchmarks): then the worker first
 * registers tsx's loader, as `bin/run-ts.js` does for the main thread.
 */
function newWorker(options: ConstructorParameters<typeof Worker>[1]): Worker {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new Worker(new URL('./baileys.worker.js', here), options)
  // `tsx/esm/api` resolves to its CommonJS build here; its ESM build sits beside it.
  const api = createRequire(here)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs')
  const entry = new URL('./baileys.worker.ts', here).href
  const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(code, { ...options, eval: true })
}

/**
 * Runs each WhatsApp Web session in a worker thread of its own, with a heap ceiling, and
 * supervises them (SupervisedBaileysTransport restarts one alone when it is lost). The
 * main thread keeps the database; Baileys is loaded in the workers only.
 */
export class BaileysSupervisor implements SessionWorkers {
  readonly sendTimeoutMs: number
  readonly startTimeoutMs: number
  readonly restartPolicy: RestartPolicyOptions
  readonly logger: Logger
  private readonly heartbeat: { intervalMs: number; timeoutMs: number }
  private readonly live = new Set<SessionChannel>()

  constructor(private readonly options: BaileysSupervisorOptions) {
    this.logger = options.logger
    this.sendTimeoutMs = options.sendTimeoutMs ?? 60_000
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000
    this.restartPolicy = options.restart ?? {}
    this.heartbeat = {
      intervalMs: options.heartbeat?.intervalMs ?? 5_000,
      timeoutMs: options.heartbeat?.timeoutMs ?? 30_000,
    }
  }

  /** A WhatsApp Web transport for one account, its session in a supervised worker. */
  session(
    listener: BaileysListener,
    options: SupervisedSessionOptions,
  ): SupervisedBaileysTransport {
    return new SupervisedBaileysTransport(listener, options, this)
  }

  /** How many session workers run. */
  get workerCount(): number {
    return this.live.size
  }

  open(session: { accountId: string; phone?: string }, handlers: ChannelHandlers): SessionChannel {
    const data: WorkerData = {
      accountId: session.accountId,
      ...(session.phone ? { phone: session.phone } : {}),
      ...(this.options.socketModule ? { socketModule: String(this.options.socketModule) } : {}),
      logLevel: this.logger.level,
      ...(this.options.reconnect ? { reconnect: this.options.reconnect } : {}),
    }
    const worker = newWorker({
      workerData: data,
      resourceLimits: {
        maxOldGenerationSizeMb: this.options.maxHeapMb,
        maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
      },
      // What a library prints by itself (not through the logger) becomes log lines.
      stdout: true,
      stderr: true,
    })
    const logger = this.logger.child({ accountId: session.accountId, worker: true })
    relayLines(worker.stdout, (line) => logger.debug({ stream: 'stdout' }, line))
    relayLines(worker.stderr, (line) => logger.warn({ stream: 'stderr' }, line))
    const channel = new SessionChannel(worker, handlers, {
      maxHeapMb: this.options.maxHeapMb,
      heartbeat: this.heartbeat,
      startTimeoutMs: this.startTimeoutMs,
    })
    this.live.add(channel)
    this.options.observer?.workers(this.live.size)
    void channel.exited.then(() => {
      this.live.delete(channel)
      this.options.observer?.workers(this.live.size)
    })
    return channel
  }

  restarted(_accountId: string, loss: Loss): void {
    this.options.observer?.restarted(loss.kind)
  }

  memory(accountId: string, usage: WorkerMemory | null): void {
    this.options.observer?.memory(accountId, usage)
  }

  /** Ends every session worker still running (after the accounts were disconnected). */
  async close(): Promise<void> {
    await Promise.all([...this.live].map((channel) => channel.close()))
  }
}

function relayLines(stream: Readable, write: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    if (line.trim() !== '') write(line)
  })
}
