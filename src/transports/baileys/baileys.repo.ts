import type { Executor } from '../../platform/db/index.js'

// The SQL of the WhatsApp Web transport's tables. Values arrive here already sealed.

/** Rows per statement: keeps every batch well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK))
  return out
}

/** The sealed values of the keys the account has, by key (absent keys are left out). */
export async function readAuth(
  db: Executor,
  accountId: string,
  keys: readonly string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  for (const part of chunks(keys)) {
    const rows = await db
      .selectFrom('baileys_auth')
      .select(['key', 'value'])
      .where('account_id', '=', accountId)
      .where('key', 'in', part)
      .execute()
    for (const row of rows) found.set(row.key, row.value)
  }
  return found
}

/** Inserts or replaces sealed values. */
export async function upsertAuth(
  db: Executor,
  accountId: string,
  entries: ReadonlyArray<{ key: string; value: string }>,
  now: string,
): Promise<void> {
  for (const part of chunks(entries)) {
    await db
      .insertInto('baileys_auth')
      .values(
        part.map((e) => ({ account_id: accountId, key: e.key, value: e.value, updated_at: now })),
      )
      .onConflict((oc) =>
        oc.columns(['account_id', 'key']).doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute()
  }
}

export async function deleteAuth(
  db: Executor,
  accountId: string,
  keys: readonly string[],
): Promise<void> {
  for (const part of chunks(keys)) {
    await db
      .deleteFrom('baileys_auth')
      .where('account_id', '=', accountId)
      .where('key', 'in', part)
      .execute()
  }
}

/** Forgets the account's whole auth state and its sent-message store. */
export async function clearAuth(db: Executor, accountId: string): Promise<void> {
  await db.deleteFrom('baileys_auth').where('account_id', '=', accountId).execute()
  await db.deleteFrom('baileys_messages').where('account_id', '=', accountId).execute()
}

export async function insertMessage(
  db: Executor,
  row: { accountId: string; messageId: string; value: string; createdAt: string },
): Promise<void> {
  await db
    .insertInto('baileys_messages')
    .values({
      account_id: row.accountId,
      message_id: row.messageId,
      value: row.value,
      created_at: row.createdAt,
    })
    .onConflict((oc) =>
      oc.columns(['account_id', 'message_id']).doUpdateSet((eb) => ({
        value: eb.ref('excluded.value'),
      })),
    )
    .execute()
}

export async function findMessage(
  db: Executor,
  accountId: string,
  messageId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('baileys_messages')
    .select('value')
    .where('account_id', '=', accountId)
    .where('message_id', '=', messageId)
    .executeTakeFirst()
  return row?.value
}

/** Deletes the account's stored messages older than `before`; returns how many. */
export async function pruneMessages(
  db: Executor,
  accountId: string,
  before: string,
): Promise<number> {
  const result = await db
    .deleteFrom('baileys_messages')
    .where('account_id', '=', accountId)
    .where('created_at', '<', before)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function upsertLid(
  db: Executor,
  row: { accountId: string; lid: string; phone: string; now: string },
): Promise<void> {
  await db
    .insertInto('baileys_lids')
    .values({ account_id: row.accountId, lid: row.lid, phone: row.phone, updated_at: row.now })
    .onConflict((oc) =>
      oc.columns(['account_id', 'lid']).doUpdateSet((eb) => ({
        phone: eb.ref('excluded.phone'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute()
}

export async function findLidPhone(
  db: Executor,
  accountId: string,
  lid: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('baileys_lids')
    .select('phone')
    .where('account_id', '=', accountId)
    .where('lid', '=', lid)
    .executeTakeFirst()
  return row?.phone
}
