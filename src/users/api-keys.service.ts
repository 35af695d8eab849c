import { randomBytes } from 'node:crypto'
import { sha256 } from '../platform/crypto.js'
import type { Db } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import { newId } from '../platform/ids.js'
import * as repo from './api-keys.repo.js'
import type { ApiKeyRecord } from './api-keys.repo.js'
import type { Principal } from './principal.js'
import { atLeast, scopesOfRole, type Role, type Scope } from './roles.js'
import * as users from './users.repo.js'

/** The built-in user that owns keys made by no person: the bootstrap key, `linda api-key create`. */
export const SERVICE_USER_ID = '00000000-0000-7000-8000-000000000000'

/** How long a key's last use is trusted before it is written again. */
const TOUCH_EVERY_MS = 60_000

/** The part of a key shown in lists: enough to tell keys apart, useless to an attacker. */
export function keyPrefix(key: string): string {
  return key.slice(0, 12)
}

/**
 * API keys: random tokens shown once at creation and stored only as SHA-256 hashes
 * (they carry 192 bits of entropy, so a slow hash would add nothing). Each key acts for
 * a user, with a role no higher than the user's and a set of scopes.
 */
export class ApiKeysService {
  private readonly touched = new Map<string, number>()

  constructor(private readonly db: Db) {}

  /** Creates a key; the returned `key` is the only time its value is seen. */
  async create(
    input: { name: string; userId: string; role: Role; scopes?: readonly Scope[] },
    value?: string,
  ): Promise<{ record: ApiKeyRecord; key: string }> {
    const key = value ?? `linda_${randomBytes(24).toString('base64url')}`
    const record = await repo.insertApiKey(this.db, {
      id: newId(),
      name: input.name,
      role: input.role,
      scopes: input.scopes ?? scopesOfRole(input.role),
      userId: input.userId,
      prefix: keyPrefix(key),
      hash: sha256(key),
    })
    return { record, key }
  }

  /**
   * A key for the caller's own user. It never exceeds the caller: its role is at most the
   * caller's, its scopes at most what that role allows and, when the caller is itself a
   * key, at most that key's scopes.
   */
  async createFor(
    by: Principal,
    input: { name: string; role?: Role; scopes?: readonly Scope[] },
  ): Promise<{ record: ApiKeyRecord; key: string }> {
    const role = input.role ?? by.role
    if (!atLeast(by.role, role)) {
      throw new AppError('FORBIDDEN', `An ${by.role} cannot create ${role} keys`, [
        { path: 'body.role', message: `must be at most ${by.role}` },
      ])
    }
    const allowed = scopesOfRole(role).filter((s) => by.hasScope(s))
    const wanted = input.scopes ?? allowed
    const excess = wanted.filter((s) => !allowed.includes(s))
    if (excess.length > 0) {
      throw new AppError(
        'FORBIDDEN',
        `This key cannot have the ${excess.join(', ')} scope${excess.length > 1 ? 's' : ''}`,
        [{ path: 'body.scopes', message: `must be among ${allowed.join(', ') || 'none'}` }],
      )
    }
    return this.create({ name: input.name, userId: by.userId, role, scopes: [...new Set(wanted)] })
  }

  /** The key and its user when the key is valid and not revoked. */
  async verify(
    key: string,
  ): Promise<{ key: ApiKeyRecord; user: users.UserWithSecret } | undefined> {
    const found = await repo.findActiveWithUser(this.db, sha256(key))
    if (!found) return undefined
    const user = users.toUser(found.user, [])
    if (user.kind === 'person' && !atLeast(user.role, 'admin')) {
      user.accountIds = (await users.findUser(this.db, user.id))?.accountIds ?? []
    }
    const now = Date.now()
    if (now - (this.touched.get(found.key.id) ?? 0) > TOUCH_EVERY_MS) {
      this.touched.set(found.key.id, now)
      await repo.touchApiKey(this.db, found.key.id, new Date(now).toISOString())
    }
    return { key: found.key, user }
  }

  /** The caller's own keys; admins may list everyone's, or one user's. */
  async list(by: Principal, filter: { userId?: string } = {}): Promise<ApiKeyRecord[]> {
    if (atLeast(by.role, 'admin')) return repo.listApiKeys(this.db, filter)
    if (filter.userId !== undefined && filter.userId !== by.userId) {
      throw new AppError('FORBIDDEN', 'Only admins list the keys of other users')
    }
    return repo.listApiKeys(this.db, { userId: by.userId })
  }

  /** Revokes one of the caller's keys, or as an admin a key of a user with no higher role. */
  async revoke(by: Principal, id: string): Promise<void> {
    const key = await repo.findApiKey(this.db, id)
    if (!key || key.revokedAt) throw new AppError('NOT_FOUND', `No active API key has the id ${id}`)
    if (key.userId !== by.userId) {
      const owner = await users.findUser(this.db, key.userId)
      if (!atLeast(by.role, 'admin') || (owner && !atLeast(by.role, owner.role))) {
        // Someone else's key is none of their business: as if it did not exist.
        throw new AppError('NOT_FOUND', `No active API key has the id ${id}`)
      }
    }
    await repo.revokeApiKey(this.db, id)
  }

  /**
   * On a start with no keys: creates the service user's owner key from
   * LINDA_BOOTSTRAP_API_KEY, or a random one. Returns the key when it was generated here
   * (to be shown once).
   */
  async bootstrap(
    configured: string | undefined,
  ): Promise<{ generated?: string; created: boolean }> {
    if ((await repo.countActive(this.db)) > 0) return { created: false }
    const owner = { userId: SERVICE_USER_ID, role: 'owner' as const }
    if (configured) {
      await this.create({ name: 'bootstrap', ...owner }, configured)
      return { created: true }
    }
    const { key } = await this.create({ name: 'first owner key', ...owner })
    return { generated: key, created: true }
  }
}
