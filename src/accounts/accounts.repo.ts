import type { Selectable } from 'kysely'
import { z } from 'zod'
import {
  fromJson,
  nowIso,
  toJson,
  type AccountsTable,
  type Executor,
} from '../platform/db/index.js'
import type { ConnectionState, TransportKind } from '../transports/index.js'
import { accountSettingsSchema, type Account, type AccountSettings } from './accounts.schemas.js'

// The public part of each transport's credentials, as `accounts.transport_config` holds it.
export const cloudConfigSchema = z.object({
  phoneNumberId: z.string(),
  wabaId: z.string().nullable().default(null),
  graphBaseUrl: z.string(),
  apiVersion: z.string(),
})

export const baileysConfigSchema = z.object({ phone: z.string() })

function toAccount(row: Selectable<AccountsTable>): Account {
  const transport = row.transport as TransportKind
  const config = fromJson(row.transport_config)
  const hasSecrets = row.credentials !== null
  return {
    id: row.id,
    name: row.name,
    transport,
    state: row.state as ConnectionState,
    stateReason: row.state_reason,
    // Settings are re-read through the schema so that new settings get their defaults.
    settings: accountSettingsSchema.parse(fromJson(row.settings) ?? {}),
    ...(transport === 'cloud' && config
      ? {
          cloud: {
            ...cloudConfigSchema.parse(config),
            hasAccessToken: hasSecrets,
            hasAppSecret: hasSecrets,
            hasVerifyToken: hasSecrets,
          },
        }
      : {}),
    ...(transport === 'baileys' && config ? { baileys: baileysConfigSchema.parse(config) } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** A transport's credentials as stored: `sealed` is encrypted with the instance key. */
export interface CredentialsColumns {
  externalId: string | null
  config: Record<string, unknown> | null
  sealed: string | null
}

export async function insertAccount(
  db: Executor,
  account: {
    id: string
    name: string
    transport: TransportKind
    settings: AccountSettings
  } & CredentialsColumns,
): Promise<Account> {
  const now = nowIso()
  const row = await db
    .insertInto('accounts')
    .values({
      id: account.id,
      name: account.name,
      transport: account.transport,
      state: 'created',
      settings: toJson(account.settings),
      transport_config: account.config === null ? null : toJson(account.config),
      external_id: account.externalId,
      credentials: account.sealed,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toAccount(row)
}

export async function findAccount(
  db: Executor,
  id: string,
  options: { includeDeleted?: boolean } = {},
): Promise<Account | undefined> {
  const row = await db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', id)
    .$if(!options.includeDeleted, (qb) => qb.where('deleted_at', 'is', null))
    .executeTakeFirst()
  return row && toAccount(row)
}

export async function listAccounts(
  db: Executor,
  page: { limit: number; after?: string; ids?: readonly string[] },
): Promise<Account[]> {
  if (page.ids?.length === 0) return []
  const rows = await db
    .selectFrom('accounts')
    .selectAll()
    .where('deleted_at', 'is', null)
    .$if(page.ids !== undefined, (qb) => qb.where('id', 'in', [...page.ids!]))
    .$if(page.after !== undefined, (qb) => qb.where('id', '>', page.after!))
    .orderBy('id')
    .limit(page.limit)
    .execute()
  return rows.map(toAccount)
}

/** The account (not deleted) whose id on its provider is `externalId`. */
export async function findAccountByExternalId(
  db: Executor,
  transport: TransportKind,
  externalId: string,
): Promise<Account | undefined> {
  const row = await db
    .selectFrom('accounts')
    .selectAll()
    .where('transport', '=', transport)
    .where('external_id', '=', externalId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return row && toAccount(row)
}

/** The stored parts of an account's credentials (of an account not deleted). */
export async function findCredentials(
  db: Executor,
  id: string,
): Promise<
  { id: string; transport: TransportKind; config: unknown; sealed: string | null } | undefined
> {
  const row = await db
    .selectFrom('accounts')
    .select(['id', 'transport', 'transport_config', 'credentials'])
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return (
    row && {
      id: row.id,
      transport: row.transport as TransportKind,
      config: fromJson(row.transport_config),
      sealed: row.credentials,
    }
  )
}

export async function updateAccount(
  db: Executor,
  id: string,
  change: { name?: string; settings?: AccountSettings; credentials?: CredentialsColumns },
): Promise<Account | undefined> {
  const credentials = change.credentials
  const row = await db
    .updateTable('accounts')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.settings !== undefined ? { settings: toJson(change.settings) } : {}),
      ...(credentials
        ? {
            external_id: credentials.externalId,
            transport_config: credentials.config === null ? null : toJson(credentials.config),
            credentials: credentials.sealed,
          }
        : {}),
      updated_at: nowIso(),
    })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
  return row && toAccount(row)
}

/**
 * Moves the account from state `from` to `to`, only if it is still in `from` (a compare and
 * set: two changes racing cannot both apply). Undefined when it was not in `from`.
 */
export async function compareAndSetState(
  db: Executor,
  id: string,
  from: ConnectionState,
  to: ConnectionState,
  reason: string | null,
): Promise<Account | undefined> {
  const row = await db
    .updateTable('accounts')
    .set({ state: to, state_reason: reason, updated_at: nowIso() })
    .where('id', '=', id)
    .where('state', '=', from)
    .returningAll()
    .executeTakeFirst()
  return row && toAccount(row)
}

export async function softDeleteAccount(db: Executor, id: string): Promise<boolean> {
  const now = nowIso()
  const result = await db
    .updateTable('accounts')
    .set({ deleted_at: now, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

// A purge crosses into the tables of messages/ and bot/: the account's rows there must go
// before the account row can (their foreign keys point at it), and messages/ and bot/ sit
// above accounts/, which cannot call them.

/** Deletes up to `limit` of the account's messages; returns how many it deleted. */
export async function deleteMessagesBatch(
  db: Executor,
  accountId: string,
  limit: number,
): Promise<number> {
  const result = await db
    .deleteFrom('messages')
    .where('id', 'in', (qb) =>
      qb.selectFrom('messages').select('id').where('account_id', '=', accountId).limit(limit),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Deletes the account row, with its conversations and its own rules (messages go first). */
export async function deleteAccountRow(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('messages').where('account_id', '=', id).execute()
  await db.deleteFrom('conversations').where('account_id', '=', id).execute()
  await db.deleteFrom('rules').where('account_id', '=', id).execute()
  await db.deleteFrom('accounts').where('id', '=', id).execute()
}

/** Every sealed credential, deleted accounts' included (to re-encrypt them all). */
export async function listSealedCredentials(
  db: Executor,
  limit?: number,
): Promise<Array<{ id: string; credentials: string }>> {
  const rows = await db
    .selectFrom('accounts')
    .select(['id', 'credentials'])
    .where('credentials', 'is not', null)
    .orderBy('id')
    .$if(limit !== undefined, (qb) => qb.limit(limit!))
    .execute()
  return rows.map((row) => ({ id: row.id, credentials: row.credentials! }))
}

export async function setSealedCredentials(
  db: Executor,
  id: string,
  sealed: string,
): Promise<void> {
  await db.updateTable('accounts').set({ credentials: sealed }).where('id', '=', id).execute()
}

/** Whether `err` is the database refusing a duplicate in a unique index. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  // better-sqlite3: SQLITE_CONSTRAINT_UNIQUE; pg: SQLSTATE 23505 (unique_violation).
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505'
}
