import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decryptSecret, encryptSecret, sha256 } from './crypto.js'

const newKey = (): Buffer => randomBytes(32)

/** Flips one bit in the given dot-separated part of a sealed secret (0 = version). */
function tamper(sealed: string, part: 1 | 2 | 3): string {
  const parts = sealed.split('.')
  const bytes = Buffer.from(parts[part] ?? '', 'base64url')
  bytes[0] = (bytes[0] ?? 0) ^ 0x01
  parts[part] = bytes.toString('base64url')
  return parts.join('.')
}

describe(encryptSecret.name, () => {
  it('round-trips through decryptSecret', () => {
    const key = newKey()
    for (const secret of ['', 'hunter2', 'ünïcødé 🔐 ключ مفتاح', 'x'.repeat(10_000)]) {
      expect(decryptSecret(key, encryptSecret(key, secret))).toBe(secret)
    }
  })

  it('round-trips any string', () => {
    const key = newKey()
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (secret) => {
        expect(decryptSecret(key, encryptSecret(key, secret))).toBe(secret)
      }),
    )
  })

  it('seals to a versioned text value that never shows the secret', () => {
    const sealed = encryptSecret(newKey(), 'my-access-token')
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(sealed).not.toContain('my-access-token')
  })

  it('seals the same secret differently each time (a fresh IV)', () => {
    const key = newKey()
    expect(encryptSecret(key, 'same')).not.toBe(encryptSecret(key, 'same'))
  })
})

describe(decryptSecret.name, () => {
  it('fails with the wrong key', () => {
    const sealed = encryptSecret(newKey(), 'secret')
    expect(() => decryptSecret(newKey(), sealed)).toThrow()
  })

  it.each([
    ['IV', 1],
    ['auth tag', 2],
    ['ciphertext', 3],
  ] as const)('fails when the %s was tampered with', (_part, index) => {
    const key = newKey()
    const sealed = encryptSecret(key, 'a secret worth protecting')
    expect(() => decryptSecret(key, tamper(sealed, index))).toThrow()
  })

  it('fails when the ciphertext was cut short', () => {
    const key = newKey()
    const sealed = encryptSecret(key, 'a secret worth protecting')
    const [version, iv, tag, data] = sealed.split('.')
    const cut = [version, iv, tag, data?.slice(0, -4)].join('.')
    expect(() => decryptSecret(key, cut)).toThrow()
  })

  it.each(['', 'plain text', 'v2.a.b.c', 'v1.only-two'])('rejects %j as an unknown format', (v) => {
    expect(() => decryptSecret(newKey(), v)).toThrow('Unknown secret format')
  })
})

describe(sha256.name, () => {
  it('gives the standard SHA-256 digest in hex', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
})
