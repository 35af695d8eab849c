import { nowIso, prepared, type Executor } from '../platform/db/index.js'
import { newId } from '../platform/ids.js'

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
        last_inbound_at: p.inAt,
        last_outbound_at: p.outAt,
        created_at: p.now,
        updated_at: p.now,
      })
      .onConflict((oc) =>
        oc.column('phone').doUpdateSet((eb) => ({
          updated_at: eb.ref('excluded.updated_at'),
          last_inbound_at: eb.fn.coalesce('excluded.last_inbound_at', 'contacts.last_inbound_at'),
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

const optedOutQuery = prepared((db, p: { id: string }) =>
  db.selectFrom('contacts').select('opted_out').where('id', '=', p.id),
)

/** Whether the contact opted out of messages (a contact that does not exist has not). */
export async function contactOptedOut(db: Executor, id: string): Promise<boolean> {
  const row = (await optedOutQuery(db, { id })).rows[0]
  return row !== undefined && Number(row.opted_out) === 1
}
