import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { signBody, verifySignature } from './cloud.signature.js'

const secret = 'app-secret-123'
const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}')

describe(signBody.name, () => {
  it('computes HMAC-SHA256 of the body keyed with the app secret, as sha256=<hex>', () => {
    // A published test vector: HMAC-SHA256(key "secret", message "test").
    expect(signBody('test', 'secret')).toBe(
      'sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914',
    )
  })
})

describe(verifySignature.name, () => {
  it('accepts the signature Meta computes over the raw bytes', () => {
    expect(verifySignature(body, signBody(body, secret), secret)).toBe('valid')
  })

  it('accepts an upper-case hex digest and surrounding whitespace', () => {
    const header = signBody(body, secret).replace(/[0-9a-f]{64}$/, (hex) => hex.toUpperCase())
    expect(verifySignature(body, ` ${header} `, secret)).toBe('valid')
  })

  it('reports a missing header', () => {
    expect(verifySignature(body, undefined, secret)).toBe('missing')
    expect(verifySignature(body, '', secret)).toBe('missing')
  })

  it('refuses headers that are not sha256=<64 hex>', () => {
    for (const header of [
      'sha1=' + 'a'.repeat(40),
      'sha256=' + 'a'.repeat(63),
      'sha256=' + 'g'.repeat(64),
      signBody(body, secret).slice('sha256='.length),
      'sha256=' + 'a'.repeat(64) + 'aa',
    ]) {
      expect(verifySignature(body, header, secret)).toBe('malformed')
    }
    // A header sent twice arrives as an array: refused rather than guessed at.
    expect(verifySignature(body, [signBody(body, secret)], secret)).toBe('malformed')
  })

  it('refuses a signature made with another secret (a forgery)', () => {
    expect(verifySignature(body, signBody(body, 'guessed-secret'), secret)).toBe('mismatch')
  })

  it('refuses a replayed signature over a modified body', () => {
    const header = signBody(body, secret)
    const modified = Buffer.from(body.toString().replace('"entry":[]', '"entry":[{}]'))
    expect(verifySignature(modified, header, secret)).toBe('mismatch')
    // Even a re-serialisation that means the same JSON is a different body.
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1))
    expect(verifySignature(reformatted, header, secret)).toBe('mismatch')
  })

  it('accepts an unchanged replay (deduplication is ingestion’s job)', () => {
    const header = signBody(body, secret)
    expect(verifySignature(Buffer.from(body), header, secret)).toBe('valid')
  })

  it('refuses any single flipped bit of body or signature', () => {
    const header = signBody(body, secret)
    fc.assert(
      fc.property(fc.nat({ max: body.length * 8 - 1 }), (bit) => {
        const flipped = Buffer.from(body)
        flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7))
        expect(verifySignature(flipped, header, secret)).toBe('mismatch')
      }),
    )
    fc.assert(
      fc.property(fc.nat({ max: 63 }), (i) => {
        const hex = header.slice(7)
        const c = hex[i] === '0' ? '1' : '0'
        const forged = `sha256=${hex.slice(0, i)}${c}${hex.slice(i + 1)}`
        expect(verifySignature(body, forged, secret)).toBe('mismatch')
      }),
    )
  })
})
