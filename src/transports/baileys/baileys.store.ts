import { decryptSecret, encryptSecret } from '../../platform/crypto.js'
import { nowIso, transaction, type Db } from '../../platform/db/index.js'
import * as repo from './baileys.repo.js'

/**
 * Where one WhatsApp Web account keeps what outlives a connection: the linked device's
 * auth state, the messages it sent lately (WhatsApp may ask to send one again), and the
 * LID ⇄ phone mappings it learnt. Values are opaque strings here; the db store seals them.
 */
export interface BaileysStore {
  /** The values stored under `keys`; keys without a value are absent from the map. */
  read(keys: readonly string[]): Promise<Map<string, string>>
  /** Stores each value, or deletes the key where the value is null, all at once. */
  write(entries: ReadonlyMap<string, string | null>): Promise<void>
  /** Forgets the auth state and the sent messages (the device was unlinked). LIDs stay. */
  clear(): Promise<void>
  /** Keeps a sent message (by its WhatsApp id) for the retention period. */
  rememberMessage(messageId: string, message: string): Promise<void>
  /** A sent message still kept, or undefined. */
  recallMessage(messageId: string): Promise<string | undefined>
  /** Records that `lid` (a `…@lid` user) is the person with phone number `phone` (E.164). */
  rememberLid(lid: string, phone: string): Promise<void>
  /** The phone number (E.164) known for `lid`, or undefined. */
  phoneOfLid(lid: string): Promise<string | undefined>
}

export interface DbAuthStoreOptions {
  /** How long sent messages are kept for retries; default 24 hours. */
  messageRetentionMs?: number
  now?: () => Date
}

const DAY_MS = 24 * 60 * 60 * 1000
/** Old messages are pruned at most this often (on a write). */
const PRUNE_EVERY_MS = 60 * 1000

/** A BaileysStore in Linda's database, every value sealed with the instance key (AES-256-GCM). */
export class DbAuthStore implements BaileysStore {
  private readonly retentionMs: number
  private readonly now: () => Date
  private lastPrune = 0

  constructor(
    private readonly db: Db,
    private readonly secretKey: Buffer,
    private readonly accountId: string,
    options: DbAuthStoreOptions = {},
  ) {
    this.retentionMs = options.messageRetentionMs ?? DAY_MS
    this.now = options.now ?? (() => new Date())
  }

  async read(keys: readonly string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map()
    const sealed = await repo.readAuth(this.db, this.accountId, keys)
    const out = new Map<string, string>()
    for (const [key, value] of sealed) out.set(key, this.open(value))
    return out
  }

  async write(entries: ReadonlyMap<string, string | null>): Promise<void> {
    const upserts: Array<{ key: string; value: string }> = []
    const deletes: string[] = []
    for (const [key, value] of entries) {
      if (value === null) deletes.push(key)
      else upserts.push({ key, value: encryptSecret(this.secretKey, value) })
    }
    if (upserts.length === 0 && deletes.length === 0) return
    const now = nowIso()
    await transaction(this.db, async (trx) => {
      if (upserts.length > 0) await repo.upsertAuth(trx, this.accountId, upserts, now)
      if (deletes.length > 0) await repo.deleteAuth(trx, this.accountId, deletes)
    })
  }

  async clear(): Promise<void> {
    await transaction(this.db, (trx) => repo.clearAuth(trx, this.accountId))
  }

  async rememberMessage(messageId: string, message: string): Promise<void> {
    const now = this.now()
    await repo.insertMessage(this.db, {
      accountId: this.accountId,
      messageId,
      value: encryptSecret(this.secretKey, message),
      createdAt: now.toISOString(),
    })
    if (now.getTime() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now.getTime()
      await repo.pruneMessages(
        this.db,
        this.accountId,
        new Date(now.getTime() - this.retentionMs).toISOString(),
      )
    }
  }

  async recallMessage(messageId: string): Promise<string | undefined> {
    const sealed = await repo.findMessage(this.db, this.accountId, messageId)
    return sealed === undefined ? undefined : this.open(sealed)
  }

  async rememberLid(lid: string, phone: string): Promise<void> {
    await repo.upsertLid(this.db, { accountId: this.accountId, lid, phone, now: nowIso() })
  }

  phoneOfLid(lid: string): Promise<string | undefined> {
    return repo.findLidPhone(this.db, this.accountId, lid)
  }

  private open(sealed: string): string {
    try {
      return decryptSecret(this.secretKey, sealed)
    } catch {
      throw new Error(
        `the WhatsApp Web session of account ${this.accountId} cannot be decrypted with this instance's secret key`,
      )
    }
  }
}
