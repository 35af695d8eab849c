// `npm run bench`: runs the benchmarks, prints a table and writes bench/results/*.json.
// Options: --quick (smaller runs, for a smoke check); --only contacts (that section alone).
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { benchAccounts } from './accounts.js'
import { benchBotDispatcher } from './bot-dispatcher.js'
import { benchBaileysSessions } from './baileys-sessions.js'
import { benchAuth } from './auth.js'
import { benchCampaigns, campaignBenchSizes } from './campaigns.js'
import { benchCloudPipeline } from './cloud-pipeline.js'
import { benchFlows } from './flows.js'
import { benchContacts, type ContactsBenchResult } from './contacts.js'
import { benchIdleRss } from './idle-rss.js'
import { benchInboundPipeline } from './inbound-pipeline.js'
import { benchTemplatesLanguages } from './templates-languages.js'
import { benchSender } from './sender.js'

const quick = process.argv.includes('--quick')
const only = process.argv.includes('--only')
  ? process.argv[process.argv.indexOf('--only') + 1]
  : undefined
const log = (line: string) => process.stderr.write(`  … ${line}\n`)

const targets = {
  messagesPerSecond: 3000,
  p99Ms: 50,
  idleRssMb: 100,
  cloudMessagesPerSecond: 2000,
  cloudP99Ms: 50,
  accountCreateMedianMs: 20,
  botMessagesPerSecond: 20_000,
  botMatchP99Ms: 1,
  flowTriggerChecksPerSecond: 100_000,
  contactsFilterP95Ms: 50,
  contactsSearchP95Ms: 50,
  contactsSegmentCountMs: 200,
  senderMessagesPerSecond: 3000,
  /** 80/s on each of 10 accounts: within 2 % of 800/s, never above 80 in any second. */
  senderLimitedRate: 800,
  senderLimitedDeviationPercent: 2,
  campaignBuildSeconds: 5,
  campaignMessagesPerSecond: 3000,
  throttleDeviationPercent: 2,
  scheduleTickMs: 10,
  scheduleFireDelayMs: 1000,
}

const contactsCount = quick ? 100_000 : 1_000_000

function contactsRows(c: ContactsBenchResult): Array<[string, string, string, boolean]> {
  const n = c.contacts.toLocaleString('en')
  return [
    [`contacts: generate ${n} (batched)`, `${c.generateSeconds} s`, '', true],
    [
      `contacts: 2 tags + range, page p95`,
      `${c.filterP95Ms} ms`,
      `< ${targets.contactsFilterP95Ms}`,
      c.filterP95Ms < targets.contactsFilterP95Ms,
    ],
    [`contacts: same, CPU p95`, `${c.cpu.filterP95Ms} ms`, '', true],
    [`contacts: same, count p95`, `${c.filterCountP95Ms} ms`, '', true],
    [
      `contacts: full-text search p95`,
      `${c.searchP95Ms} ms`,
      `< ${targets.contactsSearchP95Ms}`,
      c.searchP95Ms < targets.contactsSearchP95Ms,
    ],
    [`contacts: search, CPU p95`, `${c.cpu.searchP95Ms} ms`, '', true],
    [
      `contacts: count a segment (max of 20)`,
      `${c.segmentCountMaxMs} ms`,
      `< ${targets.contactsSegmentCountMs}`,
      c.segmentCountMaxMs < targets.contactsSegmentCountMs,
    ],
    [`contacts: segment count, CPU p95`, `${c.cpu.segmentCountP95Ms} ms`, '', true],
    [`contacts: database size`, `${c.dbMb} MB`, '', true],
  ]
}

if (only === 'contacts') {
  const contacts = await benchContacts({ contacts: contactsCount, log })
  for (const [metric, value, target, ok] of contactsRows(contacts)) {
    process.stdout.write(
      `${metric.padEnd(44)}${value.padEnd(16)}${target.padEnd(10)}${target ? (ok ? 'ok' : 'MISSED') : ''}\n`,
    )
  }
  mkdirSync('bench/results', { recursive: true })
  const at = new Date().toISOString()
  const file = `bench/results/contacts-${at.replace(/[:.]/g, '-')}.json`
  writeFileSync(
    file,
    JSON.stringify({ benchmark: 'contacts', at, quick, contacts }, null, 2) + '\n',
  )
  process.stdout.write(`\nwritten to ${file}\n`)
  process.exit(0)
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
const bot = await benchBotDispatcher({
  rules: 1000,
  flows: 50,
  messages: quick ? 5000 : 30_000,
  log,
})
const flows = await benchFlows({ flows: 50, messages: quick ? 20_000 : 200_000, log })
const baileys = await benchBaileysSessions({ sessions: quick ? 5 : 20, restarts: 5, log })
const content = await benchTemplatesLanguages({
  iterations: quick ? 20_000 : 100_000,
  maxSeconds: quick ? 2 : 5,
  log,
})
const auth = await benchAuth({ signIns: quick ? 10 : 30, requests: quick ? 500 : 2000, log })
const contacts = await benchContacts({ contacts: contactsCount, log })
const sender = await benchSender({
  unlimitedMessages: quick ? 5000 : 15_000,
  limitedSeconds: quick ? 5 : 10,
  log,
})
const campaigns = await benchCampaigns({ ...campaignBenchSizes(quick), log })

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
    `bot: dispatcher, ${bot.rules} rules, ${bot.flows} flows`,
    `${bot.dispatchPerSecond} msg/s`,
    `≥ ${targets.botMessagesPerSecond}`,
    bot.dispatchPerSecond >= targets.botMessagesPerSecond,
  ],
  [`bot: dispatcher p99 per message`, `${bot.dispatchP99Ms} ms`, '', true],
  [`bot: rule matching, ${bot.rules} rules`, `${bot.matchPerSecond} msg/s`, '', true],
  [
    `bot: rule matching p99 per message`,
    `${bot.matchP99Ms} ms`,
    `< ${targets.botMatchP99Ms}`,
    bot.matchP99Ms < targets.botMatchP99Ms,
  ],
  [
    `flow keyword match, ${flows.flows} flows`,
    `${flows.triggerChecksPerSecond} msg/s`,
    `≥ ${targets.flowTriggerChecksPerSecond}`,
    flows.triggerChecksPerSecond >= targets.flowTriggerChecksPerSecond,
  ],
  [`flow keyword match p99`, `${flows.triggerP99Us} µs`, '', true],
  [`flow engine (answer → next question)`, `${flows.engineRunsPerSecond} runs/s`, '', true],
  [
    `WhatsApp Web: RSS per session (${baileys.sessions} workers)`,
    `${baileys.rssPerSessionMb} MB`,
    '',
    true,
  ],
  [`WhatsApp Web: heap of a session's worker`, `${baileys.workerHeapMedianMb} MB`, '', true],
  [`WhatsApp Web: create a session (median)`, `${baileys.createMedianMs} ms`, '', true],
  [`WhatsApp Web: crashed session back (median)`, `${baileys.restartMedianMs} ms`, '', true],
  ['template renders (ICU, 3 locales)', `${content.rendersPerSecond}/s`, '', true],
  ['template renders (Cloud API template)', `${content.cloudRendersPerSecond}/s`, '', true],
  ['language detections (short texts)', `${content.detectionsPerSecond}/s`, '', true],
  ['language detector heap (loaded)', `${content.detectorHeapMb} MB`, '', true],
  [`sign-in (argon2id, median)`, `${auth.signInMedianMs} ms`, '', true],
  [`sign-in p95`, `${auth.signInP95Ms} ms`, '', true],
  [`GET /auth/me with a session`, `${auth.sessionRequestsPerSecond} req/s`, '', true],
  [`GET /auth/me with an API key`, `${auth.keyRequestsPerSecond} req/s`, '', true],
  ...contactsRows(contacts),
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
  [
    `campaign build, ${campaigns.build.recipients} recipients`,
    `${campaigns.build.seconds} s`,
    `< ${targets.campaignBuildSeconds}`,
    campaigns.build.seconds < targets.campaignBuildSeconds,
  ],
  [
    `campaign dispatch, unthrottled (${campaigns.dispatch.messages})`,
    `${campaigns.dispatch.messagesPerSecond} msg/s`,
    `≥ ${targets.campaignMessagesPerSecond}`,
    campaigns.dispatch.messagesPerSecond >= targets.campaignMessagesPerSecond,
  ],
  [
    `campaign throttled at ${campaigns.throttled.settingPerMinute}/min`,
    `${campaigns.throttled.measuredPerMinute}/min`,
    `± ${targets.throttleDeviationPercent} %`,
    campaigns.throttled.deviationPercent <= targets.throttleDeviationPercent,
  ],
  [
    `scheduler tick, ${campaigns.schedules.active} active (idle p99)`,
    `${campaigns.schedules.idleTickP99Ms} ms`,
    `< ${targets.scheduleTickMs}`,
    campaigns.schedules.idleTickP99Ms < targets.scheduleTickMs,
  ],
  [
    `scheduler tick while runs come due (mean)`,
    `${campaigns.schedules.busyTickMeanMs} ms`,
    `< ${targets.scheduleTickMs}`,
    campaigns.schedules.busyTickMeanMs < targets.scheduleTickMs,
  ],
  [
    `schedule runs fired late (max of ${campaigns.schedules.runs})`,
    `${campaigns.schedules.fireDelayMaxMs} ms`,
    `< ${targets.scheduleFireDelayMs}`,
    campaigns.schedules.fireDelayMaxMs < targets.scheduleFireDelayMs,
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
  bot,
  flows,
  baileys,
  templatesLanguages: content,
  auth,
  contacts,
  sender,
  campaigns,
}
mkdirSync('bench/results', { recursive: true })
const file = `bench/results/linda-${result.at.replace(/[:.]/g, '-')}.json`
writeFileSync(file, JSON.stringify(result, null, 2) + '\n')
writeFileSync('bench/results/latest.json', JSON.stringify(result, null, 2) + '\n')
process.stdout.write(`\nwritten to ${file}\n`)
