import type { Selectable } from 'kysely'
import {
  fromJson,
  nowIso,
  toJson,
  type ApiKeysTable,
  type Executor,
  type UsersTable,
} from '../platform/db/index.js'
import type { Role, Scope } from './roles.js'

export interface ApiKeyRecord {
  id: string
  name: string
  prefix: string
  /** The most the key may do: its user's role caps it further. */
  role: Role
  scopes: Scope[]
  /** The user the key acts for. */
  userId: string
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
    scopes: (fromJson<string[]>(row.scopes) ?? []) as Scope[],
    userId: row.user_id ?? '',
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  }
}

export async function insertApiKey(
  db: Executor,
  key: {
    id: string
    name: string
    prefix: string
    hash: string
    role: Role
    scopes: readonly Scope[]
    userId: string
  },
): Promise<ApiKeyRecord> {
  const row = await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      key_hash: key.hash,
      role: key.role,
      scopes: toJson(key.scopes),
      user_id: key.userId,
      created_at: nowIso(),
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toRecord(row)
}

/** The active key with this hash and the row of its user, in one query. */
export async function findActiveWithUser(
  db: Executor,
  hash: string,
): Promise<{ key: ApiKeyRecord; user: Selectable<UsersTable> } | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .selectAll('api_keys')
    .select([
      'users.kind as u_kind',
      'users.email as u_email',
      'users.name as u_name',
      'users.role as u_role',
      'users.availability as u_availability',
      'users.password_hash as u_password_hash',
      'users.password_changed_at as u_password_changed_at',
      'users.disabled_at as u_disabled_at',
      'users.last_sign_in_at as u_last_sign_in_at',
      'users.created_at as u_created_at',
      'users.updated_at as u_updated_at',
    ])
    .where('api_keys.key_hash', '=', hash)
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    key: toRecord(row),
    user: {
      id: row.user_id ?? '',
      kind: row.u_kind,
      email: row.u_email,
      name: row.u_name,
      role: row.u_role,
      availability: row.u_availability,
      password_hash: row.u_password_hash,
      password_changed_at: row.u_password_changed_at,
      disabled_at: row.u_disabled_at,
      last_sign_in_at: row.u_last_sign_in_at,
      created_at: row.u_created_at,
      updated_at: row.u_updated_at,
    },
  }
}

export async function findApiKey(db: Executor, id: string): Promise<ApiKeyRecord | undefined> {
  const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()
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

/** Keys, oldest first: of one user, or every key. Revoked keys stay listed, marked. */
export async function listApiKeys(
  db: Executor,
  filter: { userId?: string } = {},
): Promise<ApiKeyRecord[]> {
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .$if(filter.userId !== undefined, (q) => q.where('user_id', '=', filter.userId!))
    .orderBy('id')
    .execute()
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
