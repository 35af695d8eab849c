// What the HTTP layer calls for Meta's webhook URL (`/webhooks/cloud`):
//
//   GET  → verifyChallenge(query, verifyTokens): answer 200 with the challenge, else 403.
//   POST → parseWebhook(rawBody, signatureHeader, appSecretFor): on a signature failure
//          answer 401 and store nothing; on any other rejection answer 200 (Meta would
//          otherwise retry the same bad delivery for days) and log it; on success hand each
//          event to the account's CloudTransport.handleWebhookEvent, then answer 200.
import { createHash, timingSafeEqual } from 'node:crypto'
import {
  challengeQuerySchema,
  webhookEnvelopeSchema,
  webhookRoutingSchema,
  webhookValueSchema,
} from './cloud.schemas.js'
import {
  mapWebhookValue,
  summarize,
  type CloudWebhookEvent,
  type WebhookSkip,
} from './cloud.mapping.js'
import { verifySignature } from './cloud.signature.js'

/**
 * Meta's verification request: `hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`.
 * Returns the challenge to echo when the token is one of `verifyTokens` (each Cloud account
 * has its own), else null. `query` is the parsed query string, flat (`{'hub.mode': …}`) or
 * nested (`{hub: {mode: …}}`) as some parsers make it.
 */
export function verifyChallenge(
  query: unknown,
  verifyTokens: string | readonly string[],
): string | null {
  const parsed = challengeQuerySchema.safeParse(flattenHub(query))
  if (!parsed.success) return null
  const given = parsed.data['hub.verify_token']
  const tokens = typeof verifyTokens === 'string' ? [verifyTokens] : verifyTokens
  // Every token is compared (no early exit) so the time taken does not say which matched.
  let matched = false
  for (const token of tokens) if (token !== '' && sameSecret(given, token)) matched = true
  return matched ? parsed.data['hub.challenge'] : null
}

function flattenHub(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query
  const q = query as Record<string, unknown>
  const hub = q.hub
  if (typeof hub !== 'object' || hub === null) return q
  const h = hub as Record<string, unknown>
  return {
    'hub.mode': h.mode,
    'hub.verify_token': h.verify_token,
    'hub.challenge': h.challenge,
    ...q,
  }
}

/** Constant-time equality of two strings of any lengths. */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest()
  const db = createHash('sha256').update(b).digest()
  return timingSafeEqual(da, db)
}

/** Finds the app secret of the account with this phone number id; undefined when none has it. */
export type AppSecretLookup = (
  phoneNumberId: string,
) => string | undefined | Promise<string | undefined>

export const webhookRejections = [
  /** No `X-Hub-Signature-256` header. */
  'signature_missing',
  /** A header that is not `sha256=<64 hex>`. */
  'signature_malformed',
  /** The signature does not match the body under the account's app secret. */
  'signature_mismatch',
  /** The body is not JSON. */
  'malformed_json',
  /** JSON, but not a WhatsApp Business Account webhook. */
  'schema_mismatch',
  /** It names no phone number id, so no app secret can check it. */
  'no_phone_number',
  /** No Linda account has the phone number id(s) it names. */
  'unknown_phone_number',
] as const
export type WebhookRejection = (typeof webhookRejections)[number]

export type ParsedWebhook =
  | {
      ok: true
      /** In delivery order: each message, then each status, of each change. */
      events: CloudWebhookEvent[]
      /** What was left out, and why (log it). */
      skipped: WebhookSkip[]
    }
  | {
      ok: false
      reason: WebhookRejection
      /** One line for the log; it never contains a secret. */
      detail: string
      /** True when the signature is what failed: answer 401. Otherwise answer 200. */
      signatureFailure: boolean
    }

function reject(reason: WebhookRejection, detail: string): ParsedWebhook {
  return { ok: false, reason, detail, signatureFailure: reason.startsWith('signature_') }
}

/**
 * Checks and reads one webhook delivery. The signature is checked against the raw bytes
 * with the app secret of every account the delivery names before anything in it is
 * trusted; then the payload is validated and mapped to Linda's events. A delivery replayed
 * unchanged verifies again (ingestion is idempotent on the message id); a replay with any
 * byte changed does not.
 */
export async function parseWebhook(
  rawBody: Buffer,
  signatureHeader: string | readonly string[] | undefined,
  appSecretFor: AppSecretLookup,
): Promise<ParsedWebhook> {
  if (signatureHeader === undefined || signatureHeader === '') {
    return reject('signature_missing', 'the X-Hub-Signature-256 header is missing')
  }
  if (
    typeof signatureHeader !== 'string' ||
    !/^sha256=[0-9a-f]{64}$/i.test(signatureHeader.trim())
  ) {
    return reject('signature_malformed', 'the X-Hub-Signature-256 header is not sha256=<hex>')
  }

  let json: unknown
  try {
    json = JSON.parse(rawBody.toString('utf8'))
  } catch {
    return reject('malformed_json', 'the body is not JSON')
  }

  const routing = webhookRoutingSchema.safeParse(json)
  if (!routing.success) {
    return reject('schema_mismatch', `not a WhatsApp webhook: ${summarize(routing.error)}`)
  }
  const phoneNumberIds = new Set<string>()
  for (const entry of routing.data.entry) {
    for (const change of entry.changes) {
      const id = change.value?.metadata?.phone_number_id
      if (id) phoneNumberIds.add(id)
    }
  }
  if (phoneNumberIds.size === 0) {
    return reject('no_phone_number', 'the delivery names no phone_number_id')
  }

  const secrets = new Map<string, string>()
  for (const id of phoneNumberIds) {
    const secret = await appSecretFor(id)
    if (secret) secrets.set(id, secret)
  }
  if (secrets.size === 0) {
    return reject(
      'unknown_phone_number',
      `no account has phone_number_id ${[...phoneNumberIds].join(', ').slice(0, 200)}`,
    )
  }
  // Meta signs with one app's secret; every account the delivery names must agree.
  for (const secret of new Set(secrets.values())) {
    const check = verifySignature(rawBody, signatureHeader, secret)
    if (check !== 'valid') {
      return reject(
        check === 'mismatch' ? 'signature_mismatch' : 'signature_malformed',
        'the signature does not match the body',
      )
    }
  }

  const envelope = webhookEnvelopeSchema.safeParse(json)
  if (!envelope.success) {
    return reject('schema_mismatch', `not a WhatsApp webhook: ${summarize(envelope.error)}`)
  }
  const events: CloudWebhookEvent[] = []
  const skipped: WebhookSkip[] = []
  for (const entry of envelope.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages') {
        skipped.push({
          what: 'change',
          reason: `field "${change.field.slice(0, 60)}" is not handled`,
        })
        continue
      }
      const value = webhookValueSchema.safeParse(change.value)
      if (!value.success) {
        skipped.push({ what: 'change', reason: `a messages change: ${summarize(value.error)}` })
        continue
      }
      const phoneNumberId = value.data.metadata.phone_number_id
      if (!secrets.has(phoneNumberId)) {
        skipped.push({
          phoneNumberId,
          what: 'change',
          reason: 'no account has this phone_number_id',
        })
        continue
      }
      const mapped = mapWebhookValue(value.data)
      events.push(...mapped.events)
      skipped.push(...mapped.skipped)
    }
  }
  return { ok: true, events, skipped }
}
