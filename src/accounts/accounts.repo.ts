import type { Selectable } from 'kysely'
import {
  fromJson,
  nowIso,
  toJson,
  type AccountsTable,
  type Executor,
} from '../platform/db/index.js'
import type { ConnectionState, TransportKind } from '../transports/index.js'
import { accountSettingsSchema, type Account, type AccountSettings } from './accounts.schemas.js'

function toAccount(row: Selectable<AccountsTable>): Account {
  return {
    id: row.id,
    name: row.name,
    transport: row.transport as TransportKind,
    state: row.state as ConnectionState,
    stateReason: row.state_reason,
    // Settings are re-read through the schema so that new settings get their defaults.
    settings: accountSettingsSchema.parse(fromJson(row.settings) ?? {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function insertAccount(
  db: Executor,
  account: { id: string; name: string; transport: TransportKind; settings: AccountSettings },
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
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toAccount(row)
}

export async function findAccount(db: Executor, id: string): Promise<Account | undefined> {
  const row = await db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return row && toAccount(row)
}

export async function listAccounts(
  db: Executor,
  page: { limit: number; after?: string },
): Promise<Account[]> {
  const rows = await db
    .selectFrom('accounts')
    .selectAll()
    .where('deleted_at', 'is', null)
    .$if(page.after !== undefined, (qb) => qb.where('id', '>', page.after!))
    .orderBy('id')
    .limit(page.limit)
    .execute()
  return rows.map(toAccount)
}

export async function updateAccount(
  db: Executor,
  id: string,
  change: { name?: string; settings?: AccountSettings },
): Promise<Account | undefined> {
  const row = await db
    .updateTable('accounts')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.settings !== undefined ? { settings: toJson(change.settings) } : {}),
      updated_at: nowIso(),
    })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
  return row && toAccount(row)
}

export async function setAccountState(
  db: Executor,
  id: string,
  state: ConnectionState,
  reason: string | null,
): Promise<Account | undefined> {
  const row = await db
    .updateTable('accounts')
    .set({ state, state_reason: reason, updated_at: nowIso() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row && toAccount(row)
}

export async function softDeleteAccount(db: Executor, id: string): Promise<boolean> {
  const now = nowIso()
  const result = await db
    .updateTable('accounts')
    .set({ deleted_at: now, updated_at: now, state: 'disconnected' })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}
