// The inbound pipeline benchmark: a virtual contact writes → the message is persisted →
// the greeting rule matches → the reply is queued → the sender hands it to the sandbox.
// Measures sustained throughput, latency from inbound to `sent` at a fixed rate, and RSS.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLinda, type Linda } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/platform/logging.js'

export interface PipelineResult {
  throughput: { messages: number; seconds: number; messagesPerSecond: number }
  latency: LatencyResult[]
  peakRssMb: number
}

export interface LatencyResult {
  targetRate: number
  achievedRate: number
  messages: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  maxMs: number
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return sorted[Math.max(0, i)]!
}

class Tracker {
  private readonly started = new Map<string, number>()
  readonly latencies: number[] = []
  private waiters: Array<() => void> = []
  /** Called after each reply is sent. */
  onSent: (() => void) | undefined
  private count = 0
  private countWaiter: { n: number; resolve: () => void } | undefined

  constructor(linda: Linda) {
    linda.events.subscribe('message.status', (e) => {
      if (e.data.status !== 'sent') return
      const t0 = this.started.get(e.data.phone)
      if (t0 === undefined) return
      this.started.delete(e.data.phone)
      this.latencies.push(performance.now() - t0)
      this.count++
      this.onSent?.()
      if (this.countWaiter && this.count >= this.countWaiter.n) this.countWaiter.resolve()
      if (this.started.size === 0) for (const w of this.waiters.splice(0)) w()
    })
  }

  begin(phone: string): void {
    this.started.set(phone, performance.now())
  }

  get pending(): number {
    return this.started.size
  }

  /** Resolves once `n` replies have been sent. */
  drainedAfter(n: number, timeoutMs: number): Promise<void> {
    if (this.count >= n) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.count} of ${n} replies sent after ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.countWaiter = {
        n,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      }
    })
  }

  drained(timeoutMs: number): Promise<void> {
    if (this.started.size === 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${this.started.size} replies still not sent after ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}

let phoneCounter = 0
/** A new virtual contact per message, so each reply can be matched to its inbound message. */
function nextPhone(): string {
  phoneCounter++
  return `+1555${String(phoneCounter).padStart(7, '0')}`
}

export async function benchInboundPipeline(options: {
  throughputMessages: number
  /** Rates to measure latency at, one after the other. */
  latencyRates: number[]
  latencySeconds: number
  log: (line: string) => void
}): Promise<PipelineResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'linda-bench-'))
  const config = loadConfig({ dataDir, port: 0 }, { LINDA_LOG_LEVEL: 'silent' })
  const linda = await createLinda(config, { logger: createLogger('silent') })
  try {
    await linda.start()
    const [account] = await linda.accounts.list({ limit: 1 })
    if (!account) throw new Error('no sandbox account')
    const sandbox = await linda.accounts.sandbox(account.id)
    const send = (tracker: Tracker) => {
      const from = nextPhone()
      tracker.begin(from)
      return sandbox.receive({ from, text: 'hi' })
    }

    // Warm-up: JIT, SQLite page cache, prepared statements.
    const warm = new Tracker(linda)
    await Promise.all(Array.from({ length: 2000 }, () => send(warm)))
    await warm.drained(60_000)

    // Throughput: a window of messages in flight (from inbound to `sent`); each reply sent
    // lets the next message in. The window keeps the queue full without growing it.
    options.log(`throughput: ${options.throughputMessages} messages…`)
    const bulk = new Tracker(linda)
    const window = 1000
    let issued = 0
    const t0 = performance.now()
    const issue = () => {
      if (issued >= options.throughputMessages) return
      issued++
      void send(bulk)
    }
    bulk.onSent = issue
    for (let i = 0; i < window; i++) issue()
    await bulk.drainedAfter(options.throughputMessages, 120_000)
    const seconds = (performance.now() - t0) / 1000

    // Latency at fixed rates, open loop: messages go in on schedule whatever happens.
    const latency: LatencyResult[] = []
    for (const rate of options.latencyRates) {
      const total = rate * options.latencySeconds
      options.log(`latency: ${total} messages at ${rate}/s…`)
      const paced = new Tracker(linda)
      const start = performance.now()
      let sent = 0
      const pending: Array<Promise<unknown>> = []
      await new Promise<void>((resolve) => {
        const tick = () => {
          const elapsed = (performance.now() - start) / 1000
          const due = Math.min(total, Math.floor(elapsed * rate))
          while (sent < due) {
            sent++
            pending.push(send(paced))
          }
          if (sent >= total) resolve()
          else setTimeout(tick, 1)
        }
        tick()
      })
      const intakeSeconds = (performance.now() - start) / 1000
      await Promise.all(pending)
      await paced.drained(120_000)
      const sorted = [...paced.latencies].sort((a, b) => a - b)
      latency.push({
        targetRate: rate,
        achievedRate: Math.round(total / intakeSeconds),
        messages: total,
        p50Ms: round(percentile(sorted, 50)),
        p95Ms: round(percentile(sorted, 95)),
        p99Ms: round(percentile(sorted, 99)),
        maxMs: round(sorted[sorted.length - 1] ?? NaN),
      })
      // Let receipts and the WAL settle before the next rate.
      await new Promise((r) => setTimeout(r, 2000))
    }

    return {
      throughput: {
        messages: options.throughputMessages,
        seconds: round(seconds),
        messagesPerSecond: Math.round(options.throughputMessages / seconds),
      },
      latency,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }
  } finally {
    await linda.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100
}
