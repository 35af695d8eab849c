// `npm run bench`: runs the benchmarks, prints a table and writes bench/results/*.json.
// Options: --quick (smaller runs, for a smoke check).
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { benchAccounts } from './accounts.js'
import { benchCloudPipeline } from './cloud-pipeline.js'
import { benchIdleRss } from './idle-rss.js'
import { benchInboundPipeline } from './inbound-pipeline.js'
import { benchSender } from './sender.js'

const quick = process.argv.includes('--quick')
const log = (line: string) => process.stderr.write(`  … ${line}\n`)

const targets = {
  messagesPerSecond: 3000,
  p99Ms: 50,
  idleRssMb: 100,
  cloudMessagesPerSecond: 2000,
  cloudP99Ms: 50,
  accountCreateMedianMs: 20,
  senderMessagesPerSecond: 3000,
  /** 80/s on each of 10 accounts: within 2 % of 800/s, never above 80 in any second. */
  senderLimitedRate: 800,
  senderLimitedDeviationPercent: 2,
}

const pipeline = await benchInboundPipeline({
  throughputMessages: quick ? 5000 : 30_000,
  latencyRates: [targets.messagesPerSecond, 1000],
  latencySeconds: quick ? 3 : 10,
  log,
})
const idle = await benchIdleRss(quick ? 10_000 : 15_000)
const cloud = await benchCloudPipeline({ concurrency: 64, seconds: quick ? 5 : 15, log })
const accounts = await benchAccounts({ accounts: 50, log })
const sender = await benchSender({
  unlimitedMessages: quick ? 5000 : 15_000,
  limitedSeconds: quick ? 5 : 10,
  log,
})

const rows: Array<[string, string, string, boolean]> = [
  [
    'sandbox pipeline: sustained throughput',
    `${pipeline.throughput.messagesPerSecond} msg/s`,
    `≥ ${targets.messagesPerSecond}`,
    pipeline.throughput.messagesPerSecond >= targets.messagesPerSecond,
  ],
]
for (const l of pipeline.latency) {
  const atTarget = l.targetRate === targets.messagesPerSecond
  rows.push(
    [`latency p50 @ ${l.targetRate}/s (got ${l.achievedRate}/s)`, `${l.p50Ms} ms`, '', true],
    [`latency p95 @ ${l.targetRate}/s`, `${l.p95Ms} ms`, '', true],
    [
      `latency p99 @ ${l.targetRate}/s (inbound → sent)`,
      `${l.p99Ms} ms`,
      atTarget ? `< ${targets.p99Ms}` : '',
      !atTarget || l.p99Ms < targets.p99Ms,
    ],
  )
}
rows.push(
  ['peak RSS (bench process)', `${pipeline.peakRssMb} MB`, '', true],
  [
    'idle RSS (linda start, settled)',
    `${idle.idleRssMb} MB`,
    `< ${targets.idleRssMb}`,
    idle.idleRssMb < targets.idleRssMb,
  ],
  [
    `cloud e2e @ concurrency ${cloud.concurrency}`,
    `${cloud.messagesPerSecond} msg/s`,
    `≥ ${targets.cloudMessagesPerSecond}`,
    cloud.messagesPerSecond >= targets.cloudMessagesPerSecond,
  ],
  [`cloud e2e p50`, `${cloud.p50Ms} ms`, '', true],
  [
    `cloud e2e p99 (webhook in → reply at Meta)`,
    `${cloud.p99Ms} ms`,
    `< ${targets.cloudP99Ms}`,
    cloud.p99Ms < targets.cloudP99Ms,
  ],
  [
    `create an account (median of ${accounts.accounts})`,
    `${accounts.createMedianMs} ms`,
    `< ${targets.accountCreateMedianMs}`,
    accounts.createMedianMs < targets.accountCreateMedianMs,
  ],
  [`memory per connected account (heap)`, `${accounts.heapPerAccountKb} KB`, '', true],
  [
    'sender, limits off (queued → sandbox)',
    `${sender.unlimited.messagesPerSecond} msg/s`,
    `≥ ${targets.senderMessagesPerSecond}`,
    sender.unlimited.messagesPerSecond >= targets.senderMessagesPerSecond,
  ],
  [
    `sender, ${sender.limited.ratePerAccount}/s × ${sender.limited.accounts} accounts`,
    `${sender.limited.messagesPerSecond} msg/s`,
    `${targets.senderLimitedRate} ± ${targets.senderLimitedDeviationPercent} %`,
    Math.abs(sender.limited.deviationPercent) <= targets.senderLimitedDeviationPercent,
  ],
  [
    `sender, busiest 1-s window of one account`,
    `${sender.limited.busiestSecond} sends`,
    `≤ ${sender.limited.ratePerAccount}`,
    sender.limited.busiestSecond <= sender.limited.ratePerAccount,
  ],
)

const width = [44, 16, 10]
process.stdout.write(
  `\nLinda benchmarks (SQLite, ${cpus().length} cores, Node ${process.version})\n`,
)
process.stdout.write(
  `${'metric'.padEnd(width[0]!)}${'measured'.padEnd(width[1]!)}${'target'.padEnd(width[2]!)}\n`,
)
for (const [metric, value, target, ok] of rows) {
  process.stdout.write(
    `${metric.padEnd(width[0]!)}${value.padEnd(width[1]!)}${target.padEnd(width[2]!)}${target ? (ok ? 'ok' : 'MISSED') : ''}\n`,
  )
}

const result = {
  benchmark: 'linda',
  at: new Date().toISOString(),
  quick,
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  targets,
  ...pipeline,
  ...idle,
  cloud,
  accounts,
  sender,
}
mkdirSync('bench/results', { recursive: true })
const file = `bench/results/linda-${result.at.replace(/[:.]/g, '-')}.json`
writeFileSync(file, JSON.stringify(result, null, 2) + '\n')
writeFileSync('bench/results/latest.json', JSON.stringify(result, null, 2) + '\n')
process.stdout.write(`\nwritten to ${file}\n`)
