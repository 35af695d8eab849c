// The sender benchmark: messages queued through `messages.send`, then handed to sandbox
// accounts by the sender. Measured at the transport (when the sandbox is called), so what
// is counted is what WhatsApp would see.
//
// - limits off: how fast one account's backlog drains (messages/s);
// - 80/s on each of 10 accounts (Meta's default throughput per number): the rate each
//   account keeps over a fixed window, and the busiest 1-s window of any account.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLinda, type Linda } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/platform/logging.js'

export interface SenderBenchResult {
  unlimited: { messages: number; seconds: number; messagesPerSecond: number }
  limited: {
    accounts: number
    ratePerAccount: number
    windowSeconds: number
    /** Sends of all accounts in the window, per second. */
    messagesPerSecond: number
    /** Off the target (accounts × rate), in percent. */
    deviationPercent: number
    /** The most sends any account made in any 1-s window. */
    busiestSecond: number
    /** The slowest and fastest account over the window, sends per second. */
    slowestAccount: number
    fastestAccount: number
  }
}

/** A Linda whose workers are not started yet, so that a backlog can be queued first. */
async function openLinda(): Promise<{ linda: Linda; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'linda-bench-sender-'))
  const config = loadConfig({ dataDir, port: 0 }, { LINDA_LOG_LEVEL: 'silent' })
  const linda = await createLinda(config, { logger: createLogger('silent') })
  return {
    linda,
    close: async () => {
      await linda.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * Sandbox accounts for the benchmark: receipts off (the sender is measured, not the
 * receipts), each send's time recorded when the transport is called.
 */
async function benchAccounts(
  linda: Linda,
  n: number,
  ratePerSecond: number | null,
): Promise<Array<{ id: string; times: number[] }>> {
  const accounts: Array<{ id: string; times: number[] }> = []
  for (let i = 0; i < n; i++) {
    const account = await linda.accounts.create({
      name: `Bench ${i}`,
      transport: 'sandbox',
      settings: {
        sendRatePerSecond: ratePerSecond ?? undefined,
        sandbox: { deliveredAfterMs: null, readAfterMs: null },
      },
    })
    const sandbox = await linda.accounts.sandbox(account.id)
    const times: number[] = []
    const send = sandbox.send.bind(sandbox)
    sandbox.send = (message, signal) => {
      times.push(performance.now())
      return send(message, signal)
    }
    accounts.push({ id: account.id, times })
  }
  return accounts
}

/** Queues `perAccount` messages on each account, interleaved, to distinct contacts. */
async function queueBacklog(
  linda: Linda,
  accountIds: readonly string[],
  perAccount: number,
): Promise<void> {
  let phone = 0
  const batch: Array<Promise<unknown>> = []
  for (let i = 0; i < perAccount; i++) {
    for (const accountId of accountIds) {
      phone++
      batch.push(
        linda.messages.send(
          {
            accountId,
            to: `+1555${String(phone).padStart(7, '0')}`,
            type: 'text',
            text: 'Your order has shipped',
          },
          { origin: 'api' },
        ),
      )
      if (batch.length >= 500) await Promise.all(batch.splice(0))
    }
  }
  await Promise.all(batch)
}

/** Resolves once `total` sends were recorded (or rejects after `timeoutMs`). */
async function sendsReach(
  accounts: ReadonlyArray<{ times: number[] }>,
  total: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const done = accounts.reduce((n, a) => n + a.times.length, 0)
    if (done >= total) return
    if (performance.now() > deadline) throw new Error(`only ${done} of ${total} sends`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The most sends in any half-open window [t, t + windowMs). */
function busiest(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  let first = 0
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}

export async function benchSender(options: {
  unlimitedMessages: number
  limitedSeconds: number
  log: (line: string) => void
}): Promise<SenderBenchResult> {
  // ---- limits off ----
  const a = await openLinda()
  let unlimited: SenderBenchResult['unlimited']
  try {
    const [account] = await benchAccounts(a.linda, 1, null)
    options.log(`sender, limits off: queueing ${options.unlimitedMessages} messages…`)
    await queueBacklog(a.linda, [account!.id], options.unlimitedMessages)
    await a.linda.queue.start()
    await sendsReach([account!], options.unlimitedMessages, 120_000)
    const times = account!.times
    const seconds = (times[times.length - 1]! - times[0]!) / 1000
    unlimited = {
      messages: times.length,
      seconds: round(seconds),
      messagesPerSecond: Math.round(times.length / seconds),
    }
  } finally {
    await a.close()
  }

  // ---- 80/s on each of 10 accounts ----
  const rate = 80
  const n = 10
  const window = options.limitedSeconds
  const b = await openLinda()
  try {
    const accounts = await benchAccounts(b.linda, n, rate)
    // A backlog longer than the window, so that every account sends all along it.
    const perAccount = rate * (window + 2)
    options.log(`sender, ${rate}/s × ${n} accounts: queueing ${perAccount * n} messages…`)
    await queueBacklog(
      b.linda,
      accounts.map((acc) => acc.id),
      perAccount,
    )
    await b.linda.queue.start()
    await sendsReach(accounts, perAccount * n, (window + 30) * 1000)
    // Each account's rate over `window` whole seconds from its first send.
    const inWindow = accounts.map((acc) => {
      const start = acc.times[0]!
      return acc.times.filter((t) => t >= start && t < start + window * 1000).length
    })
    const total = inWindow.reduce((x, y) => x + y, 0)
    const perSecond = total / window
    const target = rate * n
    return {
      unlimited,
      limited: {
        accounts: n,
        ratePerAccount: rate,
        windowSeconds: window,
        messagesPerSecond: round(perSecond),
        deviationPercent: round(((perSecond - target) / target) * 100),
        busiestSecond: Math.max(...accounts.map((acc) => busiest(acc.times, 1000))),
        slowestAccount: round(Math.min(...inWindow) / window),
        fastestAccount: round(Math.max(...inWindow) / window),
      },
    }
  } finally {
    await b.close()
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100
}
