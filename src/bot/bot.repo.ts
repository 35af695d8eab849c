import { sql } from 'kysely'
import {
  fromJson,
  nowIso,
  prepared,
  toJson,
  transaction,
  type Db,
  type Executor,
} from '../platform/db/index.js'
import type { StoredBotSettings } from './settings.schemas.js'

// The bot's SQL: its settings, the change counter other processes watch, and what the bot
// reads and changes on contacts and conversations.

const VERSION_KEY = 'bot.version'

/** The counter bumped by every change of rules or bot settings, in any process. */
export async function readVersion(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('instance_settings')
    .select('value')
    .where('key', '=', VERSION_KEY)
    .executeTakeFirst()
  return row ? Number(fromJson(row.value)) : 0
}

export async function bumpVersion(db: Executor): Promise<void> {
  const now = nowIso()
  // The value is a JSON number: read it back, add one (writes of one scope are rare).
  const current = await readVersion(db)
  await db
    .insertInto('instance_settings')
    .values({ key: VERSION_KEY, value: toJson(current + 1), updated_at: now })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({ value: toJson(current + 1), updated_at: now }),
    )
    .execute()
}

export async function readSettings(db: Executor): Promise<Map<string, StoredBotSettings>> {
  const rows = await db.selectFrom('bot_settings').select(['scope', 'settings']).execute()
  return new Map(rows.map((r) => [r.scope, fromJson(r.settings) ?? {}]))
}

export async function readScope(db: Executor, scope: string): Promise<StoredBotSettings> {
  const row = await db
    .selectFrom('bot_settings')
    .select('settings')
    .where('scope', '=', scope)
    .executeTakeFirst()
  return (row && fromJson(row.settings)) ?? {}
}

export async function writeScope(
  db: Executor,
  scope: string,
  settings: StoredBotSettings,
): Promise<void> {
  const now = nowIso()
  await db
    .insertInto('bot_settings')
    .values({ scope, settings: toJson(settings), updated_at: now })
    .onConflict((oc) =>
      oc.column('scope').doUpdateSet({ settings: toJson(settings), updated_at: now }),
    )
    .execute()
}

/** What the bot knows of a contact. */
export interface ContactSnapshot {
  id: string
  phone: string
  name: string | null
  language: string | null
  tags: string[]
  attributes: Record<string, unknown>
  optedOut: boolean
}

function toSnapshot(row: {
  id: string
  phone: string
  name: string | null
  language: string | null
  tags: string[] | string
  attributes: Record<string, unknown> | string
  opted_out: number
}): ContactSnapshot {
  return {
    id: row.id,
    phone: row.phone,
    name: row.name,
    language: row.language,
    tags: fromJson(row.tags) ?? [],
    attributes: fromJson(row.attributes) ?? {},
    optedOut: row.opted_out === 1,
  }
}

/** What the bot knows of a conversation. */
export interface ConversationSnapshot {
  id: string
  botPaused: boolean
  assigneeId: string | null
}

/**
 * Whether the contact wrote to the conversation before this message (the first message
 * ever is the only inbound one not preceded by another).
 */
export async function hasEarlierInbound(
  db: Executor,
  conversationId: string,
  messageId: string,
  createdAt: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', 'in')
    .where('id', '<>', messageId)
    .where('created_at', '<=', createdAt)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** Opts a contact out (or back in); false when it already was. */
export async function setOptedOut(
  db: Executor,
  contactId: string,
  optedOut: boolean,
  source: string,
): Promise<boolean> {
  const now = nowIso()
  const result = await db
    .updateTable('contacts')
    .set(
      optedOut
        ? { opted_out: 1, opted_out_at: now, opted_out_source: source, updated_at: now }
        : { opted_out: 0, opted_out_at: null, opted_out_source: null, updated_at: now },
    )
    .where('id', '=', contactId)
    .where('opted_out', '=', optedOut ? 0 : 1)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function setLanguage(
  db: Executor,
  contactId: string,
  language: string,
): Promise<void> {
  await db
    .updateTable('contacts')
    .set({ language, updated_at: nowIso() })
    .where('id', '=', contactId)
    .execute()
}

/** Changes a contact's tags and attributes in one read-modify-write transaction. */
export async function updateContactData(
  db: Db,
  contactId: string,
  change: (current: { tags: string[]; attributes: Record<string, unknown> }) => {
    tags: string[]
    attributes: Record<string, unknown>
  },
): Promise<void> {
  await transaction(db, async (trx) => {
    const row = await trx
      .selectFrom('contacts')
      .select(['tags', 'attributes'])
      .where('id', '=', contactId)
      .executeTakeFirst()
    if (!row) return
    const next = change({
      tags: fromJson(row.tags) ?? [],
      attributes: fromJson(row.attributes) ?? {},
    })
    await trx
      .updateTable('contacts')
      .set({ tags: toJson(next.tags), attributes: toJson(next.attributes), updated_at: nowIso() })
      .where('id', '=', contactId)
      .execute()
  })
}

export async function setBotPaused(
  db: Executor,
  conversationId: string,
  paused: boolean,
): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ bot_paused: paused ? 1 : 0, updated_at: nowIso() })
    .where('id', '=', conversationId)
    .execute()
}

export async function assignConversation(
  db: Executor,
  conversationId: string,
  assigneeId: string,
): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ assignee_id: assigneeId, updated_at: nowIso() })
    .where('id', '=', conversationId)
    .execute()
}

/** When each of these rules last fired for the contact. */
export async function lastFires(
  db: Executor,
  contactId: string,
  ruleIds: readonly string[],
): Promise<Map<string, string>> {
  if (ruleIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('bot_rule_fires')
    .select(['rule_id', 'fired_at'])
    .where('contact_id', '=', contactId)
    .where('rule_id', 'in', ruleIds)
    .execute()
  return new Map(rows.map((r) => [r.rule_id, new Date(r.fired_at).toISOString()]))
}

export async function recordFire(db: Executor, ruleId: string, contactId: string): Promise<void> {
  const now = nowIso()
  await db
    .insertInto('bot_rule_fires')
    .values({ rule_id: ruleId, contact_id: contactId, fired_at: now })
    .onConflict((oc) => oc.columns(['rule_id', 'contact_id']).doUpdateSet({ fired_at: now }))
    .execute()
}

export async function deleteFires(db: Executor, ruleId: string): Promise<void> {
  await db.deleteFrom('bot_rule_fires').where('rule_id', '=', ruleId).execute()
}

const WINDOW_MS = 60_000

/** Counts `n` automatic replies in the conversation's minute (a new minute starts at 0). */
export async function countReplies(db: Executor, conversationId: string, n: number): Promise<void> {
  if (n <= 0) return
  const now = new Date()
  const cutoff = new Date(now.getTime() - WINDOW_MS).toISOString()
  const fresh = sql<boolean>`bot_reply_windows.window_start <= ${cutoff}`
  await db
    .insertInto('bot_reply_windows')
    .values({ conversation_id: conversationId, window_start: now.toISOString(), replies: n })
    .onConflict((oc) =>
      oc.column('conversation_id').doUpdateSet((eb) => ({
        replies: eb
          .case()
          .when(fresh)
          .then(eb.ref('excluded.replies'))
          .else(eb(eb.ref('bot_reply_windows.replies'), '+', eb.ref('excluded.replies')))
          .end(),
        window_start: eb
          .case()
          .when(fresh)
          .then(eb.ref('excluded.window_start'))
          .else(eb.ref('bot_reply_windows.window_start'))
          .end(),
      })),
    )
    .execute()
}

/** What the dispatcher reads for each message, in one query. */
export interface Parties {
  contact: ContactSnapshot | undefined
  conversation: ConversationSnapshot | undefined
  /** Automatic replies the conversation had in its current minute. */
  recentReplies: number
}

const partiesQuery = (by: 'id' | 'phone') =>
  prepared((db, p: { key: string; accountId: string }) =>
    db
      .selectFrom('contacts')
      .leftJoin('conversations', (join) =>
        join
          .onRef('conversations.contact_id', '=', 'contacts.id')
          .on('conversations.account_id', '=', p.accountId),
      )
      .leftJoin('bot_reply_windows', 'bot_reply_windows.conversation_id', 'conversations.id')
      .select([
        'contacts.id',
        'contacts.phone',
        'contacts.name',
        'contacts.language',
        'contacts.tags',
        'contacts.attributes',
        'contacts.opted_out',
        'conversations.id as conversation_id',
        'conversations.bot_paused',
        'conversations.assignee_id',
        'bot_reply_windows.window_start',
        'bot_reply_windows.replies',
      ])
      .where(by === 'id' ? 'contacts.id' : 'contacts.phone', '=', p.key),
  )

const partiesById = partiesQuery('id')
const partiesByPhone = partiesQuery('phone')

/**
 * A contact (by id, or by phone when there is no id), its conversation with the account and
 * the conversation's automatic replies this minute; what is not there is undefined.
 */
export async function findParties(
  db: Executor,
  accountId: string,
  contact: { id: string } | { phone: string },
): Promise<Parties> {
  const { rows } =
    'id' in contact
      ? await partiesById(db, { key: contact.id, accountId })
      : await partiesByPhone(db, { key: contact.phone, accountId })
  const row = rows[0]
  if (!row) return { contact: undefined, conversation: undefined, recentReplies: 0 }
  const fresh =
    row.window_start !== null && Date.now() - new Date(row.window_start).getTime() < WINDOW_MS
  return {
    contact: toSnapshot(row),
    conversation:
      row.conversation_id === null
        ? undefined
        : {
            id: row.conversation_id,
            botPaused: row.bot_paused === 1,
            assigneeId: row.assignee_id,
          },
    recentReplies: fresh ? (row.replies ?? 0) : 0,
  }
}
