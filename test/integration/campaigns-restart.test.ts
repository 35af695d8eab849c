// A campaign survives a restart in the middle of sending: the new Linda carries on from the
// recipients still pending, and nobody is written to twice or left out.
import { afterEach, describe, expect, it } from 'vitest'
import { testDialects } from '../helpers/databases.js'
import { startTestLinda, type TestLinda } from '../helpers/linda.js'
import {
  campaignAction,
  createCampaign,
  outboundByPhone,
  phoneOf,
  seedContacts,
  waitForCampaign,
} from './campaigns-support.js'

const running: TestLinda[] = []
async function start(...args: Parameters<typeof startTestLinda>): Promise<TestLinda> {
  const t = await startTestLinda(...args)
  running.push(t)
  return t
}

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((t) => t.stop()))
})

describe.each(testDialects())('a campaign across a restart on %s', (dialect) => {
  it('resumes where it stopped, writing to no one twice and skipping no one', async () => {
    const first = await start(dialect)
    const n = 300
    await seedContacts(first, n, { start: 700_000, tags: () => ['restart'] })
    const campaign = await createCampaign(first, {
      name: 'Across a restart',
      audience: { type: 'tags', any: ['restart'] },
      throttle: { perMinute: 3000 },
    })
    await campaignAction(first, campaign.id, 'start')
    await waitForCampaign(first, campaign.id, (c) => expect(c.progress.done).toBeGreaterThan(40))
    await first.stop()
    const before = await first.linda.db.db
      .selectFrom('campaign_recipients')
      .select('state')
      .where('campaign_id', '=', campaign.id)
      .execute()
      .catch(() => undefined)
    // (the first Linda's database is closed: what it left is read by the second)
    expect(before).toBeUndefined()

    const t = await start(dialect, {
      dataDir: first.dataDir,
      databaseUrl: first.databaseUrl,
      apiKey: first.apiKey,
    })
    const midway = await t.linda.db.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('direction', '=', 'out')
      .executeTakeFirstOrThrow()
    // It really stopped in the middle.
    expect(Number(midway.n)).toBeGreaterThan(0)
    expect(Number(midway.n)).toBeLessThan(n)

    const done = await waitForCampaign(
      t,
      campaign.id,
      (c) => {
        expect(c.status).toBe('completed')
        expect(c.progress.counts.pending + c.progress.counts.queued).toBe(0)
      },
      60_000,
    )
    const { counts } = done.progress
    // Receipts due while Linda was down never come (the sandbox forgets them): sent or later.
    expect(counts.sent + counts.delivered + counts.read).toBe(n)
    expect(counts.failed + counts.skipped).toBe(0)
    const sent = await outboundByPhone(t)
    for (let i = 700_000; i < 700_000 + n; i++) expect(sent.get(phoneOf(i))).toBe(1)
  }, 90_000)
})
