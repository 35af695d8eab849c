import { randomBytes } from 'node:crypto'
import { sha256 } from '../platform/crypto.js'
import type { Db } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import type { EventBus } from '../platform/events/index.js'
import { newId } from '../platform/ids.js'
import type { ApiKeysService } from './api-keys.service.js'
import { decoyHash, verifyPassword } from './passwords.js'
import { Principal } from './principal.js'
import { lesserRole, scopes, scopesOfRole, seesAllAccounts } from './roles.js'
import * as sessions from './sessions.repo.js'
import { afterFailure, emailPolicy, ipPolicy, lockedForMs } from './throttle.js'
import type { User } from './users.repo.js'
import type { UsersService } from './users.service.js'

/** Session lifetimes: idle (no request for this long ends it) and absolute. */
export interface SessionLifetimes {
  idleMs: number
  absoluteMs: number
}

export const defaultSessionLifetimes: SessionLifetimes = {
  idleMs: 12 * 60 * 60_000,
  absoluteMs: 7 * 24 * 60 * 60_000,
}

/** How often a session's last activity is written (a request within this needs no write). */
const TOUCH_EVERY_MS = 60_000

/** A session token: 32 random bytes, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/

export interface AuthDeps {
  db: Db
  events: EventBus
  users: UsersService
  apiKeys: ApiKeysService
  lifetimes?: SessionLifetimes
}

/** A new session: the token goes in the cookie and nowhere else. */
export interface StartedSession {
  token: string
  sessionId: string
  expiresAt: string
  csrfToken: string
  user: User
}

/**
 * The CSRF token of a session: derived from its secret token (one-way), so it needs no
 * storage and dies with the session. The dashboard reads it from `GET /auth/me` and sends
 * it as `X-CSRF-Token` on every request that changes something.
 */
export function csrfTokenOf(sessionToken: string): string {
  return sha256(`linda-csrf:${sessionToken}`)
}

/**
 * Who is calling: sessions (sign-in with email and password, the browser's cookie) and API
 * keys (programs), both turned into a `Principal`. Sign-in is throttled per email address
 * and per client address.
 */
export class AuthService {
  private readonly lifetimes: SessionLifetimes

  constructor(private readonly deps: AuthDeps) {
    this.lifetimes = deps.lifetimes ?? defaultSessionLifetimes
  }

  get sessionLifetimes(): SessionLifetimes {
    return this.lifetimes
  }

  /**
   * Signs in. A client locked out by earlier failures gets LOGIN_THROTTLED (with the wait)
   * before its password is even looked at; a wrong email, a wrong password and a user who
   * has no password yet all answer LOGIN_FAILED alike, in the same time. The session the
   * browser held before (if any) ends: a sign-in always gets a new session id.
   */
  async login(input: {
    email: string
    password: string
    ip: string
    userAgent?: string
    previousToken?: string
  }): Promise<StartedSession> {
    const email = input.email.trim().toLowerCase()
    const keys = { email: `email:${email}`, ip: `ip:${input.ip}` }
    const now = Date.now()
    const records = await sessions.findThrottles(this.deps.db, [keys.email, keys.ip])
    const waitMs = lockedForMs(records, now)
    if (waitMs > 0) throw throttled(waitMs)

    const user = await this.deps.users.findByEmail(email)
    const canSignIn = user?.kind === 'person' && user.passwordHash !== null
    const matches = canSignIn
      ? await verifyPassword(user.passwordHash!, input.password)
      : await verifyPassword(await decoyHash(), input.password).then(() => false)
    if (!matches || !user) {
      const byKey = new Map(records.map((r) => [r.key, r]))
      await sessions.saveThrottle(
        this.deps.db,
        afterFailure(keys.email, byKey.get(keys.email), now, emailPolicy),
      )
      await sessions.saveThrottle(
        this.deps.db,
        afterFailure(keys.ip, byKey.get(keys.ip), now, ipPolicy),
      )
      throw new AppError('LOGIN_FAILED', 'The email or the password is wrong')
    }
    if (user.status === 'disabled') {
      throw new AppError('LOGIN_FAILED', 'This user is disabled: ask an admin to enable it')
    }
    await sessions.clearThrottle(this.deps.db, keys.email)
    if (input.previousToken) await this.logoutToken(input.previousToken)
    return this.startSession(user, { ip: input.ip, userAgent: input.userAgent })
  }

  /** Opens a session for a user who just proved who they are (sign-in, a setup link). */
  async startSession(
    user: User,
    client: { ip?: string; userAgent?: string } = {},
  ): Promise<StartedSession> {
    const token = randomBytes(32).toString('base64url')
    const sessionId = newId()
    const now = new Date()
    const expiresAt = new Date(now.getTime() + this.lifetimes.absoluteMs).toISOString()
    await sessions.insertSession(this.deps.db, {
      id: sessionId,
      userId: user.id,
      hash: sha256(token),
      expiresAt,
      ip: client.ip ?? null,
      userAgent: client.userAgent?.slice(0, 300) ?? null,
    })
    await this.deps.users.recordSignIn(user.id, now.toISOString())
    return { token, sessionId, expiresAt, csrfToken: csrfTokenOf(token), user }
  }

  /**
   * The principal of a session cookie, when the session is live and its user active. A
   * request counts as activity (`touch`); checking an open connection again does not.
   */
  async authenticateSession(
    token: string,
    options: { touch?: boolean } = {},
  ): Promise<Principal | undefined> {
    if (!TOKEN.test(token)) return undefined
    const session = await sessions.findSessionByHash(this.deps.db, sha256(token))
    if (!session) return undefined
    const now = Date.now()
    const idleSince = now - Date.parse(session.lastSeenAt)
    if (now >= Date.parse(session.expiresAt) || idleSince > this.lifetimes.idleMs) {
      return undefined
    }
    const user = await this.deps.users.find(session.userId)
    if (!user || user.status !== 'active' || user.kind !== 'person') return undefined
    if (options.touch !== false && idleSince > TOUCH_EVERY_MS) {
      await sessions.touchSession(this.deps.db, session.id, new Date(now).toISOString())
    }
    return new Principal({
      via: 'session',
      userId: user.id,
      name: user.name,
      role: user.role,
      // Scopes narrow API keys; a signed-in person is limited by their role alone.
      scopes: scopes,
      sessionId: session.id,
      accountIds: seesAllAccounts(user.role) ? null : user.accountIds,
    })
  }

  /** The principal of an API key, when the key is live and its user active. */
  async authenticateKey(key: string): Promise<Principal | undefined> {
    if (key.length > 256) return undefined
    const found = await this.deps.apiKeys.verify(key)
    if (!found || found.user.status === 'disabled') return undefined
    const { user } = found
    const role = lesserRole(found.key.role, user.role)
    const allowed = scopesOfRole(role)
    return new Principal({
      via: 'apiKey',
      userId: user.id,
      name: found.key.name,
      role,
      scopes: found.key.scopes.filter((s) => allowed.includes(s)),
      keyId: found.key.id,
      accountIds: seesAllAccounts(user.role) ? null : user.accountIds,
    })
  }

  /** Ends the session of this token (sign out); unknown tokens are ignored. */
  async logoutToken(token: string): Promise<void> {
    if (!TOKEN.test(token)) return
    const session = await sessions.findSessionByHash(this.deps.db, sha256(token))
    if (session) await this.logoutSession(session.userId, session.id)
  }

  async logoutSession(userId: string, sessionId: string): Promise<void> {
    await sessions.revokeSession(this.deps.db, sessionId)
    this.deps.events.publish('auth.revoked', { userId, sessionId })
  }

  /** "Sign out everywhere": ends every session of the user; returns how many. */
  async logoutAll(userId: string): Promise<number> {
    const count = await sessions.revokeUserSessions(this.deps.db, userId)
    this.deps.events.publish('auth.revoked', { userId })
    return count
  }

  /** The signed-in user, for `GET /auth/me`. */
  async me(principal: Principal): Promise<User> {
    return this.deps.users.get(principal.userId)
  }

  /** Forgets sessions that ended, and failure counts that stopped counting, a day ago or more. */
  async sweep(): Promise<void> {
    const dayAgo = new Date(Date.now() - 24 * 60 * 60_000).toISOString()
    await sessions.deleteEndedSessions(this.deps.db, dayAgo)
    await sessions.deleteStaleThrottles(this.deps.db, dayAgo)
  }
}

function throttled(waitMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000))
  return new AppError(
    'LOGIN_THROTTLED',
    `Too many failed sign-ins: try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
    undefined,
    { 'retry-after': String(seconds) },
  )
}
