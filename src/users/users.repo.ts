import type { Selectable } from 'kysely'
import {
  nowIso,
  type Executor,
  type UserLinksTable,
  type UsersTable,
} from '../platform/db/index.js'
import type { Availability, Role } from './roles.js'

export const userKinds = ['person', 'service'] as const
export type UserKind = (typeof userKinds)[number]
export const userStatuses = ['invited', 'active', 'disabled'] as const
export type UserStatus = (typeof userStatuses)[number]

/** A team member as the rest of Linda sees it (never the password hash). */
export interface User {
  id: string
  kind: UserKind
  email: string | null
  name: string
  role: Role
  availability: Availability
  /** invited: has not set a password yet; disabled: can neither sign in nor use keys. */
  status: UserStatus
  /** The accounts an agent or viewer may see (admins and owners see all of them). */
  accountIds: string[]
  lastSignInAt: string | null
  createdAt: string
  updatedAt: string
}

/** A user's row with what sign-in needs. */
export interface UserWithSecret extends User {
  passwordHash: string | null
}

export function toUser(row: Selectable<UsersTable>, accountIds: string[]): UserWithSecret {
  return {
    id: row.id,
    kind: row.kind as UserKind,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    availability: row.availability as Availability,
    status: row.disabled_at
      ? 'disabled'
      : row.kind === 'person' && row.password_hash === null
        ? 'invited'
        : 'active',
    accountIds,
    lastSignInAt: row.last_sign_in_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    passwordHash: row.password_hash,
  }
}

/** Drops the secret before a user leaves the service. */
export function publicUser(user: UserWithSecret): User {
  const { passwordHash: _hidden, ...rest } = user
  return rest
}

export async function insertUser(
  db: Executor,
  user: { id: string; email: string | null; name: string; role: Role; passwordHash?: string },
): Promise<void> {
  const now = nowIso()
  await db
    .insertInto('users')
    .values({
      id: user.id,
      kind: 'person',
      email: user.email,
      name: user.name,
      role: user.role,
      password_hash: user.passwordHash ?? null,
      password_changed_at: user.passwordHash ? now : null,
      created_at: now,
      updated_at: now,
    })
    .execute()
}

/** The account ids of each user, by user id. */
async function accountIdsOf(db: Executor, userIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>()
  if (userIds.length === 0) return map
  const rows = await db
    .selectFrom('user_accounts')
    .select(['user_id', 'account_id'])
    .where('user_id', 'in', userIds)
    .orderBy('account_id')
    .execute()
  for (const row of rows) {
    const list = map.get(row.user_id)
    if (list) list.push(row.account_id)
    else map.set(row.user_id, [row.account_id])
  }
  return map
}

export async function findUser(db: Executor, id: string): Promise<UserWithSecret | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) return undefined
  return toUser(row, (await accountIdsOf(db, [row.id])).get(row.id) ?? [])
}

export async function findUserByEmail(
  db: Executor,
  email: string,
): Promise<UserWithSecret | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('email', '=', email.toLowerCase())
    .executeTakeFirst()
  if (!row) return undefined
  return toUser(row, (await accountIdsOf(db, [row.id])).get(row.id) ?? [])
}

export async function listUsers(
  db: Executor,
  page: { limit: number; after?: string },
): Promise<UserWithSecret[]> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .$if(page.after !== undefined, (q) => q.where('id', '>', page.after!))
    .orderBy('id')
    .limit(page.limit)
    .execute()
  const accounts = await accountIdsOf(
    db,
    rows.map((r) => r.id),
  )
  return rows.map((row) => toUser(row, accounts.get(row.id) ?? []))
}

export async function updateUser(
  db: Executor,
  id: string,
  change: {
    name?: string
    email?: string
    role?: Role
    availability?: Availability
    passwordHash?: string
    disabled?: boolean
    lastSignInAt?: string
  },
): Promise<void> {
  const now = nowIso()
  await db
    .updateTable('users')
    .set({
      updated_at: now,
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.email !== undefined ? { email: change.email.toLowerCase() } : {}),
      ...(change.role !== undefined ? { role: change.role } : {}),
      ...(change.availability !== undefined ? { availability: change.availability } : {}),
      ...(change.passwordHash !== undefined
        ? { password_hash: change.passwordHash, password_changed_at: now }
        : {}),
      ...(change.disabled !== undefined ? { disabled_at: change.disabled ? now : null } : {}),
      ...(change.lastSignInAt !== undefined ? { last_sign_in_at: change.lastSignInAt } : {}),
    })
    .where('id', '=', id)
    .execute()
}

/** Replaces the accounts a user may see. */
export async function setUserAccounts(
  db: Executor,
  userId: string,
  accountIds: readonly string[],
): Promise<void> {
  await db.deleteFrom('user_accounts').where('user_id', '=', userId).execute()
  if (accountIds.length === 0) return
  await db
    .insertInto('user_accounts')
    .values(accountIds.map((accountId) => ({ user_id: userId, account_id: accountId })))
    .execute()
}

/** Which of `ids` name accounts that exist (and are not deleted). */
export async function existingAccountIds(
  db: Executor,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await db
    .selectFrom('accounts')
    .select('id')
    .where('id', 'in', [...ids])
    .where('deleted_at', 'is', null)
    .execute()
  return new Set(rows.map((r) => r.id))
}

/** People who are owners and can sign in (the service user does not count). */
export async function countActiveOwners(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', 'person')
    .where('role', '=', 'owner')
    .where('disabled_at', 'is', null)
    .where('password_hash', 'is not', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

// ---- one-time links ----

export type LinkKind = 'setup' | 'invite' | 'reset'

export interface LinkRecord {
  id: string
  kind: LinkKind
  userId: string | null
  role: Role | null
  expiresAt: string
}

function toLink(row: Selectable<UserLinksTable>): LinkRecord {
  return {
    id: row.id,
    kind: row.kind as LinkKind,
    userId: row.user_id,
    role: row.role as Role | null,
    expiresAt: row.expires_at,
  }
}

export async function insertLink(
  db: Executor,
  link: {
    id: string
    hash: string
    kind: LinkKind
    userId: string | null
    role: Role | null
    expiresAt: string
  },
): Promise<void> {
  await db
    .insertInto('user_links')
    .values({
      id: link.id,
      token_hash: link.hash,
      kind: link.kind,
      user_id: link.userId,
      role: link.role,
      created_at: nowIso(),
      expires_at: link.expiresAt,
    })
    .execute()
}

/** The link with this token hash when it is unused and has not expired. */
export async function findUsableLink(
  db: Executor,
  hash: string,
  now: string,
): Promise<LinkRecord | undefined> {
  const row = await db
    .selectFrom('user_links')
    .selectAll()
    .where('token_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst()
  return row && toLink(row)
}

/** Marks the link used; false when another request used it first (links work once). */
export async function useLink(db: Executor, id: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('user_links')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Ends a user's links that were not used yet (a new one replaces them). */
export async function retireLinks(db: Executor, userId: string, now: string): Promise<void> {
  await db
    .updateTable('user_links')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .execute()
}
