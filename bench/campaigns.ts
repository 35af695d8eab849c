// Campaigns and schedules: building a campaign's recipients (100,000 contacts), dispatch to
// the sandbox with throttling off and on, and the scheduler with 10,000 active schedules
// (the cost of a tick, and how late runs fire). Bounded: each part has a fixed size.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLinda, type Linda } from '../src/app.js'
import type { CreateCampaignInput } from '../src/campaigns/index.js'
import { createCampaignBody } from '../src/campaigns/index.js'
import { loadConfig } from '../src/config.js'
import { newId } from '../src/platform/ids.js'
import { createLogger } from '../src/platform/logging.js'

export interface CampaignBenchResult {
  build: { recipients: number; seconds: number }
  dispatch: { messages: number; seconds: number; messagesPerSecond: number }
  throttled: {
    settingPerMinute: number
    messages: number
    measuredPerMinute: number
    deviationPercent: number
  }
  schedules: {
    active: number
    idleTickP50Ms: number
    idleTickP99Ms: number
    busyTickMeanMs: number
    runs: number
    fireDelayP50Ms: number
    fireDelayP99Ms: number
    fireDelayMaxMs: number
    sendDelayP99Ms: number
  }
}

const round = (n: number) => Math.round(n * 100) / 100
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

async function seedContacts(linda: Linda, n: number, tag: (i: number) => string): Promise<void> {
  const now = new Date().toISOString()
  for (let i = 0; i < n; i += 2000) {
    await linda.db.db
      .insertInto('contacts')
      .values(
        Array.from({ length: Math.min(2000, n - i) }, (_, k) => ({
          id: newId(),
          phone: `+1555${String(i + k + 1).padStart(7, '0')}`,
          name: `Contact ${i + k + 1}`,
          tags: JSON.stringify([tag(i + k)]),
          attributes: '{}',
          created_at: now,
          updated_at: now,
        })),
      )
      .execute()
  }
}

function input(
  linda: Linda,
  accountId: string,
  body: Record<string, unknown>,
): CreateCampaignInput {
  void linda
  return createCampaignBody.parse({
    name: 'bench',
    accounts: [accountId],
    message: { type: 'text', text: 'Hello {{name}}' },
    ...body,
  })
}

async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await pause(10)
  }
}

async function status(linda: Linda, id: string): Promise<string> {
  const row = await linda.db.db
    .selectFrom('campaigns')
    .select('status')
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
  return row.status
}

async function unsent(linda: Linda, id: string): Promise<number> {
  const row = await linda.db.db
    .selectFrom('campaign_recipients')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('campaign_id', '=', id)
    .where('state', 'in', ['pending', 'queued'])
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function benchCampaigns(options: {
  buildRecipients: number
  dispatchMessages: number
  throttledSeconds: number
  schedules: number
  log: (line: string) => void
}): Promise<CampaignBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'linda-bench-campaigns-'))
  const config = loadConfig({ dataDir, port: 0 }, { LINDA_LOG_LEVEL: 'silent' })
  const linda = await createLinda(config, { logger: createLogger('silent') })
  try {
    await linda.start()
    const [account] = await linda.accounts.list({ limit: 1 })
    if (!account) throw new Error('no sandbox account')

    // ---- build: the audience resolved and the recipients stored ----
    options.log(`campaigns: seeding ${options.buildRecipients} contacts…`)
    await seedContacts(linda, options.buildRecipients, (i) =>
      i < options.dispatchMessages ? 'dispatch' : 'other',
    )
    options.log(`campaigns: building a campaign for ${options.buildRecipients} recipients…`)
    const big = await linda.campaigns.create(
      input(linda, account.id, { audience: { type: 'all' }, throttle: { perMinute: 1 } }),
    )
    const t0 = performance.now()
    await linda.campaigns.start(big.id)
    await until(async () => (await status(linda, big.id)) === 'running', 120_000, 'the build')
    const buildSeconds = (performance.now() - t0) / 1000
    await linda.campaigns.cancel(big.id)

    // ---- dispatch with throttling off ----
    options.log(`campaigns: dispatching ${options.dispatchMessages} messages, unthrottled…`)
    const fast = await linda.campaigns.create(
      input(linda, account.id, { audience: { type: 'tags', any: ['dispatch'] } }),
    )
    await linda.campaigns.start(fast.id)
    await until(async () => (await status(linda, fast.id)) !== 'building', 60_000, 'the build')
    const t1 = performance.now()
    await until(async () => (await unsent(linda, fast.id)) === 0, 300_000, 'the dispatch')
    const dispatchSeconds = (performance.now() - t1) / 1000

    // ---- dispatch throttled: the measured rate against the setting ----
    const perMinute = 3000
    const throttledMessages = Math.round((perMinute / 60) * options.throttledSeconds)
    options.log(`campaigns: ${throttledMessages} messages at ${perMinute}/min…`)
    const paced = await linda.campaigns.create(
      input(linda, account.id, {
        audience: { type: 'tags', any: ['other'] },
        throttle: { perMinute },
      }),
    )
    await linda.campaigns.start(paced.id)
    await until(
      async () => {
        const row = await linda.db.db
          .selectFrom('campaign_recipients')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('campaign_id', '=', paced.id)
          .where('state', '!=', 'pending')
          .executeTakeFirstOrThrow()
        return Number(row.n) >= throttledMessages
      },
      options.throttledSeconds * 3000,
      'the throttled sends',
    )
    await linda.campaigns.cancel(paced.id)
    const times = await linda.db.db
      .selectFrom('campaign_recipients as r')
      .innerJoin('messages as m', 'm.id', 'r.message_id')
      .select('m.created_at')
      .where('r.campaign_id', '=', paced.id)
      .orderBy('m.created_at')
      .execute()
    // The rate is the slope of send times against their rank (least squares): one late
    // timer at either end does not tilt it, as it would tilt (last − first) / count.
    const ts = times.map((r) => Date.parse(r.created_at))
    const n = ts.length
    const meanX = (n - 1) / 2
    const meanY = ts.reduce((a, b) => a + b, 0) / n
    let num = 0
    let den = 0
    ts.forEach((y, x) => {
      num += (x - meanX) * (y - meanY)
      den += (x - meanX) ** 2
    })
    const measuredPerMinute = 60_000 / (num / den)

    // ---- schedules ----
    const result = await benchSchedules(linda, account.id, options.schedules, options.log)

    return {
      build: { recipients: options.buildRecipients, seconds: round(buildSeconds) },
      dispatch: {
        messages: options.dispatchMessages,
        seconds: round(dispatchSeconds),
        messagesPerSecond: Math.round(options.dispatchMessages / dispatchSeconds),
      },
      throttled: {
        settingPerMinute: perMinute,
        messages: times.length,
        measuredPerMinute: round(measuredPerMinute),
        deviationPercent: round((Math.abs(measuredPerMinute - perMinute) / perMinute) * 100),
      },
      schedules: result,
    }
  } finally {
    await linda.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/**
 * 10,000 active schedules to one-off numbers: the ticks' cost with none due, then with runs
 * coming due over a few seconds (the scheduler is driven here, tick by tick, as it runs).
 */
async function benchSchedules(
  linda: Linda,
  accountId: string,
  n: number,
  log: (line: string) => void,
): Promise<CampaignBenchResult['schedules']> {
  await linda.schedules.stop()
  log(`schedules: ${n} active schedules…`)
  const now = Date.now()
  // A tenth come due over 5 s starting 3 s from now; the rest in a day.
  const due = Math.round(n / 10)
  const created = new Date().toISOString()
  const rows = Array.from({ length: n }, (_, i) => {
    const at = new Date(
      i < due ? now + 3000 + Math.floor((i / due) * 5000) : now + 86_400_000 + i * 1000,
    ).toISOString()
    return {
      id: newId(),
      name: `bench ${i}`,
      account_id: accountId,
      target: JSON.stringify({ type: 'phone', phone: `+1556${String(i + 1).padStart(7, '0')}` }),
      message: JSON.stringify({ type: 'text', text: 'scheduled' }),
      kind: 'once',
      cron: null,
      at,
      timezone: 'UTC',
      missed_policy: 'run_once',
      status: 'active',
      next_run_at: at,
      created_by: null,
      created_at: created,
      updated_at: created,
    }
  })
  for (let i = 0; i < rows.length; i += 1000) {
    await linda.db.db
      .insertInto('schedules')
      .values(rows.slice(i, i + 1000))
      .execute()
  }

  const idle: number[] = []
  for (let i = 0; i < 50; i++) {
    const t = performance.now()
    await linda.schedules.tick()
    idle.push(performance.now() - t)
  }
  idle.sort((a, b) => a - b)

  log(`schedules: ${due} runs coming due over 5 s…`)
  const busy: number[] = []
  const end = now + 3000 + 5000 + 1000
  while (Date.now() < end) {
    const t = performance.now()
    await linda.schedules.tick()
    busy.push(performance.now() - t)
    await pause(250)
  }
  await until(
    async () => {
      const row = await linda.db.db
        .selectFrom('schedule_runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '!=', 'pending')
        .executeTakeFirstOrThrow()
      return Number(row.n) >= due
    },
    120_000,
    'the runs',
  )
  const runs = await linda.db.db
    .selectFrom('schedule_runs as r')
    .leftJoin('messages as m', 'm.id', 'r.message_id')
    .select(['r.scheduled_for', 'r.created_at', 'm.created_at as sent_at'])
    .execute()
  const fire = runs
    .map((r) => Date.parse(r.created_at) - Date.parse(r.scheduled_for))
    .sort((a, b) => a - b)
  const send = runs
    .filter((r) => r.sent_at)
    .map((r) => Date.parse(r.sent_at!) - Date.parse(r.scheduled_for))
    .sort((a, b) => a - b)
  return {
    active: n,
    idleTickP50Ms: round(percentile(idle, 50)),
    idleTickP99Ms: round(percentile(idle, 99)),
    busyTickMeanMs: round(busy.reduce((s, x) => s + x, 0) / busy.length),
    runs: runs.length,
    fireDelayP50Ms: round(percentile(fire, 50)),
    fireDelayP99Ms: round(percentile(fire, 99)),
    fireDelayMaxMs: round(fire[fire.length - 1] ?? NaN),
    sendDelayP99Ms: round(percentile(send, 99)),
  }
}

/** The sizes of the section: 100,000 recipients to build, 10,000 schedules; smaller dispatches with --quick. */
export function campaignBenchSizes(quick: boolean) {
  return {
    buildRecipients: 100_000,
    dispatchMessages: quick ? 5_000 : 20_000,
    throttledSeconds: quick ? 5 : 10,
    schedules: 10_000,
  }
}
