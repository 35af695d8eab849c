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
import type { MessageType } from '../transports/index.js'
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
      .returning('id'),
)

/** The conversation of an account with a contact, created when new, touched by a message. */
export async function upsertConversation(
  db: Executor,
  accountId: string,
  contactId: string,
  direction: 'in' | 'out',
  at: string,
): Promise<string> {
  const { rows } = await upsertConversationQuery(db, {
    id: newId(),
    accountId,
    contactId,
    unread: direction === 'in' ? 1 : 0,
    at,
    inAt: direction === 'in' ? at : null,
    now: nowIso(),
  })
  return rows[0]!.id
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

export async function findMessage(db: Executor, id: string): Promise<Message | undefined> {
  const row = await selectMessages(db).where('messages.id', '=', id).executeTakeFirst()
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
  },
): Promise<Message[]> {
  const rows = await selectMessages(db)
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
  const at = extra.at ?? nowIso()
  const updated = await db
    .updateTable('messages')
    .set({
      status: to,
      updated_at: nowIso(),
      ...(extra.externalId !== undefined ? { external_id: extra.externalId } : {}),
      ...(extra.error !== undefined
        ? { error: extra.error === null ? null : toJson(extra.error) }
        : {}),
      ...(to === 'sent' ? { sent_at: at } : {}),
      ...(to === 'delivered' ? { delivered_at: at } : {}),
      ...(to === 'read' ? { read_at: at } : {}),
    })
    .$call((q) =>
      'id' in where
        ? q.where('id', '=', where.id)
        : q.where('account_id', '=', where.accountId).where('external_id', '=', where.externalId),
    )
    .where('status', 'in', from)
    .returningAll()
    .executeTakeFirst()
  return updated && toMessage(updated)
}
