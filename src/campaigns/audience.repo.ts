import type { Selectable } from 'kysely'
import type { ContactsTable, Executor } from '../platform/db/index.js'

export type ContactRow = Pick<
  Selectable<ContactsTable>,
  'id' | 'phone' | 'name' | 'language' | 'tags' | 'attributes' | 'opted_out'
>

const columns = ['id', 'phone', 'name', 'language', 'tags', 'attributes', 'opted_out'] as const

/** Contacts in id order after `after`. */
export async function contactsAfter(
  db: Executor,
  after: string | undefined,
  limit: number,
): Promise<ContactRow[]> {
  return db
    .selectFrom('contacts')
    .select(columns)
    .$if(after !== undefined, (q) => q.where('id', '>', after!))
    .orderBy('id')
    .limit(limit)
    .execute()
}

export async function contactsById(db: Executor, ids: readonly string[]): Promise<ContactRow[]> {
  if (ids.length === 0) return []
  return db
    .selectFrom('contacts')
    .select(columns)
    .where('id', 'in', [...ids])
    .execute()
}

export async function contactsByPhone(
  db: Executor,
  phones: readonly string[],
): Promise<ContactRow[]> {
  if (phones.length === 0) return []
  return db
    .selectFrom('contacts')
    .select(columns)
    .where('phone', 'in', [...phones])
    .execute()
}

/**
 * For each contact, the account among `accountIds` it last had a conversation with, and
 * when it last wrote to each of them (for the 24-hour window).
 */
export async function conversationsOf(
  db: Executor,
  contactIds: readonly string[],
  accountIds: readonly string[],
): Promise<
  Array<{
    contactId: string
    accountId: string
    lastMessageAt: string
    lastInboundAt: string | null
  }>
> {
  if (contactIds.length === 0 || accountIds.length === 0) return []
  const rows = await db
    .selectFrom('conversations')
    .select(['contact_id', 'account_id', 'last_message_at', 'last_inbound_at'])
    .where('contact_id', 'in', [...contactIds])
    .where('account_id', 'in', [...accountIds])
    .execute()
  return rows.map((r) => ({
    contactId: r.contact_id,
    accountId: r.account_id,
    lastMessageAt: r.last_message_at,
    lastInboundAt: r.last_inbound_at,
  }))
}
