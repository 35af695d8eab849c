import { randomBytes } from 'node:crypto'
import { sha256 } from '../platform/crypto.js'
import type { Db } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import { newId } from '../platform/ids.js'
import * as repo from './api-keys.repo.js'
import type { ApiKeyRecord } from './api-keys.repo.js'

import type { Role } from './roles.js'

/** How long a key's last use is trusted before it is written again. */
const TOUCH_EVERY_MS = 60_000

/** The part of a key shown in lists: enough to tell keys apart, useless to an attacker. */
export function keyPrefix(key: string): string {
  return key.slice(0, 12)
}

/**
 * API keys: random tokens shown once at creation and stored only as SHA-256 hashes
 * (they carry 256 bits of entropy, so a slow hash would add nothing).
 */
export class ApiKeysService {
  private readonly touched = new Map<string, number>()

  constructor(private readonly db: Db) {}

  /** Creates a key; the returned `key` is the only time its value is seen. */
  async create(
    name: string,
    role: Role,
    value?: string,
  ): Promise<{ record: ApiKeyRecord; key: string }> {
    const key = value ?? `linda_${randomBytes(24).toString('base64url')}`
    const record = await repo.insertApiKey(this.db, {
      id: newId(),
      name,
      role,
      prefix: keyPrefix(key),
      hash: sha256(key),
    })
    return { record, key }
  }

  /** The key's record when the key is valid and not revoked. */
  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    const record = await repo.findActiveByHash(this.db, sha256(key))
    if (!record) return undefined
    const now = Date.now()
    if (now - (this.touched.get(record.id) ?? 0) > TOUCH_EVERY_MS) {
      this.touched.set(record.id, now)
      await repo.touchApiKey(this.db, record.id, new Date(now).toISOString())
    }
    return record
  }

  list(): Promise<ApiKeyRecord[]> {
    return repo.listApiKeys(this.db)
  }

  async revoke(id: string): Promise<void> {
    if (!(await repo.revokeApiKey(this.db, id)))
      throw new AppError('NOT_FOUND', `No active API key has the id ${id}`)
  }

  /**
   * On a start with no keys: creates the owner key from LINDA_BOOTSTRAP_API_KEY, or a
   * random one. Returns the key when it was generated here (to be shown once).
   */
  async bootstrap(
    configured: string | undefined,
  ): Promise<{ generated?: string; created: boolean }> {
    if ((await repo.countActive(this.db)) > 0) return { created: false }
    if (configured) {
      await this.create('bootstrap', 'owner', configured)
      return { created: true }
    }
    const { key } = await this.create('first owner key', 'owner')
    return { generated: key, created: true }
  }
}
