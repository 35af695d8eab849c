// Whoever opted out gets nothing from a campaign or a schedule, by any path: every audience
// kind, schedules to a contact, a number or a tag, and an opt-out that comes after the
// campaign was created, or while it is sending.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScheduleRun } from '../../src/schedules/index.js'
import { testDialects } from '../helpers/databases.js'
import { startTestLinda, waitFor, type Page, type TestLinda } from '../helpers/linda.js'
import {
  campaignAction,
  createCampaign,
  outboundByPhone,
  seedContacts,
  waitForCampaign,
} from './campaigns-support.js'

const paths = [
  'campaign:all',
  'campaign:tags',
  'campaign:list',
  'campaign:contacts',
  'schedule:contact',
  'schedule:phone',
  'schedule:tags',
] as const

describe.each(testDialects())('opted-out contacts on %s', (dialect) => {
  let t: TestLinda
  let round = 0

  beforeAll(async () => {
    t = await startTestLinda(dialect)
  })

  afterAll(async () => {
    await t?.stop()
  })

  async function optOut(phones: string[]): Promise<void> {
    if (phones.length === 0) return
    await t.linda.db.db
      .updateTable('contacts')
      .set({ opted_out: 1, opted_out_at: new Date().toISOString() })
      .where('phone', 'in', phones)
      .execute()
  }

  it('never receive anything from any campaign or schedule path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 2, maxLength: 8 }),
        fc.constantFrom(...paths),
        fc.boolean(),
        async (flags, path, later) => {
          round++
          const tag = `round${round}`
          // `later`: the last contact opts out after the campaign or schedule is made.
          const contacts = await seedContacts(t, flags.length, {
            start: 800_000 + round * 100,
            optedOut: (i) => flags[i - 800_000 - round * 100] === true,
            tags: () => [tag],
          })
          const out = contacts.filter((_, k) => flags[k]).map((c) => c.phone)
          const late = later ? contacts[contacts.length - 1]!.phone : undefined
          const [kind, target] = path.split(':') as ['campaign' | 'schedule', string]
          if (kind === 'campaign') {
            const audience =
              target === 'all'
                ? { type: 'all' }
                : target === 'tags'
                  ? { type: 'tags', all: [tag] }
                  : target === 'list'
                    ? { type: 'list', recipients: contacts.map((c) => ({ phone: c.phone })) }
                    : { type: 'contacts', contactIds: contacts.map((c) => c.id) }
            const campaign = await createCampaign(t, { name: tag, audience })
            if (late) await optOut([late])
            await campaignAction(t, campaign.id, 'start')
            await waitForCampaign(t, campaign.id, (c) => expect(c.status).toBe('completed'))
          } else {
            const targets =
              target === 'tags'
                ? [{ type: 'tags', any: [tag] }]
                : contacts.map((c) =>
                    target === 'contact'
                      ? { type: 'contact', contactId: c.id }
                      : { type: 'phone', phone: c.phone },
                  )
            const at = new Date(Date.now() + 300).toISOString()
            const ids: string[] = []
            for (const [k, schedTarget] of targets.entries()) {
              const res = await t.request<{ id: string }>('POST', '/api/v1/schedules', {
                name: `${tag}-${k}`,
                accountId: t.accountId,
                target: schedTarget,
                message: { type: 'text', text: 'scheduled' },
                at,
              })
              expect(res.status).toBe(201)
              ids.push(res.json.id)
            }
            if (late) await optOut([late])
            await waitFor(async () => {
              for (const id of ids) {
                const runs = await t.request<Page<ScheduleRun>>(
                  'GET',
                  `/api/v1/schedules/${id}/runs`,
                )
                expect(runs.json.items[0]?.status).toMatch(/^(sent|skipped|started)$/)
                const campaignId = runs.json.items[0]?.campaignId
                if (campaignId) {
                  await waitForCampaign(t, campaignId, (c) => expect(c.status).toBe('completed'))
                }
              }
            })
          }
          const sent = await outboundByPhone(t)
          for (const phone of [...out, ...(late ? [late] : [])]) {
            expect(sent.get(phone), `${path}: ${phone} opted out`).toBeUndefined()
          }
          const reached = contacts.filter((c) => !out.includes(c.phone) && c.phone !== late)
          for (const c of reached) expect(sent.get(c.phone), `${path}: ${c.phone}`).toBe(1)
        },
      ),
      { numRuns: 8 },
    )
  }, 120_000)

  it('are skipped when they opt out while the campaign is sending', async () => {
    const contacts = await seedContacts(t, 3, { start: 900_000, tags: () => ['sending'] })
    const campaign = await createCampaign(t, {
      name: 'Slow enough to opt out',
      audience: { type: 'tags', any: ['sending'] },
      throttle: { perMinute: 60 },
    })
    await campaignAction(t, campaign.id, 'start')
    await waitForCampaign(t, campaign.id, (c) => expect(c.progress.done).toBeGreaterThanOrEqual(1))
    await optOut([contacts[2]!.phone])
    const done = await waitForCampaign(
      t,
      campaign.id,
      (c) => expect(c.status).toBe('completed'),
      20_000,
    )
    expect(done.progress.skipped).toEqual({ opted_out: 1 })
    expect((await outboundByPhone(t)).get(contacts[2]!.phone)).toBeUndefined()
  }, 30_000)
})
