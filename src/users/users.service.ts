import { randomBytes } from 'node:crypto'
import { sha256 } from '../platform/crypto.js'
import type { Db, Executor } from '../platform/db/index.js'
import { transaction } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import type { EventBus } from '../platform/events/index.js'
import { newId } from '../platform/ids.js'
import { hashPassword, passwordProblem } from './passwords.js'
import type { Principal } from './principal.js'
import { atLeast, type Availability, type Role } from './roles.js'
import * as sessions from './sessions.repo.js'
import * as repo from './users.repo.js'
import { publicUser, type LinkKind, type User, type UserWithSecret } from './users.repo.js'

declare module '../platform/events/port.js' {
  interface EventRegistry {
    /** A user changed (name, role, availability, accounts, status). */
    'user.updated': User
    /**
     * A user's access shrank: sessions revoked, disabled, fewer accounts, a lower role.
     * Internal: live connections of the user check their credentials again.
     */
    'auth.revoked': { userId: string; sessionId?: string }
  }
}

/** How long each kind of one-time link works. */
export const linkLifetimesMs: Record<LinkKind, number> = {
  setup: 24 * 60 * 60_000,
  invite: 7 * 24 * 60 * 60_000,
  reset: 60 * 60_000,
}

/** A one-time link's token (to put in `/setup?token=`), shown once, and its end. */
export interface IssuedLink {
  token: string
  kind: LinkKind
  expiresAt: string
}

/** What a link is for, to show on the page before the person sets a password. */
export interface LinkInfo {
  kind: LinkKind
  role: Role
  email: string | null
  name: string | null
}

export interface UserChange {
  name?: string
  role?: Role
  availability?: Availability
  accountIds?: string[]
}

export interface UsersDeps {
  db: Db
  events: EventBus
}

function notFound(id: string): AppError {
  return new AppError('USER_NOT_FOUND', `No user has the id ${id}`)
}

/**
 * The team: people invited by admins (or created from the command line), their roles and
 * the accounts agents may see, and the one-time links through which they set a password.
 * Every method that acts for someone takes the acting principal and checks it may.
 */
export class UsersService {
  constructor(private readonly deps: UsersDeps) {}

  async list(page: { limit: number; after?: string }): Promise<User[]> {
    return (await repo.listUsers(this.deps.db, page)).map(publicUser)
  }

  async get(id: string): Promise<User> {
    const user = await repo.findUser(this.deps.db, id)
    if (!user) throw notFound(id)
    return publicUser(user)
  }

  /** The user with their password hash, for sign-in. */
  findByEmail(email: string): Promise<UserWithSecret | undefined> {
    return repo.findUserByEmail(this.deps.db, email)
  }

  recordSignIn(id: string, at: string): Promise<void> {
    return repo.updateUser(this.deps.db, id, { lastSignInAt: at })
  }

  /** The user with what sessions need (status, accounts); undefined when unknown. */
  find(id: string): Promise<UserWithSecret | undefined> {
    return repo.findUser(this.deps.db, id)
  }

  /**
   * Invites a person: the user exists at once (status `invited`) and the returned link lets
   * them choose a password. Nobody invites a role above their own.
   */
  async invite(
    by: Principal | 'cli',
    input: { email: string; name: string; role: Role; accountIds?: string[] },
  ): Promise<{ user: User; link: IssuedLink }> {
    if (by !== 'cli') this.assertMayGrant(by, input.role)
    const accountIds = await this.checkAccounts(input.accountIds ?? [])
    const email = input.email.toLowerCase()
    const invited = await transaction(this.deps.db, async (trx) => {
      if (await repo.findUserByEmail(trx, email)) {
        throw new AppError('USER_EMAIL_TAKEN', `A user already has the email ${email}`, [
          { path: 'body.email', message: 'is taken by another user' },
        ])
      }
      const id = newId()
      await repo.insertUser(trx, { id, email, name: input.name, role: input.role })
      await repo.setUserAccounts(trx, id, accountIds)
      const link = await this.issue(trx, { kind: 'invite', userId: id, role: null })
      return { user: await this.getIn(trx, id), link }
    })
    this.deps.events.publish('user.updated', invited.user)
    return invited
  }

  /**
   * A link that creates a user of `role` who chooses their own email, name and password:
   * what a first start prints and `linda user create` makes without an email.
   */
  async setupLink(role: Role): Promise<IssuedLink> {
    return this.issue(this.deps.db, { kind: 'setup', userId: null, role })
  }

  /**
   * On a start with no owner who can sign in: a setup link for the first owner (a new one
   * on each such start; the earlier ones expire on their own). Undefined once there is one.
   */
  async firstOwnerLink(): Promise<IssuedLink | undefined> {
    if ((await repo.countActiveOwners(this.deps.db)) > 0) return undefined
    return this.setupLink('owner')
  }

  /**
   * A new link for an existing person: an invite again while they have not set a password,
   * else a password reset. Earlier unused links of theirs stop working.
   */
  async linkFor(by: Principal | 'cli', id: string): Promise<{ user: User; link: IssuedLink }> {
    const user = await repo.findUser(this.deps.db, id)
    if (!user || user.kind !== 'person') throw notFound(id)
    if (by !== 'cli') this.assertMayManage(by, user)
    if (user.status === 'disabled') {
      throw new AppError('USER_DISABLED', `${user.email ?? id} is disabled: enable them first`)
    }
    return transaction(this.deps.db, async (trx) => {
      await repo.retireLinks(trx, id, new Date().toISOString())
      const kind = user.status === 'invited' ? 'invite' : 'reset'
      const link = await this.issue(trx, { kind, userId: id, role: null })
      return { user: publicUser(user), link }
    })
  }

  /** `linda user reset-password EMAIL`. */
  async resetLinkByEmail(email: string): Promise<{ user: User; link: IssuedLink }> {
    const user = await repo.findUserByEmail(this.deps.db, email)
    if (!user) throw new AppError('USER_NOT_FOUND', `No user has the email ${email}`)
    return this.linkFor('cli', user.id)
  }

  /** What a link is for, while it works. */
  async inspectLink(token: string): Promise<LinkInfo> {
    const link = await this.usableLink(token)
    if (link.kind === 'setup') {
      return { kind: 'setup', role: link.role ?? 'viewer', email: null, name: null }
    }
    const user = await repo.findUser(this.deps.db, link.userId ?? '')
    if (!user) throw linkInvalid()
    return { kind: link.kind, role: user.role, email: user.email, name: user.name }
  }

  /**
   * Uses a link: sets the password (and for a setup link creates the user with the email
   * and name given). The link works once; a reset also ends every session of the user.
   */
  async completeLink(
    token: string,
    input: { email?: string; name?: string; password: string },
  ): Promise<User> {
    const link = await this.usableLink(token)
    const existing = link.userId ? await repo.findUser(this.deps.db, link.userId) : undefined
    if (link.kind !== 'setup' && (!existing || existing.status === 'disabled')) {
      throw linkInvalid()
    }
    const email = (link.kind === 'setup' ? input.email : existing?.email)?.toLowerCase()
    const name = input.name ?? existing?.name
    if (!email) {
      throw new AppError('VALIDATION_FAILED', 'A new user needs an email', [
        { path: 'body.email', message: 'is required' },
      ])
    }
    if (!name) {
      throw new AppError('VALIDATION_FAILED', 'A new user needs a name', [
        { path: 'body.name', message: 'is required' },
      ])
    }
    const weak = passwordProblem(input.password, { email, name })
    if (weak) {
      throw new AppError('PASSWORD_TOO_WEAK', `The password ${weak}`, [
        { path: 'body.password', message: weak },
      ])
    }
    const passwordHash = await hashPassword(input.password)
    const user = await transaction(this.deps.db, async (trx) => {
      if (!(await repo.useLink(trx, link.id, new Date().toISOString()))) throw linkInvalid()
      if (link.kind === 'setup') {
        if (await repo.findUserByEmail(trx, email)) {
          throw new AppError('USER_EMAIL_TAKEN', `A user already has the email ${email}`, [
            { path: 'body.email', message: 'is taken by another user' },
          ])
        }
        const id = newId()
        await repo.insertUser(trx, { id, email, name, role: link.role ?? 'viewer', passwordHash })
        return this.getIn(trx, id)
      }
      const id = existing!.id
      await repo.updateUser(trx, id, { passwordHash, name })
      if (link.kind === 'reset') await sessions.revokeUserSessions(trx, id)
      return this.getIn(trx, id)
    })
    if (link.kind === 'reset') this.deps.events.publish('auth.revoked', { userId: user.id })
    this.deps.events.publish('user.updated', user)
    return user
  }

  /**
   * Changes a user. People change their own name and availability; admins change others'
   * name, role and accounts (never above their own role, never an owner unless they are
   * one), and the last owner stays an owner.
   */
  async update(by: Principal, id: string, change: UserChange): Promise<User> {
    const user = await repo.findUser(this.deps.db, id)
    if (!user) throw notFound(id)
    const self = by.userId === id
    const managing = change.role !== undefined || change.accountIds !== undefined
    if (!self || managing) this.assertMayManage(by, user)
    if (self && managing) {
      throw new AppError('FORBIDDEN', 'Nobody changes their own role or accounts')
    }
    if (change.role !== undefined) {
      this.assertMayGrant(by, change.role)
      if (change.role !== 'owner') await this.assertNotLastOwner(user)
    }
    const accountIds =
      change.accountIds === undefined ? undefined : await this.checkAccounts(change.accountIds)
    const updated = await transaction(this.deps.db, async (trx) => {
      await repo.updateUser(trx, id, {
        name: change.name,
        role: change.role,
        availability: change.availability,
      })
      if (accountIds) await repo.setUserAccounts(trx, id, accountIds)
      return this.getIn(trx, id)
    })
    this.deps.events.publish('user.updated', updated)
    if (managing) this.deps.events.publish('auth.revoked', { userId: id })
    return updated
  }

  /** Disables a user: no sign-in, their sessions end and their API keys stop working. */
  async disable(by: Principal, id: string): Promise<User> {
    const user = await repo.findUser(this.deps.db, id)
    if (!user) throw notFound(id)
    this.assertMayManage(by, user)
    if (by.userId === id) throw new AppError('FORBIDDEN', 'Nobody disables themselves')
    await this.assertNotLastOwner(user)
    const updated = await transaction(this.deps.db, async (trx) => {
      await repo.updateUser(trx, id, { disabled: true })
      await sessions.revokeUserSessions(trx, id)
      return this.getIn(trx, id)
    })
    this.deps.events.publish('auth.revoked', { userId: id })
    this.deps.events.publish('user.updated', updated)
    return updated
  }

  async enable(by: Principal, id: string): Promise<User> {
    const user = await repo.findUser(this.deps.db, id)
    if (!user) throw notFound(id)
    this.assertMayManage(by, user)
    await repo.updateUser(this.deps.db, id, { disabled: false })
    const updated = await this.get(id)
    this.deps.events.publish('user.updated', updated)
    return updated
  }

  /** Ends every session of another user ("sign them out everywhere"). */
  async revokeSessions(by: Principal, id: string): Promise<number> {
    const user = await repo.findUser(this.deps.db, id)
    if (!user) throw notFound(id)
    if (by.userId !== id) this.assertMayManage(by, user)
    const count = await sessions.revokeUserSessions(this.deps.db, id)
    this.deps.events.publish('auth.revoked', { userId: id })
    return count
  }

  // ---- rules ----

  private assertMayGrant(by: Principal, role: Role): void {
    if (!atLeast(by.role, role)) {
      throw new AppError('FORBIDDEN', `An ${by.role} cannot make ${role}s`, [
        { path: 'body.role', message: `must be at most ${by.role}` },
      ])
    }
  }

  /** Admins manage users whose role is not above theirs; the service user only owners. */
  private assertMayManage(by: Principal, user: UserWithSecret): void {
    if (!atLeast(by.role, 'admin')) {
      throw new AppError('FORBIDDEN', `This needs the admin role; you have the ${by.role} role`)
    }
    if (!atLeast(by.role, user.role)) {
      throw new AppError('FORBIDDEN', `An ${by.role} cannot change an ${user.role}`)
    }
  }

  private async assertNotLastOwner(user: UserWithSecret): Promise<void> {
    if (user.kind !== 'person' || user.role !== 'owner' || user.status !== 'active') return
    if ((await repo.countActiveOwners(this.deps.db)) <= 1) {
      throw new AppError(
        'USER_LAST_OWNER',
        `${user.email ?? user.name} is the last owner: make someone else an owner first`,
      )
    }
  }

  private async checkAccounts(ids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(ids)]
    const known = await repo.existingAccountIds(this.deps.db, unique)
    const unknown = unique.filter((id) => !known.has(id))
    if (unknown.length > 0) {
      throw new AppError('VALIDATION_FAILED', `No account has the id ${unknown.join(', ')}`, [
        { path: 'body.accountIds', message: `names unknown accounts: ${unknown.join(', ')}` },
      ])
    }
    return unique
  }

  private async issue(
    db: Executor,
    link: { kind: LinkKind; userId: string | null; role: Role | null },
  ): Promise<IssuedLink> {
    const token = randomBytes(32).toString('base64url')
    const expiresAt = new Date(Date.now() + linkLifetimesMs[link.kind]).toISOString()
    await repo.insertLink(db, { id: newId(), hash: sha256(token), expiresAt, ...link })
    return { token, kind: link.kind, expiresAt }
  }

  private async usableLink(token: string): Promise<repo.LinkRecord> {
    const link = /^[A-Za-z0-9_-]{43}$/.test(token)
      ? await repo.findUsableLink(this.deps.db, sha256(token), new Date().toISOString())
      : undefined
    if (!link) throw linkInvalid()
    return link
  }

  private async getIn(db: Executor, id: string): Promise<User> {
    const user = await repo.findUser(db, id)
    if (!user) throw notFound(id)
    return publicUser(user)
  }
}

function linkInvalid(): AppError {
  return new AppError(
    'LINK_INVALID',
    'This link does not work: it was used already, has expired, or was replaced by a newer one. Ask for a new one.',
  )
}
