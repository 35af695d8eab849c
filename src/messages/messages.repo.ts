import type { Selectable } from 'kysely'
import {
  fromJson,
  nowIso,
  prepared,
  toJson,
  type Executor,
  type MessagesTable,
} from '../platform/db/index.js'
import { newId } from '../platform/ids.js'
import type { MessageContent, MessageType } from '../transports/index.js'
import type { Message, MessageStatus } from './messages.schemas.js'

type Row = Selectable<MessagesTable>

function toMessage(row: Row): Message {
  return {
    id: row.id,
    accountId: row.account_id,
    conversationId: row.conversation_id,
    contactId: row.contact_id,
    phone: row.phone,
    direction: row.direction,
    type: row.type as MessageType,
    text: row.text,
    // A plain text message stores no payload: its text is all of it.
    content:
      fromJson(row.payload as MessageContent | string | null) ??
      (row.type === 'text' && row.text !== null ? { type: 'text', text: row.text } : null),
    status: row.status as MessageStatus,
    error: fromJson(row.error),
    externalId: row.external_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sentAt: row.sent_at,
    deliveredAt: row.delivered_at,
    readAt: row.read_at,
  }
}

function selectMessages(db: Executor) {
  return db.selectFrom('messages').selectAll()
}

const upsertConversationQuery = prepared(
  (
    db,
    p: {
      id: string
      accountId: string
      contactId: string
      unread: number
      at: string
      inAt: string | null
      now: string
    },
  ) =>
    db
      .insertInto('conversations')
      .values({
        id: p.id,
        account_id: p.accountId,
        contact_id: p.contactId,
        status: 'open',
        unread_count: p.unread,
        last_message_at: p.at,
        last_inbound_at: p.inAt,
        created_at: p.now,
        updated_at: p.now,
      })
      .onConflict((oc) =>
        oc.columns(['account_id', 'contact_id']).doUpdateSet((eb) => ({
          last_message_at: eb.ref('excluded.last_message_at'),
          updated_at: eb.ref('excluded.updated_at'),
          last_inbound_at: eb.fn.coalesce(
            'excluded.last_inbound_at',
            'conversations.last_inbound_at',
          ),
          unread_count: eb('conversations.unread_count', '+', eb.ref('excluded.unread_count')),
          // A customer writing again reopens a resolved conversation.
          status: eb
            .case()
            .when('excluded.last_inbound_at', 'is not', null)
            .then('open')
            .else(eb.ref('conversations.status'))
            .end(),
        })),
      )
      .returning(['id', 'last_inbound_at']),
)

/**
 * The conversation of an account with a contact, created when new, touched by a message.
 * Returns its id and when the contact last wrote in it (for the 24-hour window).
 */
export async function upsertConversation(
  db: Executor,
  accountId: string,
  contactId: string,
  direction: 'in' | 'out',
  at: string,
): Promise<{ id: string; lastInboundAt: string | null }> {
  const { rows } = await upsertConversationQuery(db, {
    id: newId(),
    accountId,
    contactId,
    unread: direction === 'in' ? 1 : 0,
    at,
    inAt: direction === 'in' ? at : null,
    now: nowIso(),
  })
  const row = rows[0]!
  return { id: row.id, lastInboundAt: row.last_inbound_at }
}

export async function findIdByExternalId(
  db: Executor,
  accountId: string,
  externalId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('messages')
    .select('id')
    .where('account_id', '=', accountId)
    .where('external_id', '=', externalId)
    .executeTakeFirst()
  return row?.id
}

export interface NewMessage {
  accountId: string
  conversationId: string
  contactId: string
  /** The contact's number, E.164. */
  phone: string
  direction: 'in' | 'out'
  type: MessageType
  text: string | null
  /** The content in full; leave it out for a plain text message. */
  content?: MessageContent
  status: MessageStatus
  externalId?: string
  idempotencyKey?: string
  at?: string
}

const insertMessageQuery = prepared(
  (
    db,
    p: {
      id: string
      accountId: string
      conversationId: string
      contactId: string
      phone: string
      direction: 'in' | 'out'
      type: string
      text: string | null
      payload: string | null
      status: string
      externalId: string | null
      idempotencyKey: string | null
      at: string
      now: string
    },
  ) =>
    db
      .insertInto('messages')
      .values({
        id: p.id,
        account_id: p.accountId,
        conversation_id: p.conversationId,
        contact_id: p.contactId,
        phone: p.phone,
        direction: p.direction,
        type: p.type,
        text: p.text,
        payload: p.payload,
        status: p.status,
        external_id: p.externalId,
        idempotency_key: p.idempotencyKey,
        created_at: p.at,
        updated_at: p.now,
      })
      .onConflict((oc) => oc.doNothing())
      .returningAll(),
)

/**
 * Stores a message; returns it, or undefined when one with the same external id or
 * idempotency key is already stored for the account.
 */
export async function insertMessage(db: Executor, m: NewMessage): Promise<Message | undefined> {
  const now = nowIso()
  const { rows } = await insertMessageQuery(db, {
    id: newId(),
    accountId: m.accountId,
    conversationId: m.conversationId,
    contactId: m.contactId,
    phone: m.phone,
    direction: m.direction,
    type: m.type,
    text: m.text,
    payload: m.content ? toJson(m.content) : null,
    status: m.status,
    externalId: m.externalId ?? null,
    idempotencyKey: m.idempotencyKey ?? null,
    at: m.at ?? now,
    now,
  })
  const row = rows[0]
  return row && toMessage(row)
}

export async function findByIdempotencyKey(
  db: Executor,
  accountId: string,
  key: string,
): Promise<Message | undefined> {
  const row = await selectMessages(db)
    .where('messages.account_id', '=', accountId)
    .where('messages.idempotency_key', '=', key)
    .executeTakeFirst()
  return row && toMessage(row)
}

const findMessageQuery = prepared((db, p: { id: string }) =>
  selectMessages(db).where('messages.id', '=', p.id),
)

export async function findMessage(db: Executor, id: string): Promise<Message | undefined> {
  const row = (await findMessageQuery(db, { id })).rows[0]
  return row && toMessage(row)
}

export async function listMessages(
  db: Executor,
  filter: {
    accountId?: string
    contactId?: string
    conversationId?: string
    phone?: string
    status?: MessageStatus
    direction?: 'in' | 'out'
    before?: string
    limit: number
    accountIds?: readonly string[]
  },
): Promise<Message[]> {
  if (filter.accountIds?.length === 0) return []
  const rows = await selectMessages(db)
    .$if(filter.accountIds !== undefined, (q) =>
      q.where('messages.account_id', 'in', [...filter.accountIds!]),
    )
    .$if(filter.accountId !== undefined, (q) =>
      q.where('messages.account_id', '=', filter.accountId!),
    )
    .$if(filter.contactId !== undefined, (q) =>
      q.where('messages.contact_id', '=', filter.contactId!),
    )
    .$if(filter.conversationId !== undefined, (q) =>
      q.where('messages.conversation_id', '=', filter.conversationId!),
    )
    .$if(filter.phone !== undefined, (q) => q.where('messages.phone', '=', filter.phone!))
    .$if(filter.status !== undefined, (q) => q.where('messages.status', '=', filter.status!))
    .$if(filter.direction !== undefined, (q) =>
      q.where('messages.direction', '=', filter.direction!),
    )
    .$if(filter.before !== undefined, (q) => q.where('messages.id', '<', filter.before!))
    .orderBy('messages.id', 'desc')
    .limit(filter.limit)
    .execute()
  return rows.map(toMessage)
}

/** Most states a transition may start from (see `transition`). */
const MAX_FROM = 5

type TransitionParams = {
  to: string
  now: string
  externalId: string | null
  setError: number
  error: string | null
  sentAt: string | null
  deliveredAt: string | null
  readAt: string | null
  f0: string
  f1: string
  f2: string
  f3: string
  f4: string
}

function transitionSet(db: Executor, p: TransitionParams) {
  return db.updateTable('messages').set((eb) => ({
    status: p.to,
    updated_at: p.now,
    external_id: eb.fn.coalesce(eb.val(p.externalId), 'external_id'),
    error: eb
      .case()
      .when(eb.val(p.setError), '=', 1)
      .then(eb.val(p.error))
      .else(eb.ref('error'))
      .end()
      .$castTo<string>(),
    sent_at: eb.fn.coalesce(eb.val(p.sentAt), 'sent_at'),
    delivered_at: eb.fn.coalesce(eb.val(p.deliveredAt), 'delivered_at'),
    read_at: eb.fn.coalesce(eb.val(p.readAt), 'read_at'),
  }))
}

// One fixed shape per kind of lookup, so each is compiled once: the allowed states are
// always five parameters (the list is padded with its first state).
const transitionById = prepared((db, p: TransitionParams & { id: string }) =>
  transitionSet(db, p)
    .where('id', '=', p.id)
    .where('status', 'in', [p.f0, p.f1, p.f2, p.f3, p.f4])
    .returningAll(),
)

const transitionByExternalId = prepared(
  (db, p: TransitionParams & { accountId: string; lookupExternalId: string }) =>
    transitionSet(db, p)
      .where('account_id', '=', p.accountId)
      .where('external_id', '=', p.lookupExternalId)
      .where('status', 'in', [p.f0, p.f1, p.f2, p.f3, p.f4])
      .returningAll(),
)

/**
 * Moves a message to `status` if it is in one of `from`; returns the updated message, or
 * undefined when it was not in one of those states (someone else moved it first).
 */
export async function transition(
  db: Executor,
  where: { id: string } | { accountId: string; externalId: string },
  from: readonly MessageStatus[],
  to: MessageStatus,
  extra: {
    externalId?: string
    error?: { code: string; message: string } | null
    at?: string
  } = {},
): Promise<Message | undefined> {
  if (from.length === 0 || from.length > MAX_FROM) {
    throw new Error(`transition takes 1 to ${MAX_FROM} states, not ${from.length}`)
  }
  const at = extra.at ?? nowIso()
  const padded = Array.from({ length: MAX_FROM }, (_, i) => from[i] ?? from[0]!)
  const params: TransitionParams = {
    to,
    now: nowIso(),
    externalId: extra.externalId ?? null,
    setError: extra.error === undefined ? 0 : 1,
    error: extra.error ? toJson(extra.error) : null,
    sentAt: to === 'sent' ? at : null,
    deliveredAt: to === 'delivered' ? at : null,
    readAt: to === 'read' ? at : null,
    f0: padded[0]!,
    f1: padded[1]!,
    f2: padded[2]!,
    f3: padded[3]!,
    f4: padded[4]!,
  }
  const { rows } =
    'id' in where
      ? await transitionById(db, { ...params, id: where.id })
      : await transitionByExternalId(db, {
          ...params,
          accountId: where.accountId,
          lookupExternalId: where.externalId,
        })
  const row = rows[0]
  return row && toMessage(row)
}

/**
 * Moves every message of the account with one of `externalIds` from one of `from` to
 * `to` in one statement (a batch of receipts); returns the messages it moved.
 */
export async function transitionMany(
  db: Executor,
  accountId: string,
  externalIds: readonly string[],
  from: readonly MessageStatus[],
  to: 'sent' | 'delivered' | 'read',
  at: string,
): Promise<Message[]> {
  if (externalIds.length === 0) return []
  const column = ({ sent: 'sent_at', delivered: 'delivered_at', read: 'read_at' } as const)[to]
  const rows = await db
    .updateTable('messages')
    .set({ status: to, updated_at: nowIso(), [column]: at })
    .where('account_id', '=', accountId)
    .where('external_id', 'in', externalIds)
    .where('status', 'in', from)
    .returningAll()
    .execute()
  return rows.map(toMessage)
}

/** Which of these external ids the account has messages for. */
export async function knownExternalIds(
  db: Executor,
  accountId: string,
  externalIds: readonly string[],
): Promise<Set<string>> {
  if (externalIds.length === 0) return new Set()
  const rows = await db
    .selectFrom('messages')
    .select('external_id')
    .where('account_id', '=', accountId)
    .where('external_id', 'in', externalIds)
    .execute()
  return new Set(rows.map((r) => r.external_id!))
}

/** Replaces a message's content (e.g. once its media is downloaded); returns the message. */
export async function setContent(
  db: Executor,
  id: string,
  content: MessageContent,
): Promise<Message | undefined> {
  const row = await db
    .updateTable('messages')
    .set({ payload: toJson(content), updated_at: nowIso() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row && toMessage(row)
}

/** The provider's id of a message of the account, or undefined (not found, or not sent yet). */
export async function externalIdOf(
  db: Executor,
  accountId: string,
  id: string,
): Promise<{ found: boolean; externalId: string | null }> {
  const row = await db
    .selectFrom('messages')
    .select('external_id')
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  return { found: row !== undefined, externalId: row?.external_id ?? null }
}
