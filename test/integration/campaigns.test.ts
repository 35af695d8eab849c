// Campaigns end to end on the sandbox: the audience is stored when a campaign starts, every
// recipient ends in one state (sent to once, or skipped with the reason), receipts and
// replies move them on, pause/resume/cancel hold, quiet hours defer, a failing campaign
// pauses itself, and the report lists every recipient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Campaign } from '../../src/campaigns/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  contactWrites,
  startTestLinda,
  waitFor,
  type Page,
  type Problem,
  type TestLinda,
  virtualPhone,
} from '../helpers/linda.js'
import {
  campaignAction,
  createCampaign,
  outboundByPhone,
  phoneOf,
  seedContacts,
  waitForCampaign,
} from './campaigns-support.js'

interface Recipient {
  id: number
  phone: string
  state: string
  reason: string | null
  messageId: string | null
}

async function allRecipients(t: TestLinda, id: string): Promise<Recipient[]> {
  const all: Recipient[] = []
  let cursor: string | null = null
  do {
    const query: string = cursor ? `&cursor=${cursor}` : ''
    const res = await t.request<Page<Recipient>>(
      'GET',
      `/api/v1/campaigns/${id}/recipients?limit=1000${query}`,
    )
    expect(res.status).toBe(200)
    all.push(...res.json.items)
    cursor = res.json.nextCursor
  } while (cursor)
  return all
}

describe.each(testDialects())('campaigns on %s', (dialect) => {
  let t: TestLinda

  beforeAll(async () => {
    t = await startTestLinda(dialect)
  })

  afterAll(async () => {
    await t?.stop()
  })

  it('takes its audience from a contacts filter or a saved segment, opted-out contacts excluded', async () => {
    const tag = `fvip${Date.now()}`
    const phones = [virtualPhone(), virtualPhone(), virtualPhone()]
    for (const [i, phone] of phones.entries()) {
      const made = await t.request('POST', '/api/v1/contacts', {
        phone,
        tags: i < 2 ? [tag] : ['other'],
      })
      expect(made.status, made.body).toBe(201)
    }
    const optOut = await t.request<{ items: Array<{ id: string; phone: string }> }>(
      'GET',
      `/api/v1/contacts?filter=${encodeURIComponent(`tag:${tag}`)}`,
    )
    const first = optOut.json.items.find((c) => c.phone === phones[0])!
    expect((await t.request('POST', `/api/v1/contacts/${first.id}/opt-out`, {})).status).toBe(200)
    const message = { type: 'text', text: 'Hello' }
    const byFilter = await t.request<{
      audience: number
      recipients: number
      excluded: Record<string, number>
    }>('POST', '/api/v1/campaigns/dry-run', {
      name: 'f',
      audience: { type: 'filter', filter: `tag:${tag}` },
      message,
      accounts: [t.accountId],
    })
    expect(byFilter.status, byFilter.body).toBe(200)
    expect(byFilter.json).toMatchObject({ audience: 2, recipients: 1, excluded: { opted_out: 1 } })
    const segment = await t.request<{ id: string }>('POST', '/api/v1/segments', {
      name: `seg ${tag}`,
      filter: `tag:${tag}`,
    })
    expect(segment.status, segment.body).toBe(201)
    const bySegment = await t.request<{ audience: number; recipients: number }>(
      'POST',
      '/api/v1/campaigns/dry-run',
      {
        name: 's',
        audience: { type: 'segment', segmentId: segment.json.id },
        message,
        accounts: [t.accountId],
      },
    )
    expect(bySegment.status, bySegment.body).toBe(200)
    expect(bySegment.json).toMatchObject({ audience: 2, recipients: 1 })
  })

  it('sends to each recipient once and ends every one in one state, with the right counts', async () => {
    // 5,000 entries: 4,850 contacts (every 25th opted out), 100 invalid numbers, 50 repeats.
    const contacts = await seedContacts(t, 4850, { start: 100_000, optedOut: (i) => i % 25 === 0 })
    const optedOut = contacts.filter((_, k) => (100_000 + k) % 25 === 0).map((c) => c.phone)
    const recipients = [
      ...contacts.map((c, k) => ({ phone: c.phone, vars: { code: `C${k}` } })),
      ...Array.from({ length: 100 }, (_, k) => ({ phone: `+1 555 ${k}` })),
      ...contacts.slice(0, 50).map((c) => ({ phone: c.phone })),
    ]
    const body = {
      name: 'Five thousand',
      audience: { type: 'list', recipients },
      message: { type: 'text', text: 'Hi {{name}}, your code is {{code}}' },
    }
    const dry = await t.request<{
      audience: number
      recipients: number
      excluded: Record<string, number>
    }>('POST', '/api/v1/campaigns/dry-run', { accounts: [t.accountId], ...body })
    expect(dry.status).toBe(200)
    expect(dry.json).toMatchObject({
      audience: 5000,
      recipients: 4850 - optedOut.length,
      excluded: { opted_out: optedOut.length, invalid_number: 100, duplicate: 50 },
    })

    const campaign = await createCampaign(t, body)
    expect(campaign.status).toBe('draft')
    await campaignAction(t, campaign.id, 'start')
    const done = await waitForCampaign(
      t,
      campaign.id,
      (c) => {
        expect(c.status).toBe('completed')
        expect(c.progress.counts.read).toBe(4850 - optedOut.length)
      },
      150_000,
    )
    const expected = {
      pending: 0,
      queued: 0,
      sent: 0,
      delivered: 0,
      read: 4850 - optedOut.length,
      replied: 0,
      failed: 0,
      skipped: optedOut.length + 100,
    }
    expect(done.progress.counts).toEqual(expected)
    expect(done.progress.total).toBe(4950)
    expect(done.progress.skipped).toEqual({ opted_out: optedOut.length, invalid_number: 100 })
    expect(done.progress.excluded).toEqual({ duplicate: 50 })
    expect(done.progress.deliveryRate).toBe(1)

    const list = await allRecipients(t, campaign.id)
    expect(list).toHaveLength(4950)
    expect(list.map((r) => r.id)).toEqual(Array.from({ length: 4950 }, (_, k) => k + 1))
    const sent = await outboundByPhone(t)
    for (const phone of optedOut) expect(sent.get(phone)).toBeUndefined()
    const reached = contacts.filter((c) => !optedOut.includes(c.phone))
    expect(reached.every((c) => sent.get(c.phone) === 1)).toBe(true)

    // Per-recipient variables went into each message.
    const one = list.find((r) => r.phone === contacts[1]!.phone)!
    const message = await t.request<{ text: string }>('GET', `/api/v1/messages/${one.messageId}`)
    expect(message.json.text).toBe('Hi Contact 100001, your code is C1')
  }, 180_000)

  it('counts a reply, and reports every recipient as CSV', async () => {
    const [contact] = await seedContacts(t, 1, { start: 200_000 })
    const campaign = await createCampaign(t, {
      name: 'Replies',
      audience: { type: 'contacts', contactIds: [contact!.id] },
    })
    await campaignAction(t, campaign.id, 'start')
    await waitForCampaign(t, campaign.id, (c) => expect(c.progress.counts.read).toBe(1))
    await contactWrites(t, contact!.phone, 'Thanks!')
    const done = await waitForCampaign(t, campaign.id, (c) =>
      expect(c.progress.counts.replied).toBe(1),
    )
    expect(done.progress.replyRate).toBe(1)

    const csv = await t.request('GET', `/api/v1/campaigns/${campaign.id}/report.csv`)
    expect(csv.status).toBe(200)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    const lines = csv.body.trim().split('\r\n')
    expect(lines[0]).toBe(
      'id,phone,contact_id,account_id,language,state,reason,message_id,queued_at,sent_at,delivered_at,read_at,replied_at',
    )
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatch(
      new RegExp(`^1,\\${contact!.phone},${contact!.id},${t.accountId},,replied,`),
    )
  })

  it('pauses, resumes and cancels, and refuses what its status does not allow', async () => {
    await seedContacts(t, 40, { start: 300_000, tags: () => ['pausable'] })
    const campaign = await createCampaign(t, {
      name: 'Slow',
      audience: { type: 'tags', any: ['pausable'] },
      throttle: { perMinute: 1200 },
    })
    expect(
      (await t.request<Problem>('POST', `/api/v1/campaigns/${campaign.id}/pause`)).status,
    ).toBe(409)
    await campaignAction(t, campaign.id, 'start')
    await waitForCampaign(t, campaign.id, (c) => expect(c.progress.done).toBeGreaterThan(3))
    const paused = await campaignAction(t, campaign.id, 'pause')
    expect(paused.status).toBe('paused')
    // Once its dispatcher has stopped, nothing more is handed to the pipeline.
    await waitFor(async () => {
      const jobs = await t.linda.db.db
        .selectFrom('jobs')
        .select('id')
        .where('queue', '=', 'campaign.dispatch')
        .execute()
      expect(jobs).toEqual([])
    })
    const atPause = await waitForCampaign(t, campaign.id, (c) =>
      expect(c.progress.counts.queued).toBe(0),
    )
    expect(atPause.progress.counts.pending).toBeGreaterThan(0)
    const again = await waitForCampaign(t, campaign.id, (c) =>
      expect(c.progress.counts.pending).toBe(atPause.progress.counts.pending),
    )
    expect(again.status).toBe('paused')

    await campaignAction(t, campaign.id, 'resume')
    await waitForCampaign(t, campaign.id, (c) => {
      expect(c.status).toBe('completed')
      expect(c.progress.counts.pending).toBe(0)
    })
    const sent = await outboundByPhone(t)
    for (let i = 300_000; i < 300_040; i++) expect(sent.get(phoneOf(i))).toBe(1)
    expect(
      (await t.request<Problem>('POST', `/api/v1/campaigns/${campaign.id}/resume`)).json.code,
    ).toBe('CAMPAIGN_STATE_CONFLICT')

    const draft = await createCampaign(t, { name: 'Never', audience: { type: 'all' } })
    const cancelled = await campaignAction(t, draft.id, 'cancel')
    expect(cancelled.status).toBe('cancelled')
    expect((await t.request('POST', `/api/v1/campaigns/${draft.id}/start`)).status).toBe(409)
  })

  it('holds recipients in their quiet hours until the hours end', async () => {
    const now = new Date()
    const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`
    // Quiet from an hour ago to two hours from now, on the clock of UTC.
    const quietHours = { start: hh(now.getUTCHours() - 1), end: hh(now.getUTCHours() + 2) }
    const [inUtc, inKolkata] = await seedContacts(t, 2, {
      start: 400_000,
      attributes: (i) => ({ timezone: i === 400_000 ? 'UTC' : 'Asia/Kolkata' }),
    })
    // Kolkata is 5:30 ahead: outside those hours.
    const campaign = await createCampaign(t, {
      name: 'Quiet',
      audience: { type: 'contacts', contactIds: [inUtc!.id, inKolkata!.id] },
      throttle: { quietHours },
    })
    await campaignAction(t, campaign.id, 'start')
    const c = await waitForCampaign(t, campaign.id, (c) => expect(c.progress.counts.read).toBe(1))
    expect(c.status).toBe('running')
    expect(c.progress.counts.pending).toBe(1)
    const [waiting] = await allRecipients(t, campaign.id).then((r) =>
      r.filter((x) => x.state === 'pending'),
    )
    expect(waiting?.phone).toBe(inUtc!.phone)
    const row = await t.linda.db.db
      .selectFrom('campaign_recipients')
      .select('not_before')
      .where('campaign_id', '=', campaign.id)
      .where('phone', '=', inUtc!.phone)
      .executeTakeFirstOrThrow()
    const end = new Date(now)
    end.setUTCHours(now.getUTCHours() + 2, 0, 0, 0)
    expect(new Date(row.not_before).toISOString()).toBe(end.toISOString())
    await campaignAction(t, campaign.id, 'cancel')
  })

  it('pauses itself when too many sends fail', async () => {
    const other = await t.request<{ id: string }>('POST', '/api/v1/accounts', {
      name: 'Failing',
      transport: 'sandbox',
    })
    expect(other.status).toBe(201)
    await t.request('POST', `/api/v1/accounts/${other.json.id}/connect`)
    await t.setAccountSettings({ sandbox: { failureRate: 1 } }, other.json.id)
    await seedContacts(t, 60, { start: 500_000, tags: () => ['doomed'] })
    const campaign = await createCampaign(t, {
      name: 'Doomed',
      accounts: [other.json.id],
      audience: { type: 'tags', all: ['doomed'] },
      throttle: { perMinute: 3000 },
      autoPause: { failureRate: 0.5, minAttempts: 10 },
    })
    await campaignAction(t, campaign.id, 'start')
    const paused = await waitForCampaign(t, campaign.id, (c) => expect(c.status).toBe('paused'))
    expect(paused.statusReason).toMatch(/Paused automatically: \d+ of \d+ sends failed/)
    expect(paused.progress.counts.pending).toBeGreaterThan(0)
    await campaignAction(t, campaign.id, 'cancel')
  })

  it('refuses bad input with the field, and changes nothing', async () => {
    const before = await t.request<Page<Campaign>>('GET', '/api/v1/campaigns?limit=200')
    const bad = await t.request<Problem>('POST', '/api/v1/campaigns', {
      name: '',
      audience: { type: 'tags' },
      message: { type: 'text', text: '' },
      accounts: [],
      throttle: { perMinute: 0, quietHours: { start: '25:00', end: '08:00' } },
    })
    expect(bad.status).toBe(400)
    const paths = bad.json.errors?.map((e) => e.path) ?? []
    expect(paths).toEqual(
      expect.arrayContaining([
        'body.name',
        'body.audience',
        'body.message.text',
        'body.accounts',
        'body.throttle.perMinute',
        'body.throttle.quietHours.start',
      ]),
    )
    const unknown = await t.request<Problem>('POST', '/api/v1/campaigns', {
      name: 'x',
      audience: { type: 'all' },
      message: { type: 'text', text: 'x' },
      accounts: ['nope'],
    })
    expect(unknown.status).toBe(404)
    expect(unknown.json.errors?.[0]?.path).toBe('body.accounts.0')
    // Segments are the contacts module's: one that does not exist is a 404.
    const noSegment = await t.request<Problem>('POST', '/api/v1/campaigns/dry-run', {
      name: 'x',
      audience: { type: 'segment', segmentId: 's1' },
      message: { type: 'text', text: 'x' },
      accounts: [t.accountId],
    })
    expect(noSegment.status).toBe(404)
    expect(noSegment.json.code).toBe('SEGMENT_NOT_FOUND')
    const badStart = await t.request<Problem>('POST', '/api/v1/campaigns', {
      name: 'x',
      audience: { type: 'all' },
      message: { type: 'text', text: 'x' },
      accounts: [t.accountId],
      startAt: 'next tuesday',
    })
    expect(badStart.json.errors?.[0]?.path).toBe('body.startAt')
    const after = await t.request<Page<Campaign>>('GET', '/api/v1/campaigns?limit=200')
    expect(after.json.items.length).toBe(before.json.items.length)
    expect((await t.request<Problem>('GET', '/api/v1/campaigns/nope')).json.code).toBe(
      'CAMPAIGN_NOT_FOUND',
    )
  })
})
