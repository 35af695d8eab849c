import { z } from 'zod'
import { decryptSecret, encryptSecret } from '../platform/crypto.js'
import { transaction, type Db, type Executor } from '../platform/db/index.js'
import type { TransportKind } from '../transports/index.js'
import * as repo from './accounts.repo.js'
import type { CredentialsColumns } from './accounts.repo.js'

/**
 * What a transport needs to connect an account, secrets included. Only transport
 * factories see it (through `AccountsService.credentialsOf`); it is never returned by the
 * API nor logged.
 */
export interface CloudCredentials {
  /** The business phone number's id in the Graph API. */
  phoneNumberId: string
  /** The WhatsApp Business Account id, when given. */
  wabaId?: string
  /** Secret: the bearer token of every Graph API call. */
  accessToken: string
  /** Secret: the key of every webhook's `X-Hub-Signature-256`. */
  appSecret: string
  /** Secret: what Meta echoes when it verifies the webhook URL. */
  verifyToken: string
  /** The Graph API origin, without a trailing slash. */
  graphBaseUrl: string
  /** The Graph API version, e.g. `v21.0`. */
  apiVersion: string
}

export interface BaileysCredentials {
  /** The phone number (E.164) to link as a WhatsApp Web device. */
  phone: string
}

export type AccountCredentials =
  | { transport: 'sandbox' }
  | { transport: 'cloud'; cloud: CloudCredentials }
  | { transport: 'baileys'; baileys: BaileysCredentials }

export type CredentialsOf<K extends TransportKind> = Extract<AccountCredentials, { transport: K }>

// How credentials are kept: the public part in `accounts.transport_config` (plain JSON), the
// account's id on its provider in `accounts.external_id` (unique per transport among the
// accounts not deleted), and the secret part, as JSON sealed with the instance key
// (AES-256-GCM), in `accounts.credentials`.

const cloudSecretsSchema = z.object({
  accessToken: z.string(),
  appSecret: z.string(),
  verifyToken: z.string(),
})

/** Splits credentials into the columns that store them, sealing the secret part. */
export function toColumns(key: Buffer, credentials: AccountCredentials): CredentialsColumns {
  switch (credentials.transport) {
    case 'sandbox':
      return { externalId: null, config: null, sealed: null }
    case 'cloud': {
      const { accessToken, appSecret, verifyToken, wabaId, ...config } = credentials.cloud
      return {
        externalId: config.phoneNumberId,
        config: { ...config, wabaId: wabaId ?? null },
        sealed: encryptSecret(key, JSON.stringify({ accessToken, appSecret, verifyToken })),
      }
    }
    case 'baileys':
      return {
        externalId: credentials.baileys.phone,
        config: { phone: credentials.baileys.phone },
        sealed: null,
      }
  }
}

/** Thrown when sealed credentials do not open with the key given. */
export class CredentialsKeyError extends Error {
  constructor(readonly accountId: string) {
    super(
      `the credentials of account ${accountId} cannot be decrypted with this instance's secret key (was LINDA_SECRET_KEY or secret.key changed?)`,
    )
    this.name = 'CredentialsKeyError'
  }
}

function open(key: Buffer, accountId: string, sealed: string): string {
  try {
    return decryptSecret(key, sealed)
  } catch {
    throw new CredentialsKeyError(accountId)
  }
}

/** Reads an account's credentials back from its columns; undefined if it has no account. */
export async function readCredentials(
  db: Executor,
  key: Buffer,
  accountId: string,
): Promise<AccountCredentials | undefined> {
  const row = await repo.findCredentials(db, accountId)
  if (!row) return undefined
  switch (row.transport) {
    case 'sandbox':
      return { transport: 'sandbox' }
    case 'cloud': {
      const { wabaId, ...config } = repo.cloudConfigSchema.parse(row.config)
      if (row.sealed === null) throw new CredentialsKeyError(row.id)
      const secrets = cloudSecretsSchema.parse(JSON.parse(open(key, row.id, row.sealed)))
      return {
        transport: 'cloud',
        cloud: { ...config, ...(wabaId === null ? {} : { wabaId }), ...secrets },
      }
    }
    case 'baileys':
      return { transport: 'baileys', baileys: repo.baileysConfigSchema.parse(row.config) }
  }
}

/**
 * Re-encrypts every account's sealed credentials (deleted accounts' too) from `oldKey` to
 * `newKey`, in one transaction: all of them or none. Throws CredentialsKeyError, changing
 * nothing, when one does not open with `oldKey`. Returns how many it re-encrypted.
 */
export async function reencryptCredentials(
  db: Db,
  oldKey: Buffer,
  newKey: Buffer,
): Promise<number> {
  return transaction(db, async (trx) => {
    const rows = await repo.listSealedCredentials(trx)
    for (const row of rows) {
      const plain = open(oldKey, row.id, row.credentials)
      await repo.setSealedCredentials(trx, row.id, encryptSecret(newKey, plain))
    }
    // WhatsApp Web sessions are sealed with the same key: a linked phone must survive.
    const reseal = (sealed: string) => encryptSecret(newKey, decryptSecret(oldKey, sealed))
    for (const row of await trx.selectFrom('baileys_auth').selectAll().execute()) {
      await trx
        .updateTable('baileys_auth')
        .set({ value: reseal(row.value) })
        .where('account_id', '=', row.account_id)
        .where('key', '=', row.key)
        .execute()
    }
    for (const row of await trx.selectFrom('baileys_messages').selectAll().execute()) {
      await trx
        .updateTable('baileys_messages')
        .set({ value: reseal(row.value) })
        .where('account_id', '=', row.account_id)
        .where('message_id', '=', row.message_id)
        .execute()
    }
    return rows.length
  })
}

/**
 * Which key the stored credentials are sealed with: `a`, `b`, `either` when none are stored,
 * or `neither`. (Tells, after an interrupted key rotation, which key the database is under.)
 */
export async function sealedWith(
  db: Db,
  keys: { a: Buffer; b: Buffer },
): Promise<'a' | 'b' | 'either' | 'neither'> {
  const [row] = await repo.listSealedCredentials(db, 1)
  if (!row) return 'either'
  for (const which of ['a', 'b'] as const) {
    try {
      decryptSecret(keys[which], row.credentials)
      return which
    } catch {
      // Try the other key.
    }
  }
  return 'neither'
}
