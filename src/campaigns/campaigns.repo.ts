import { PostgresAdapter, sql, type Selectable } from 'kysely'
import {
  fromJson,
  nowIso,
  toJson,
  type CampaignRecipientsTable,
  type CampaignsTable,
  type Executor,
} from '../platform/db/index.js'
import type {
  CampaignSpec,
  CampaignStatus,
  ExclusionReason,
  RecipientState,
} from './campaigns.schemas.js'

/** A campaign as stored: its spec, status and counts of what was left out. */
export interface CampaignRow {
  id: string
  name: string
  status: CampaignStatus
  statusReason: string | null
  spec: CampaignSpec
  origin: 'campaign' | 'schedule'
  scheduleId: string | null
  startAt: string | null
  total: number
  excluded: Partial<Record<ExclusionReason, number>>
  createdAt: string
  updatedAt: string
  startedAt: string | null
  finishedAt: string | null
}

function toCampaign(row: Selectable<CampaignsTable>): CampaignRow {
  return {
    id: row.id,
    name: row.name,
    status: row.status as CampaignStatus,
    statusReason: row.status_reason,
    spec: fromJson(row.spec) as unknown as CampaignSpec,
    origin: row.origin as CampaignRow['origin'],
    scheduleId: row.schedule_id,
    startAt: row.start_at,
    total: Number(row.total),
    excluded: fromJson(row.excluded) ?? {},
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  }
}

export async function insertCampaign(
  db: Executor,
  c: Pick<
    CampaignRow,
    'id' | 'name' | 'status' | 'statusReason' | 'spec' | 'origin' | 'scheduleId' | 'startAt'
  >,
): Promise<CampaignRow> {
  const now = nowIso()
  const row = await db
    .insertInto('campaigns')
    .values({
      id: c.id,
      name: c.name,
      status: c.status,
      status_reason: c.statusReason,
      spec: toJson(c.spec),
      origin: c.origin,
      schedule_id: c.scheduleId,
      start_at: c.startAt,
      excluded: '{}',
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toCampaign(row)
}

export async function findCampaign(db: Executor, id: string): Promise<CampaignRow | undefined> {
  const row = await db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toCampaign(row)
}

export async function campaignStatus(
  db: Executor,
  id: string,
): Promise<CampaignStatus | undefined> {
  const row = await db
    .selectFrom('campaigns')
    .select('status')
    .where('id', '=', id)
    .executeTakeFirst()
  return row?.status as CampaignStatus | undefined
}

export async function listCampaigns(
  db: Executor,
  q: {
    limit: number
    before?: string
    status?: CampaignStatus
    origin?: 'campaign' | 'schedule'
    scheduleId?: string
  },
): Promise<CampaignRow[]> {
  const rows = await db
    .selectFrom('campaigns')
    .selectAll()
    .$if(q.before !== undefined, (b) => b.where('id', '<', q.before!))
    .$if(q.status !== undefined, (b) => b.where('status', '=', q.status!))
    .$if(q.origin !== undefined, (b) => b.where('origin', '=', q.origin!))
    .$if(q.scheduleId !== undefined, (b) => b.where('schedule_id', '=', q.scheduleId!))
    .orderBy('id', 'desc')
    .limit(q.limit)
    .execute()
  return rows.map(toCampaign)
}

/**
 * Moves a campaign to `to` if it is in one of `from`; returns it, or undefined when its
 * status was another (someone else moved it first).
 */
export async function moveCampaign(
  db: Executor,
  id: string,
  from: readonly CampaignStatus[],
  to: CampaignStatus,
  extra: {
    reason?: string | null
    startedAt?: string
    finishedAt?: string
    total?: number
    excluded?: Partial<Record<ExclusionReason, number>>
  } = {},
): Promise<CampaignRow | undefined> {
  const row = await db
    .updateTable('campaigns')
    .set({
      status: to,
      updated_at: nowIso(),
      ...(extra.reason !== undefined ? { status_reason: extra.reason } : {}),
      ...(extra.startedAt ? { started_at: extra.startedAt } : {}),
      ...(extra.finishedAt ? { finished_at: extra.finishedAt } : {}),
      ...(extra.total !== undefined ? { total: extra.total } : {}),
      ...(extra.excluded ? { excluded: toJson(extra.excluded) } : {}),
    })
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst()
  return row && toCampaign(row)
}

/** Campaigns in these statuses (few: the active ones). */
export async function campaignIdsIn(
  db: Executor,
  statuses: readonly CampaignStatus[],
): Promise<
  Array<{ id: string; status: CampaignStatus; startedAt: string | null; finishedAt: string | null }>
> {
  const rows = await db
    .selectFrom('campaigns')
    .select(['id', 'status', 'started_at', 'finished_at'])
    .where('status', 'in', [...statuses])
    .execute()
  return rows.map((r) => ({
    id: r.id,
    status: r.status as CampaignStatus,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }))
}

// ---- recipients ----

export interface NewRecipient {
  seq: number
  contactId: string | null
  phone: string
  accountId: string | null
  language: string | null
  timezone: string | null
  vars: Record<string, string> | null
  state: 'pending' | 'skipped'
  reason: string | null
}

/** Columns per row of a recipients insert; rows per statement stay under SQLite's 32,766 parameters. */
const INSERT_ROWS = 2000

/** Stores recipients, in statements of many rows; a recipient already stored stays as it is. */
export async function insertRecipients(
  db: Executor,
  campaignId: string,
  rows: readonly NewRecipient[],
  notBefore: string,
): Promise<void> {
  const now = nowIso()
  for (let i = 0; i < rows.length; i += INSERT_ROWS) {
    const chunk = rows.slice(i, i + INSERT_ROWS)
    await db
      .insertInto('campaign_recipients')
      .values(
        chunk.map((r) => ({
          campaign_id: campaignId,
          seq: r.seq,
          contact_id: r.contactId,
          phone: r.phone,
          account_id: r.accountId,
          language: r.language,
          timezone: r.timezone,
          vars: r.vars === null ? null : toJson(r.vars),
          state: r.state,
          reason: r.reason,
          not_before: notBefore,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['campaign_id', 'seq']).doNothing())
      .execute()
  }
}

export async function deleteRecipients(db: Executor, campaignId: string): Promise<void> {
  await db.deleteFrom('campaign_recipients').where('campaign_id', '=', campaignId).execute()
}

export interface DueRecipient {
  seq: number
  contactId: string | null
  phone: string
  accountId: string | null
  language: string | null
  timezone: string | null
  vars: Record<string, string> | null
}

/** The next pending recipients due by `now`, in the order they are sent. */
export async function dueRecipients(
  db: Executor,
  campaignId: string,
  now: string,
  limit: number,
): Promise<DueRecipient[]> {
  const rows = await db
    .selectFrom('campaign_recipients')
    .select(['seq', 'contact_id', 'phone', 'account_id', 'language', 'timezone', 'vars'])
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'pending')
    .where('not_before', '<=', now)
    .orderBy('not_before')
    .orderBy('seq')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    seq: Number(r.seq),
    contactId: r.contact_id,
    phone: r.phone,
    accountId: r.account_id,
    language: r.language,
    timezone: r.timezone,
    vars: fromJson(r.vars),
  }))
}

/** When the earliest pending recipient is due; undefined when none is pending. */
export async function nextPendingAt(db: Executor, campaignId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('campaign_recipients')
    .select('not_before')
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'pending')
    .orderBy('not_before')
    .limit(1)
    .executeTakeFirst()
  return row?.not_before
}

/** Pushes recipients back (quiet hours): not sent before `notBefore`. */
export async function deferRecipients(
  db: Executor,
  campaignId: string,
  seqs: readonly number[],
  notBefore: string,
): Promise<void> {
  if (seqs.length === 0) return
  await db
    .updateTable('campaign_recipients')
    .set({ not_before: notBefore, updated_at: nowIso() })
    .where('campaign_id', '=', campaignId)
    .where('seq', 'in', [...seqs])
    .where('state', '=', 'pending')
    .execute()
}

/** Skips or fails pending recipients, each with its reason. */
export async function settlePending(
  db: Executor,
  campaignId: string,
  state: 'skipped' | 'failed',
  items: ReadonlyArray<{ seq: number; reason: string }>,
): Promise<void> {
  const byReason = new Map<string, number[]>()
  for (const { seq, reason } of items) {
    const list = byReason.get(reason)
    if (list) list.push(seq)
    else byReason.set(reason, [seq])
  }
  for (const [reason, seqs] of byReason) {
    await db
      .updateTable('campaign_recipients')
      .set({ state, reason, updated_at: nowIso() })
      .where('campaign_id', '=', campaignId)
      .where('seq', 'in', seqs)
      .where('state', '=', 'pending')
      .execute()
  }
}

/** Every pending recipient of a cancelled campaign is skipped. */
export async function skipAllPending(
  db: Executor,
  campaignId: string,
  reason: string,
): Promise<void> {
  await db
    .updateTable('campaign_recipients')
    .set({ state: 'skipped', reason, updated_at: nowIso() })
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'pending')
    .execute()
}

/** Records the messages queued for pending recipients (one statement). */
export async function markQueued(
  db: Executor,
  campaignId: string,
  items: ReadonlyArray<{ seq: number; messageId: string; contactId: string }>,
): Promise<void> {
  if (items.length === 0) return
  const now = nowIso()
  const seqs = items.map((i) => i.seq)
  const caseOf = (pick: (i: (typeof items)[number]) => string) =>
    sql<string>`case seq ${sql.join(
      items.map((i) => sql`when ${i.seq} then ${pick(i)}`),
      sql` `,
    )} end`
  await db
    .updateTable('campaign_recipients')
    .set({
      state: 'queued',
      message_id: caseOf((i) => i.messageId),
      contact_id: caseOf((i) => i.contactId),
      queued_at: now,
      updated_at: now,
    })
    .where('campaign_id', '=', campaignId)
    .where('seq', 'in', seqs)
    .where('state', '=', 'pending')
    .execute()
}

/** Which states a message's status may move a recipient from: forward only. */
const advanceFrom: Record<'sent' | 'delivered' | 'read' | 'failed', RecipientState[]> = {
  sent: ['queued'],
  delivered: ['queued', 'sent'],
  read: ['queued', 'sent', 'delivered'],
  failed: ['queued', 'sent'],
}

const stampOf = { sent: 'sent_at', delivered: 'delivered_at', read: 'read_at' } as const

/**
 * Moves the recipients of these messages to `state` (forward only), each stamped with its
 * message's time; returns the campaigns they belong to.
 */
export async function advanceByMessage(
  db: Executor,
  items: ReadonlyArray<{ id: string; at: string }>,
  state: 'sent' | 'delivered' | 'read' | 'failed',
  reason?: string,
): Promise<string[]> {
  if (items.length === 0) return []
  const cases = sql<string>`case message_id ${sql.join(
    items.map((i) => sql`when ${i.id} then ${i.at}`),
    sql` `,
  )} end`
  // PostgreSQL reads the parameters as text: the stamp columns want timestamptz.
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const stamp = pg ? sql<string>`(${cases})::timestamptz` : cases
  const rows = await db
    .updateTable('campaign_recipients')
    .set({
      state,
      updated_at: nowIso(),
      ...(state === 'failed' ? { reason: reason ?? null } : { [stampOf[state]]: stamp }),
    })
    .where(
      'message_id',
      'in',
      items.map((i) => i.id),
    )
    .where('state', 'in', advanceFrom[state])
    .returning('campaign_id')
    .execute()
  return [...new Set(rows.map((r) => r.campaign_id))]
}

/** A contact wrote to an account after a campaign's message to them: a reply. */
export async function markReplied(
  db: Executor,
  contactId: string,
  accountId: string,
  at: string,
  since: string,
): Promise<string[]> {
  const rows = await db
    .updateTable('campaign_recipients')
    .set({ state: 'replied', replied_at: at, updated_at: nowIso() })
    .where('contact_id', '=', contactId)
    .where('state', 'in', ['sent', 'delivered', 'read'])
    .where('account_id', '=', accountId)
    .where('sent_at', '>=', since)
    .where('sent_at', '<=', at)
    .returning('campaign_id')
    .execute()
  return [...new Set(rows.map((r) => r.campaign_id))]
}

/** The current status of messages of recipients in flight, to catch up on missed receipts. */
export async function inFlightStatuses(
  db: Executor,
  campaignId: string,
  seqs?: readonly number[],
  states: readonly RecipientState[] = ['queued', 'sent', 'delivered'],
): Promise<
  Array<{
    messageId: string
    status: string
    error: string | null
    sentAt: string | null
    deliveredAt: string | null
    readAt: string | null
  }>
> {
  if (seqs !== undefined && seqs.length === 0) return []
  const rows = await db
    .selectFrom('campaign_recipients as r')
    .innerJoin('messages as m', 'm.id', 'r.message_id')
    .select(['m.id', 'm.status', 'm.error', 'm.sent_at', 'm.delivered_at', 'm.read_at'])
    .where('r.campaign_id', '=', campaignId)
    .where('r.state', 'in', [...states])
    .$if(seqs !== undefined, (q) => q.where('r.seq', 'in', [...seqs!]))
    .where('m.status', 'in', ['sent', 'delivered', 'read', 'failed', 'uncertain'])
    .execute()
  return rows.map((r) => ({
    messageId: r.id,
    status: r.status,
    error: fromJson(r.error)?.code ?? null,
    sentAt: r.sent_at,
    deliveredAt: r.delivered_at,
    readAt: r.read_at,
  }))
}

/** Recipients by state (and skipped ones by reason). */
export async function countStates(
  db: Executor,
  campaignId: string,
): Promise<Array<{ state: RecipientState; reason: string | null; n: number }>> {
  const rows = await db
    .selectFrom('campaign_recipients')
    .select(['state', 'reason', (eb) => eb.fn.countAll<number>().as('n')])
    .where('campaign_id', '=', campaignId)
    .groupBy(['state', 'reason'])
    .execute()
  return rows.map((r) => ({ state: r.state as RecipientState, reason: r.reason, n: Number(r.n) }))
}

export type RecipientRow = Selectable<CampaignRecipientsTable>

/** Recipients in id order, after `after`. */
export async function listRecipients(
  db: Executor,
  campaignId: string,
  q: { after?: number; limit: number; state?: RecipientState },
): Promise<RecipientRow[]> {
  return db
    .selectFrom('campaign_recipients')
    .selectAll()
    .where('campaign_id', '=', campaignId)
    .$if(q.after !== undefined, (b) => b.where('seq', '>', q.after!))
    .$if(q.state !== undefined, (b) => b.where('state', '=', q.state!))
    .orderBy('seq')
    .limit(q.limit)
    .execute()
}

/** Of these numbers, those whose contact opted out. */
export async function optedOutPhones(
  db: Executor,
  phones: readonly string[],
): Promise<Set<string>> {
  if (phones.length === 0) return new Set()
  const rows = await db
    .selectFrom('contacts')
    .select('phone')
    .where('phone', 'in', [...phones])
    .where('opted_out', '=', 1)
    .execute()
  return new Set(rows.map((r) => r.phone))
}

/** Recipients handed to the pipeline and not yet sent (the dispatcher's window). */
export async function countQueued(db: Executor, campaignId: string): Promise<number> {
  const row = await db
    .selectFrom('campaign_recipients')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'queued')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
