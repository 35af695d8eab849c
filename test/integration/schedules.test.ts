// Schedules on the sandbox: a one-off and a recurring message go out on time and are in the
// history; pause and resume; runs missed while Linda was down follow each schedule's policy;
// daily times across the daylight-saving changes of Berlin and New York; `!remind`.
import { afterEach, describe, expect, it } from 'vitest'
import type { Schedule, ScheduleRun } from '../../src/schedules/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  contactWrites,
  startTestLinda,
  virtualPhone,
  waitFor,
  waitForReplies,
  type Page,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'
import { outboundByPhone, seedContacts } from './campaigns-support.js'

const running: TestLinda[] = []
async function start(...args: Parameters<typeof startTestLinda>): Promise<TestLinda> {
  const t = await startTestLinda(...args)
  running.push(t)
  return t
}

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((t) => t.stop()))
})

async function createSchedule(t: TestLinda, body: Record<string, unknown>): Promise<Schedule> {
  const res = await t.request<Schedule>('POST', '/api/v1/schedules', {
    accountId: t.accountId,
    message: { type: 'text', text: 'Hello {{name}}' },
    ...body,
  })
  if (res.status !== 201) throw new Error(`create schedule: ${res.status} ${res.body}`)
  return res.json
}

async function runsOf(t: TestLinda, id: string): Promise<ScheduleRun[]> {
  const res = await t.request<Page<ScheduleRun>>('GET', `/api/v1/schedules/${id}/runs?limit=200`)
  expect(res.status).toBe(200)
  return res.json.items
}

describe.each(testDialects())('schedules on %s', (dialect) => {
  it('sends a one-off on time to a contact, and keeps what it sent', async () => {
    const t = await start(dialect)
    const [contact] = await seedContacts(t, 1, { start: 600_000 })
    const at = new Date(Date.now() + 1500).toISOString()
    const s = await createSchedule(t, {
      name: 'Once',
      target: { type: 'contact', contactId: contact!.id },
      at,
    })
    expect(s).toMatchObject({ kind: 'once', status: 'active', nextRunAt: at, timezone: 'UTC' })
    const [run] = await waitFor(async () => {
      const runs = await runsOf(t, s.id)
      expect(runs[0]?.status).toBe('sent')
      return runs
    })
    expect(run).toMatchObject({
      scheduledFor: at,
      detail: { to: contact!.phone, content: { type: 'text', text: 'Hello Contact 600000' } },
    })
    // Sent no earlier than its time.
    const message = await t.request<{ createdAt: string }>(
      'GET',
      `/api/v1/messages/${run!.messageId}`,
    )
    expect(Date.parse(message.json.createdAt)).toBeGreaterThanOrEqual(Date.parse(at))
    const done = await t.request<Schedule>('GET', `/api/v1/schedules/${s.id}`)
    expect(done.json).toMatchObject({ status: 'completed', nextRunAt: null, runs: 1 })
  })

  it('repeats by cron, pauses and resumes, and lists upcoming runs', async () => {
    const t = await start(dialect)
    const phone = virtualPhone()
    const s = await createSchedule(t, {
      name: 'Every second',
      target: { type: 'phone', phone },
      cron: '* * * * * *',
      message: { type: 'text', text: 'tick' },
    })
    const upcoming = await t.request<{ items: Array<{ scheduleId: string; at: string }> }>(
      'GET',
      '/api/v1/schedules/upcoming?limit=3',
    )
    expect(upcoming.json.items).toHaveLength(3)
    expect(upcoming.json.items.every((i) => i.scheduleId === s.id)).toBe(true)
    await waitFor(async () => expect((await runsOf(t, s.id)).length).toBeGreaterThanOrEqual(2))

    const paused = await t.request<Schedule>('POST', `/api/v1/schedules/${s.id}/pause`)
    expect(paused.json.status).toBe('paused')
    expect((await t.request<Problem>('POST', `/api/v1/schedules/${s.id}/pause`)).status).toBe(409)
    // Whatever was claimed before the pause settles; then no run is added.
    const settled = await waitFor(async () => {
      const runs = await runsOf(t, s.id)
      expect(runs.every((r) => r.status === 'sent')).toBe(true)
      return runs.length
    })
    const upcomingPaused = await t.request<{ items: unknown[] }>(
      'GET',
      '/api/v1/schedules/upcoming',
    )
    expect(upcomingPaused.json.items).toEqual([])

    const resumed = await t.request<Schedule>('POST', `/api/v1/schedules/${s.id}/resume`)
    expect(resumed.json.status).toBe('active')
    await waitFor(async () => expect((await runsOf(t, s.id)).length).toBeGreaterThan(settled))
    const runs = await runsOf(t, s.id)
    // One message per run, each run at its own second.
    expect(new Set(runs.map((r) => r.scheduledFor)).size).toBe(runs.length)
    await t.request('DELETE', `/api/v1/schedules/${s.id}`)
    await waitFor(async () => {
      const sent = (await outboundByPhone(t)).get(phone) ?? 0
      const all = await t.linda.db.db
        .selectFrom('schedule_runs')
        .select('status')
        .where('schedule_id', '=', s.id)
        .execute()
      expect(all.filter((r) => r.status === 'sent')).toHaveLength(sent)
    })
  })

  it('applies each policy to runs missed while Linda was down', async () => {
    const first = await start(dialect)
    const skip = virtualPhone()
    const once = virtualPhone()
    const oneOff = virtualPhone()
    const daily = { cron: '*/5 * * * *', message: { type: 'text', text: 'daily' } }
    const a = await createSchedule(first, {
      name: 'Skip',
      target: { type: 'phone', phone: skip },
      missedPolicy: 'skip',
      ...daily,
    })
    const b = await createSchedule(first, {
      name: 'Once',
      target: { type: 'phone', phone: once },
      missedPolicy: 'run_once',
      ...daily,
    })
    const c = await createSchedule(first, {
      name: 'One-off',
      target: { type: 'phone', phone: oneOff },
      at: new Date(Date.now() + 3600_000).toISOString(),
      missedPolicy: 'skip',
    })
    await first.stop()
    // Linda was down for an hour: every schedule's next run is an hour ago.
    const handle = await import('../../src/platform/db/index.js').then((m) =>
      m.openDb({ databaseUrl: first.databaseUrl, sqlitePath: first.linda.config.sqlitePath }),
    )
    const hourAgo = new Date(Date.now() - 3600_000)
    hourAgo.setUTCMinutes(Math.floor(hourAgo.getUTCMinutes() / 5) * 5, 0, 0)
    await handle.db
      .updateTable('schedules')
      .set({ next_run_at: hourAgo.toISOString() })
      .where('id', 'in', [a.id, b.id, c.id])
      .execute()
    await handle.close()

    const t = await start(dialect, {
      dataDir: first.dataDir,
      databaseUrl: first.databaseUrl,
      apiKey: first.apiKey,
    })
    const [skipped, ranOnce, oneOffRuns] = await waitFor(async () => {
      const all = await Promise.all([a, b, c].map((s) => runsOf(t, s.id)))
      expect(all.map((r) => r.length)).toEqual([1, 1, 1])
      expect(all[1]![0]!.status).toBe('sent')
      return all
    })
    expect(skipped![0]).toMatchObject({ status: 'missed', scheduledFor: hourAgo.toISOString() })
    expect((skipped![0]!.detail as { missed: number }).missed).toBeGreaterThanOrEqual(12)
    expect((ranOnce![0]!.detail as { missed: number }).missed).toBeGreaterThanOrEqual(12)
    expect(oneOffRuns![0]).toMatchObject({ status: 'missed' })
    const sent = await outboundByPhone(t)
    expect(sent.get(skip)).toBeUndefined()
    expect(sent.get(once)).toBe(1)
    expect(sent.get(oneOff)).toBeUndefined()
    for (const s of [a, b]) {
      const now = await t.request<Schedule>('GET', `/api/v1/schedules/${s.id}`)
      expect(Date.parse(now.json.nextRunAt!)).toBeGreaterThan(Date.now() - 60_000)
    }
    const gone = await t.request<Schedule>('GET', `/api/v1/schedules/${c.id}`)
    expect(gone.json.status).toBe('completed')
  })

  it('runs a daily time once across the DST changes of Berlin and New York', async () => {
    const t = await start(dialect)
    const cases = [
      // zone, daily time, the day's run (UTC), the next day's (UTC)
      ['Europe/Berlin', '30 2 * * *', '2027-03-28T01:30:00.000Z', '2027-03-29T00:30:00.000Z'],
      ['Europe/Berlin', '30 2 * * *', '2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z'],
      ['America/New_York', '30 2 * * *', '2027-03-14T07:30:00.000Z', '2027-03-15T06:30:00.000Z'],
      ['America/New_York', '30 1 * * *', '2027-11-07T05:30:00.000Z', '2027-11-08T06:30:00.000Z'],
    ] as const
    for (const [timezone, cron, due, next] of cases) {
      const phone = virtualPhone()
      const s = await createSchedule(t, {
        name: `${timezone} ${due}`,
        target: { type: 'phone', phone },
        cron,
        timezone,
      })
      await t.linda.db.db
        .updateTable('schedules')
        .set({ next_run_at: due })
        .where('id', '=', s.id)
        .execute()
      // The scheduler's tick at that moment (the real one only sees it in 2027).
      expect(await t.linda.schedules.tick(Date.parse(due) + 200)).toBeGreaterThanOrEqual(1)
      const after = await t.request<Schedule>('GET', `/api/v1/schedules/${s.id}`)
      expect(after.json.nextRunAt).toBe(next)
      const runs = await waitFor(async () => {
        const runs = await runsOf(t, s.id)
        expect(runs[0]?.status).toBe('sent')
        return runs
      })
      expect(runs.map((r) => r.scheduledFor)).toEqual([due])
      // Ticking again at the same moment (the overlap's second 02:30) claims nothing more.
      await t.linda.schedules.tick(Date.parse(due) + 3600_000)
      expect(await runsOf(t, s.id)).toHaveLength(1)
    }
  })

  it('creates a reminder from WhatsApp for an admin, and refuses others', async () => {
    const t = await start(dialect)
    const admin = virtualPhone()
    await t.setAccountSettings({ adminNumbers: [admin], timezone: 'Asia/Dubai' })
    await contactWrites(t, admin, '!remind in 2h Call Aisha')
    const [reply] = await waitForReplies(t, admin, (r) => r.length === 1)
    expect(reply!.text).toMatch(/^OK, I will remind you on .* \(Asia\/Dubai\): Call Aisha$/)
    const list = await t.request<Page<Schedule>>('GET', '/api/v1/schedules')
    const reminder = list.json.items.find((s) => s.createdBy === `whatsapp:${admin}`)
    expect(reminder).toMatchObject({
      kind: 'once',
      target: { type: 'phone', phone: admin },
      message: { type: 'text', text: '⏰ Reminder: Call Aisha' },
      timezone: 'Asia/Dubai',
    })
    const inTwoHours = Date.now() + 2 * 3600_000
    expect(Math.abs(Date.parse(reminder!.at!) - inTwoHours)).toBeLessThan(60_000)

    await contactWrites(t, admin, '!remind whenever')
    const [unreadable] = await waitForReplies(t, admin, (r) => r.length === 2)
    expect(unreadable!.text).toContain('I could not read when')

    const stranger = virtualPhone()
    await contactWrites(t, stranger, '!remind in 1h hi')
    const [refused] = await waitForReplies(t, stranger, (r) => r.length === 1)
    expect(refused!.text).toContain("Only this account's team")
  })

  it('refuses bad schedules, naming the field, and stores nothing', async () => {
    const t = await start(dialect)
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ target: { type: 'phone', phone: '+15550001111' }, cron: 'every day' }, 400, 'body.cron'],
      [
        { target: { type: 'phone', phone: '+15550001111' }, at: '2020-01-01T00:00:00Z' },
        400,
        'body.at',
      ],
      [{ target: { type: 'phone', phone: '+15550001111' }, at: 'soon' }, 400, 'body.at'],
      [
        {
          target: { type: 'phone', phone: '+15550001111' },
          at: '2030-01-01T00:00',
          cron: '* * * * *',
        },
        400,
        'body.at',
      ],
      [{ target: { type: 'phone', phone: '+1555' }, cron: '* * * * *' }, 422, 'body.target.phone'],
      [
        { target: { type: 'contact', contactId: 'nope' }, cron: '* * * * *' },
        400,
        'body.target.contactId',
      ],
      [
        {
          target: { type: 'phone', phone: '+15550001111' },
          cron: '* * * * *',
          timezone: 'Mars/Base',
        },
        400,
        'body.timezone',
      ],
      [
        { target: { type: 'phone', phone: '+15550001111' }, cron: '* * * * *', accountId: 'nope' },
        404,
        'body.accountId',
      ],
    ]
    for (const [body, status, path] of cases) {
      const res = await t.request<Problem>('POST', '/api/v1/schedules', {
        name: 'bad',
        accountId: t.accountId,
        message: { type: 'text', text: 'x' },
        ...body,
      })
      expect({ status: res.status, paths: res.json.errors?.map((e) => e.path) }).toEqual({
        status,
        paths: expect.arrayContaining([path]),
      })
    }
    const list = await t.request<Page<Schedule>>('GET', '/api/v1/schedules')
    expect(list.json.items).toEqual([])
    expect((await t.request<Problem>('GET', '/api/v1/schedules/nope')).json.code).toBe(
      'SCHEDULE_NOT_FOUND',
    )
  })
})
