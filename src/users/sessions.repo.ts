import { nowIso, type Executor } from '../platform/db/index.js'

export interface SessionRecord {
  id: string
  userId: string
  createdAt: string
  lastSeenAt: string
  expiresAt: string
}

export async function insertSession(
  db: Executor,
  session: {
    id: string
    userId: string
    hash: string
    expiresAt: string
    ip: string | null
    userAgent: string | null
  },
): Promise<void> {
  const now = nowIso()
  await db
    .insertInto('sessions')
    .values({
      id: session.id,
      user_id: session.userId,
      token_hash: session.hash,
      created_at: now,
      last_seen_at: now,
      expires_at: session.expiresAt,
      ip: session.ip,
      user_agent: session.userAgent,
    })
    .execute()
}

/** The live (not revoked) session with this token hash; expiry is the caller's to judge. */
export async function findSessionByHash(
  db: Executor,
  hash: string,
): Promise<SessionRecord | undefined> {
  const row = await db
    .selectFrom('sessions')
    .select(['id', 'user_id', 'created_at', 'last_seen_at', 'expires_at'])
    .where('token_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return (
    row && {
      id: row.id,
      userId: row.user_id,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
    }
  )
}

export async function touchSession(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute()
}

export async function revokeSession(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: nowIso() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute()
}

/** Revokes every live session of the user; returns how many there were. */
export async function revokeUserSessions(db: Executor, userId: string): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: nowIso() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Forgets sessions that ended before `before` (revoked or expired): housekeeping. */
export async function deleteEndedSessions(db: Executor, before: string): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
    .execute()
}

// ---- failed sign-ins ----

export interface ThrottleRecord {
  key: string
  failures: number
  lastFailureAt: string
  lockedUntil: string | null
}

export async function findThrottles(
  db: Executor,
  keys: readonly string[],
): Promise<ThrottleRecord[]> {
  if (keys.length === 0) return []
  const rows = await db
    .selectFrom('login_throttle')
    .selectAll()
    .where('key', 'in', [...keys])
    .execute()
  return rows.map((r) => ({
    key: r.key,
    failures: r.failures,
    lastFailureAt: r.last_failure_at,
    lockedUntil: r.locked_until,
  }))
}

export async function saveThrottle(db: Executor, record: ThrottleRecord): Promise<void> {
  await db
    .insertInto('login_throttle')
    .values({
      key: record.key,
      failures: record.failures,
      last_failure_at: record.lastFailureAt,
      locked_until: record.lockedUntil,
    })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: record.failures,
        last_failure_at: record.lastFailureAt,
        locked_until: record.lockedUntil,
      }),
    )
    .execute()
}

export async function clearThrottle(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute()
}

/** Forgets failure counts with no failure since `before` (their policies have forgotten them). */
export async function deleteStaleThrottles(db: Executor, before: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('last_failure_at', '<', before).execute()
}
