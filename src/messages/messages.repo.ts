import type { Selectable } from 'kysely'
import {
  fromJson,
  nowIso,
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

/** The conversation of an account with a contact, created when new, touched by a message. */
export async function upsertConversation(
  db: Executor,
  accountId: string,
  contactId: string,
  direction: 'in' | 'out',
  at: string,
): Promise<string> {
  const now = nowIso()
  const row = await db
    .insertInto('conversations')
    .values({
      id: newId(),
      account_id: accountId,
      contact_id: contactId,
      status: 'open',
      unread_count: direction === 'in' ? 1 : 0,
      last_message_at: at,
      last_inbound_at: direction === 'in' ? at : null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['account_id', 'contact_id']).doUpdateSet((eb) => ({
        last_message_at: at,
        updated_at: now,
        ...(direction === 'in'
          ? {
              last_inbound_at: at,
              unread_count: eb('conversations.unread_count', '+', 1),
              // A customer writing again reopens a resolved conversation.
              status: 'open',
            }
          : {}),
      })),
    )
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
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

/**
 * Stores a message; returns it, or undefined when one with the same external id or
 * idempotency key is already stored for the account.
 */
export async function insertMessage(db: Executor, m: NewMessage): Promise<Message | undefined> {
  const now = nowIso()
  const row = await db
    .insertInto('messages')
    .values({
      id: newId(),
      account_id: m.accountId,
      conversation_id: m.conversationId,
      contact_id: m.contactId,
      phone: m.phone,
      direction: m.direction,
      type: m.type,
      text: m.text,
      status: m.status,
      external_id: m.externalId ?? null,
      idempotency_key: m.idempotencyKey ?? null,
      created_at: m.at ?? now,
      updated_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst()
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
