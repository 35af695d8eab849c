import { nowIso, type Executor } from '../platform/db/index.js'
import { newId } from '../platform/ids.js'

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
  const row = await db
    .insertInto('contacts')
    .values({
      id: newId(),
      phone,
      name: seen.profileName ?? null,
      tags: '[]',
      attributes: '{}',
      last_inbound_at: seen.direction === 'in' ? at : null,
      last_outbound_at: seen.direction === 'out' ? at : null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column('phone').doUpdateSet((eb) => ({
        updated_at: now,
        ...(seen.direction === 'in' ? { last_inbound_at: at } : {}),
        ...(seen.direction === 'out' ? { last_outbound_at: at } : {}),
        ...(seen.profileName
          ? { name: eb.fn.coalesce('contacts.name', eb.val(seen.profileName)) }
          : {}),
      })),
    )
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

export async function findContactPhone(db: Executor, id: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select('phone')
    .where('id', '=', id)
    .executeTakeFirst()
  return row?.phone
}
