// Helpers for the campaign and schedule tests: contacts written straight into the database
// (thousands, quickly), and campaigns driven through the API.
import type { Campaign } from '../../src/campaigns/index.js'
import { newId } from '../../src/platform/ids.js'
import { waitFor, type TestLinda } from '../helpers/linda.js'

export interface SeedOptions {
  /** Phone numbers start here: +1 555 <start + i>, seven digits. */
  start?: number
  optedOut?: (i: number) => boolean
  tags?: (i: number) => string[]
  attributes?: (i: number) => Record<string, unknown>
  language?: (i: number) => string | null
}

export function phoneOf(i: number): string {
  return `+1555${String(i).padStart(7, '0')}`
}

/** Writes `n` contacts; returns their ids and phones in order. */
export async function seedContacts(
  t: TestLinda,
  n: number,
  options: SeedOptions = {},
): Promise<Array<{ id: string; phone: string }>> {
  const start = options.start ?? 1
  const now = new Date().toISOString()
  const rows = Array.from({ length: n }, (_, k) => {
    const i = start + k
    return {
      id: newId(),
      phone: phoneOf(i),
      name: `Contact ${i}`,
      language: options.language?.(i) ?? null,
      tags: JSON.stringify(options.tags?.(i) ?? []),
      attributes: JSON.stringify(options.attributes?.(i) ?? {}),
      opted_out: options.optedOut?.(i) ? 1 : 0,
      opted_out_at: options.optedOut?.(i) ? now : null,
      created_at: now,
      updated_at: now,
    }
  })
  for (let i = 0; i < rows.length; i += 500) {
    await t.linda.db.db
      .insertInto('contacts')
      .values(rows.slice(i, i + 500))
      .execute()
  }
  return rows.map((r) => ({ id: r.id, phone: r.phone }))
}

export async function createCampaign(
  t: TestLinda,
  body: Record<string, unknown>,
): Promise<Campaign> {
  const res = await t.request<Campaign>('POST', '/api/v1/campaigns', {
    accounts: [t.accountId],
    message: { type: 'text', text: 'Hello {{name}}' },
    ...body,
  })
  if (res.status !== 201) throw new Error(`create campaign: ${res.status} ${res.body}`)
  return res.json
}

export async function campaignAction(
  t: TestLinda,
  id: string,
  action: 'start' | 'pause' | 'resume' | 'cancel',
): Promise<Campaign> {
  const res = await t.request<Campaign>('POST', `/api/v1/campaigns/${id}/${action}`)
  if (res.status !== 200 && res.status !== 202) {
    throw new Error(`${action} campaign: ${res.status} ${res.body}`)
  }
  return res.json
}

export async function getCampaign(t: TestLinda, id: string): Promise<Campaign> {
  const res = await t.request<Campaign>('GET', `/api/v1/campaigns/${id}`)
  if (res.status !== 200) throw new Error(`get campaign: ${res.status} ${res.body}`)
  return res.json
}

/** Waits until the campaign satisfies `check` (an expect that throws until it holds). */
export function waitForCampaign(
  t: TestLinda,
  id: string,
  check: (c: Campaign) => void,
  timeoutMs?: number,
): Promise<Campaign> {
  return waitFor(async () => {
    const c = await getCampaign(t, id)
    check(c)
    return c
  }, timeoutMs)
}

/** Outbound messages per phone, straight from the database. */
export async function outboundByPhone(t: TestLinda): Promise<Map<string, number>> {
  const rows = await t.linda.db.db
    .selectFrom('messages')
    .select(['phone', (eb) => eb.fn.countAll<number>().as('n')])
    .where('direction', '=', 'out')
    .groupBy('phone')
    .execute()
  return new Map(rows.map((r) => [r.phone, Number(r.n)]))
}
