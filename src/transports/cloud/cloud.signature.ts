// Meta signs every webhook delivery: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256
// of the raw request body (the exact bytes, before any JSON parsing) keyed with the app
// secret. Checking it is what tells a delivery from Meta apart from anyone else's POST.
import { createHmac, timingSafeEqual } from 'node:crypto'

/** The header name, lower-cased as Node presents incoming headers. */
export const signatureHeader = 'x-hub-signature-256'

export type SignatureCheck =
  /** The body was signed with this secret. */
  | 'valid'
  /** No signature header. */
  | 'missing'
  /** A header that is not `sha256=` and 64 hex digits. */
  | 'malformed'
  /** A well-formed signature of some other body or secret. */
  | 'mismatch'

const headerPattern = /^sha256=([0-9a-f]{64})$/i

/** The `X-Hub-Signature-256` value Meta would send for this body. */
export function signBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`
}

/**
 * Checks a delivery's signature against the raw body, in constant time. `header` is the
 * header's value as the HTTP layer got it (a repeated header arrives as an array: refused).
 */
export function verifySignature(
  rawBody: Buffer,
  header: string | readonly string[] | undefined,
  appSecret: string,
): SignatureCheck {
  if (header === undefined || header === '') return 'missing'
  if (typeof header !== 'string') return 'malformed'
  const match = headerPattern.exec(header.trim())
  if (!match?.[1]) return 'malformed'
  const given = Buffer.from(match[1], 'hex')
  const expected = createHmac('sha256', appSecret).update(rawBody).digest()
  // Both are 32 bytes here (64 hex digits), as timingSafeEqual requires.
  return timingSafeEqual(given, expected) ? 'valid' : 'mismatch'
}
