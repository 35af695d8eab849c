import { sql, type Selectable } from 'kysely'
import {
  fromJson,
  nowIso,
  prepared,
  toJson,
  type ContactAttributesTable,
  type Dialect,
  type Executor,
} from '../platform/db/index.js'
import { newId } from '../platform/ids.js'
import type { Attribute, AttributeType } from './attributes.schemas.js'
import type { Contact } from './contacts.schemas.js'
import { contactColumns, type ContactRowOut } from './filter.repo.js'

const upsert = prepared(
  (
    db,
    p: {
      id: string
      phone: string
      name: string | null
      inAt: string | null
      outAt: string | null
      now: string
    },
  ) =>
    db
      .insertInto('contacts')
      .values({
        id: p.id,
        phone: p.phone,
        name: p.name,
        tags: '[]',
        attributes: '{}',
        first_inbound_at: p.inAt,
        last_inbound_at: p.inAt,
        first_outbound_at: p.outAt,
        last_outbound_at: p.outAt,
        created_at: p.now,
        updated_at: p.now,
      })
      .onConflict((oc) =>
        oc.column('phone').doUpdateSet((eb) => ({
          updated_at: eb.ref('excluded.updated_at'),
          first_inbound_at: eb.fn.coalesce(
            'contacts.first_inbound_at',
            'excluded.first_inbound_at',
          ),
          last_inbound_at: eb.fn.coalesce('excluded.last_inbound_at', 'contacts.last_inbound_at'),
          first_outbound_at: eb.fn.coalesce(
            'contacts.first_outbound_at',
            'excluded.first_outbound_at',
          ),
          last_outbound_at: eb.fn.coalesce(
            'excluded.last_outbound_at',
            'contacts.last_outbound_at',
          ),
          name: eb.fn.coalesce('contacts.name', 'excluded.name'),
        })),
      )
      .returning('id'),
)

/**
 * The id of the contact with this E.164 number, created when new. `seen` records the
 * time of an inbound or outbound message; `profileName` fills the name when it is unset.
 */
export async function upsertContactByPhone(
  db: Executor,
  phone: string,
  seen: { direction?: 'in' | 'out'; at?: string; profileName?: string } = {},
): Promise<string> {
  const now = nowIso()
  const at = seen.at ?? now
  const { rows } = await upsert(db, {
    id: newId(),
    phone,
    name: seen.profileName ?? null,
    inAt: seen.direction === 'in' ? at : null,
    outAt: seen.direction === 'out' ? at : null,
    now,
  })
  return rows[0]!.id
}

export async function findContactPhone(db: Executor, id: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select('phone')
    .where('id', '=', id)
    .executeTakeFirst()
  return row?.phone
}

// ---- contacts ----

/** A contact row as read (by `contactColumns`) to the API's shape. */
export function toContact(row: ContactRowOut): Contact {
  const r = row as Record<string, unknown>
  const onWhatsApp = r.on_whatsapp === null ? null : Number(r.on_whatsapp) === 1
  return {
    id: r.id as string,
    phone: r.phone as string,
    name: r.name as string | null,
    language: r.language as string | null,
    timezone: r.timezone as string | null,
    tags: fromJson(r.tags as string[] | string) ?? [],
    attributes: fromJson(r.attributes as Contact['attributes'] | string) ?? {},
    notes: r.notes as string | null,
    optedOut: Number(r.opted_out) === 1,
    optedOutAt: r.opted_out_at as string | null,
    optedOutSource: r.opted_out_source as string | null,
    firstInboundAt: r.first_inbound_at as string | null,
    lastInboundAt: r.last_inbound_at as string | null,
    firstOutboundAt: r.first_outbound_at as string | null,
    lastOutboundAt: r.last_outbound_at as string | null,
    lid: r.lid as string | null,
    onWhatsApp,
    onWhatsAppCheckedAt: r.whatsapp_checked_at as string | null,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  }
}

export async function findContact(db: Executor, id: string): Promise<Contact | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select([...contactColumns])
    .where('id', '=', id)
    .executeTakeFirst()
  return row && toContact(row as ContactRowOut)
}

/** Reads a contact to change it: on PostgreSQL the row stays locked until the transaction ends. */
export async function findContactForUpdate(
  db: Executor,
  dialect: Dialect,
  id: string,
): Promise<Contact | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select([...contactColumns])
    .where('id', '=', id)
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst()
  return row && toContact(row as ContactRowOut)
}

export async function findContactsByIds(db: Executor, ids: string[]): Promise<Contact[]> {
  if (ids.length === 0) return []
  const rows = await db
    .selectFrom('contacts')
    .select([...contactColumns])
    .where('id', 'in', ids)
    .execute()
  return rows.map((r) => toContact(r as ContactRowOut))
}

export async function findContactBy(
  db: Executor,
  by: { phone: string } | { lid: string },
): Promise<Contact | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select([...contactColumns])
    .$if('phone' in by, (q) => q.where('phone', '=', (by as { phone: string }).phone))
    .$if('lid' in by, (q) => q.where('lid', '=', (by as { lid: string }).lid))
    .executeTakeFirst()
  return row && toContact(row as ContactRowOut)
}

/** The fields of a contact row a write sets (snake case, JSON as text). */
export interface ContactWrite {
  phone?: string
  name?: string | null
  language?: string | null
  timezone?: string | null
  notes?: string | null
  lid?: string | null
  tags?: string[]
  attributes?: Record<string, string | number | boolean>
  opted_out?: number
  opted_out_at?: string | null
  opted_out_source?: string | null
  first_inbound_at?: string | null
  last_inbound_at?: string | null
  first_outbound_at?: string | null
  last_outbound_at?: string | null
  on_whatsapp?: number | null
  whatsapp_checked_at?: string | null
}

function columnsOf(write: ContactWrite) {
  const { tags, attributes, ...rest } = write
  return {
    ...rest,
    ...(tags !== undefined ? { tags: toJson(tags) } : {}),
    ...(attributes !== undefined ? { attributes: toJson(attributes) } : {}),
  }
}

export async function insertContact(
  db: Executor,
  id: string,
  write: ContactWrite & { phone: string },
): Promise<void> {
  const now = nowIso()
  await db
    .insertInto('contacts')
    .values({
      tags: '[]',
      attributes: '{}',
      ...columnsOf(write),
      id,
      phone: write.phone,
      created_at: now,
      updated_at: now,
    })
    .execute()
}

export async function updateContactRow(
  db: Executor,
  id: string,
  write: ContactWrite,
): Promise<boolean> {
  const result = await db
    .updateTable('contacts')
    .set({ ...columnsOf(write), updated_at: nowIso() })
    .where('id', '=', id)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Replaces a contact's rows in the tag index. */
export async function indexTags(db: Executor, contactId: string, tags: string[]): Promise<void> {
  await db.deleteFrom('contact_tags').where('contact_id', '=', contactId).execute()
  if (tags.length === 0) return
  await db
    .insertInto('contact_tags')
    .values(tags.map((tag) => ({ tag, contact_id: contactId })))
    .execute()
}

/** The typed index row of one attribute value. */
export function attributeIndexRow(
  contactId: string,
  key: string,
  type: AttributeType,
  value: string | number | boolean,
): { contact_id: string; key: string; num: number | null; txt: string | null } {
  if (type === 'number') return { contact_id: contactId, key, num: Number(value), txt: null }
  if (type === 'boolean') return { contact_id: contactId, key, num: value ? 1 : 0, txt: null }
  return { contact_id: contactId, key, num: null, txt: String(value) }
}

/** Replaces a contact's rows in the attribute index. */
export async function indexAttributes(
  db: Executor,
  contactId: string,
  attributes: Record<string, string | number | boolean>,
  types: ReadonlyMap<string, AttributeType>,
): Promise<void> {
  await db.deleteFrom('contact_attribute_values').where('contact_id', '=', contactId).execute()
  const rows = Object.entries(attributes).flatMap(([key, value]) => {
    const type = types.get(key)
    return type ? [attributeIndexRow(contactId, key, type, value)] : []
  })
  if (rows.length === 0) return
  await db.insertInto('contact_attribute_values').values(rows).execute()
}

/**
 * Deletes up to `limit` of a contact's messages; returns how many it deleted. (Deleting a
 * contact crosses into the tables of messages/, which sits above contacts/.)
 */
export async function deleteContactMessagesBatch(
  db: Executor,
  contactId: string,
  limit: number,
): Promise<number> {
  const result = await db
    .deleteFrom('messages')
    .where('id', 'in', (qb) =>
      qb.selectFrom('messages').select('id').where('contact_id', '=', contactId).limit(limit),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Deletes the contact row with its conversations (its messages go first). */
export async function deleteContactRow(db: Executor, id: string): Promise<boolean> {
  await db.deleteFrom('messages').where('contact_id', '=', id).execute()
  await db.deleteFrom('conversations').where('contact_id', '=', id).execute()
  const result = await db.deleteFrom('contacts').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/**
 * Moves the conversations and messages of contact `from` to contact `into`. A conversation
 * with an account that `into` already talks to is folded into `into`'s: its messages move
 * there (each keeps the number it was sent to or from), and it is deleted.
 */
export async function moveHistory(db: Executor, from: string, into: string): Promise<void> {
  const theirs = await db
    .selectFrom('conversations')
    .selectAll()
    .where('contact_id', '=', from)
    .execute()
  for (const conversation of theirs) {
    const ours = await db
      .selectFrom('conversations')
      .selectAll()
      .where('contact_id', '=', into)
      .where('account_id', '=', conversation.account_id)
      .executeTakeFirst()
    if (!ours) {
      await db
        .updateTable('conversations')
        .set({ contact_id: into, updated_at: nowIso() })
        .where('id', '=', conversation.id)
        .execute()
      continue
    }
    await db
      .updateTable('messages')
      .set({ conversation_id: ours.id, contact_id: into })
      .where('conversation_id', '=', conversation.id)
      .execute()
    const later = (a: string | null, b: string | null) =>
      a === null ? b : b === null ? a : a > b ? a : b
    await db
      .updateTable('conversations')
      .set({
        last_message_at: later(ours.last_message_at, conversation.last_message_at)!,
        last_inbound_at: later(ours.last_inbound_at, conversation.last_inbound_at),
        unread_count: ours.unread_count + conversation.unread_count,
        updated_at: nowIso(),
      })
      .where('id', '=', ours.id)
      .execute()
    await db.deleteFrom('conversations').where('id', '=', conversation.id).execute()
  }
  await db
    .updateTable('messages')
    .set({ contact_id: into })
    .where('contact_id', '=', from)
    .execute()
}

// ---- attribute declarations ----

function toAttribute(row: Selectable<ContactAttributesTable>): Attribute {
  return {
    key: row.key,
    type: row.type as AttributeType,
    label: row.label,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function listAttributes(db: Executor): Promise<Attribute[]> {
  const rows = await db.selectFrom('contact_attributes').selectAll().orderBy('key').execute()
  return rows.map(toAttribute)
}

/** Declares attributes that are not declared yet (a declared one keeps its type). */
export async function insertAttributes(
  db: Executor,
  declarations: Array<{ key: string; type: AttributeType; label: string | null }>,
): Promise<void> {
  if (declarations.length === 0) return
  const now = nowIso()
  await db
    .insertInto('contact_attributes')
    .values(declarations.map((d) => ({ ...d, created_at: now, updated_at: now })))
    .onConflict((oc) => oc.column('key').doNothing())
    .execute()
}

export async function updateAttributeLabel(
  db: Executor,
  key: string,
  label: string | null,
): Promise<Attribute | undefined> {
  const row = await db
    .updateTable('contact_attributes')
    .set({ label, updated_at: nowIso() })
    .where('key', '=', key)
    .returningAll()
    .executeTakeFirst()
  return row && toAttribute(row)
}

/**
 * Removes attribute `key` from up to `limit` contacts (their JSON and the index); returns
 * how many it changed.
 */
export async function removeAttributeValuesBatch(
  db: Executor,
  dialect: Dialect,
  key: string,
  limit: number,
): Promise<number> {
  const ids = (
    await db
      .selectFrom('contact_attribute_values')
      .select('contact_id')
      .where('key', '=', key)
      .limit(limit)
      .execute()
  ).map((r) => r.contact_id)
  if (ids.length === 0) return 0
  await db
    .updateTable('contacts')
    .set({
      attributes:
        dialect === 'postgres'
          ? sql<string>`attributes - ${key}::text`
          : sql<string>`json_remove(attributes, ${`$.${key}`})`,
      updated_at: nowIso(),
    })
    .where('id', 'in', ids)
    .execute()
  await db
    .deleteFrom('contact_attribute_values')
    .where('key', '=', key)
    .where('contact_id', 'in', ids)
    .execute()
  return ids.length
}

export async function deleteAttribute(db: Executor, key: string): Promise<boolean> {
  const result = await db.deleteFrom('contact_attributes').where('key', '=', key).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

const optedOutQuery = prepared((db, p: { id: string }) =>
  db.selectFrom('contacts').select('opted_out').where('id', '=', p.id),
)

/** Whether the contact opted out of messages (a contact that does not exist has not). */
export async function contactOptedOut(db: Executor, id: string): Promise<boolean> {
  const row = (await optedOutQuery(db, { id })).rows[0]
  return row !== undefined && Number(row.opted_out) === 1
}
