import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

const version = 'v1'

/**
 * Encrypts a secret with AES-256-GCM under the instance key. The result is
 * `v1.<iv>.<tag>.<ciphertext>` in base64url, safe to store in a text column.
 */
export function encryptSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  const tag = cipher.getAuthTag()
  return [version, iv, tag, data]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.')
}

/** Reverses encryptSecret; throws when the key is wrong or the value was tampered with. */
export function decryptSecret(key: Buffer, sealed: string): string {
  const [v, iv, tag, data] = sealed.split('.')
  if (v !== version || !iv || !tag || data === undefined) throw new Error('Unknown secret format')
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([
    decipher.update(Buffer.from(data, 'base64url')),
    decipher.final(),
  ]).toString('utf8')
}

/** SHA-256 in hex: for high-entropy tokens such as API keys (passwords use argon2id). */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
