import type { Selectable } from 'kysely'
import { nowIso, type ApiKeysTable, type Executor } from '../platform/db/index.js'
import type { Role } from './roles.js'

export interface ApiKeyRecord {
  id: string
  name: string
  prefix: string
  role: Role
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

function toRecord(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role as Role,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  }
}

export async function insertApiKey(
  db: Executor,
  key: { id: string; name: string; prefix: string; hash: string; role: string },
): Promise<ApiKeyRecord> {
  const row = await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      key_hash: key.hash,
      role: key.role,
      created_at: nowIso(),
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toRecord(row)
}

export async function findActiveByHash(
  db: Executor,
  hash: string,
): Promise<ApiKeyRecord | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row && toRecord(row)
}

export async function countActive(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function listApiKeys(db: Executor): Promise<ApiKeyRecord[]> {
  const rows = await db.selectFrom('api_keys').selectAll().orderBy('id').execute()
  return rows.map(toRecord)
}

export async function revokeApiKey(db: Executor, id: string): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: nowIso() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function touchApiKey(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute()
}
