import { z } from 'zod'
import type { App } from '../http/types.js'
import type { Logger } from '../platform/logging.js'
import {
  CloudTransport,
  parseWebhook,
  verifyChallenge,
  type CloudWebhookEvent,
} from '../transports/cloud/index.js'
import type { AccountsService } from './accounts.service.js'

/** What happened to one webhook delivery, for the metric. */
export type CloudWebhookOutcome =
  | 'accepted'
  | 'signature_rejected'
  | 'ignored'
  | 'account_unavailable'
  | 'verified'
  | 'verification_refused'

export interface CloudWebhookDeps {
  accounts: AccountsService
  logger: Logger
  /** Largest delivery accepted, in bytes. */
  bodyLimit: number
  count(outcome: CloudWebhookOutcome): void
}

/**
 * The endpoints Meta calls: `GET /webhooks/cloud` (subscription check) and
 * `POST /webhooks/cloud` (deliveries, checked against the raw bytes with the app secret of
 * the account whose `phone_number_id` they name).
 */
export function cloudWebhookRoutes(deps: CloudWebhookDeps) {
  const { accounts, logger } = deps

  async function cloudAccounts() {
    const found = []
    let after: string | undefined
    for (;;) {
      const page = await accounts.list({ limit: 100, after })
      found.push(...page.filter((a) => a.transport === 'cloud'))
      if (page.length < 100) return found
      after = page[page.length - 1]?.id
    }
  }

  async function cloudCredentials(accountId: string) {
    const credentials = await accounts.credentialsOf(accountId).catch((err: unknown) => {
      logger.error({ err, accountId }, 'cloud credentials could not be read')
      return undefined
    })
    return credentials?.transport === 'cloud' ? credentials.cloud : undefined
  }

  // Every delivery needs the app secret of its number: kept for a while rather than read
  // and decrypted for each of them. A signature that fails with a kept secret is checked
  // again with a fresh one (the secret may have just been changed).
  const SECRET_TTL_MS = 30_000
  const secrets = new Map<string, { accountId: string; appSecret: string; until: number }>()

  async function secretOf(phoneNumberId: string, fresh: boolean) {
    const kept = secrets.get(phoneNumberId)
    if (!fresh && kept && kept.until > Date.now()) return kept
    secrets.delete(phoneNumberId)
    const account = await accounts.findByExternalId('cloud', phoneNumberId)
    if (!account) return undefined
    const appSecret = (await cloudCredentials(account.id))?.appSecret
    if (!appSecret) return undefined
    const entry = { accountId: account.id, appSecret, until: Date.now() + SECRET_TTL_MS }
    if (secrets.size > 1000) secrets.clear()
    secrets.set(phoneNumberId, entry)
    return entry
  }

  return async function register(app: App): Promise<void> {
    // Signatures cover the exact bytes Meta sent: this scope reads JSON bodies as buffers.
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: deps.bodyLimit },
      (_req, body, done) => done(null, body),
    )

    app.get(
      '/webhooks/cloud',
      {
        config: { public: true },
        schema: {
          tags: ['webhooks'],
          summary: "Meta's webhook verification (hub.challenge)",
          querystring: z.record(z.string(), z.unknown()),
        },
      },
      async (req, reply) => {
        const tokens: string[] = []
        for (const account of await cloudAccounts()) {
          const credentials = await cloudCredentials(account.id)
          if (credentials) tokens.push(credentials.verifyToken)
        }
        const challenge = verifyChallenge(req.query, tokens)
        if (challenge === null) {
          deps.count('verification_refused')
          logger.warn('cloud webhook verification refused: wrong or missing verify token')
          return reply.code(403).type('text/plain').send('verification failed')
        }
        deps.count('verified')
        return reply.code(200).type('text/plain').send(challenge)
      },
    )

    app.post(
      '/webhooks/cloud',
      {
        config: { public: true },
        // Meta reads no browser security headers; skipping them is measurable at Meta's rates.
        helmet: false,
        schema: {
          tags: ['webhooks'],
          summary: 'Deliveries from the WhatsApp Cloud API',
          hide: false,
        },
      },
      async (req, reply) => {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
        const accountIds = new Map<string, string>()
        const parse = (fresh: boolean) =>
          parseWebhook(raw, req.headers['x-hub-signature-256'], async (phoneNumberId) => {
            const entry = await secretOf(phoneNumberId, fresh)
            if (entry) accountIds.set(phoneNumberId, entry.accountId)
            return entry?.appSecret
          })
        let parsed = await parse(false)
        if (!parsed.ok && parsed.reason === 'signature_mismatch') parsed = await parse(true)
        if (!parsed.ok) {
          if (parsed.signatureFailure) {
            deps.count('signature_rejected')
            req.log.warn({ reason: parsed.reason, detail: parsed.detail }, 'cloud webhook refused')
            return reply.code(401).send({ error: 'invalid signature' })
          }
          // Meta retries anything but a 200 for days: what can never be read is logged and
          // acknowledged.
          deps.count('ignored')
          req.log.warn({ reason: parsed.reason, detail: parsed.detail }, 'cloud webhook ignored')
          return reply.code(200).send({ ok: true })
        }
        if (parsed.skipped.length > 0) {
          req.log.info({ skipped: parsed.skipped }, 'cloud webhook: parts skipped')
        }
        const byNumber = new Map<string, CloudWebhookEvent[]>()
        for (const event of parsed.events) {
          const list = byNumber.get(event.phoneNumberId)
          if (list) list.push(event)
          else byNumber.set(event.phoneNumberId, [event])
        }
        for (const [phoneNumberId, events] of byNumber) {
          const accountId = accountIds.get(phoneNumberId)
          const live = accountId ? accounts.live(accountId) : undefined
          const transport = live ? accounts.transport(live.id).transport : undefined
          if (!(transport instanceof CloudTransport)) {
            // Not running now (disconnected, or in error): Meta delivers again later.
            deps.count('account_unavailable')
            req.log.warn({ phoneNumberId }, 'cloud webhook for an account that is not running')
            return reply.code(503).send({ error: 'account not running; retry later' })
          }
          await transport.handleWebhookEvents(events)
        }
        deps.count('accepted')
        return reply.code(200).send({ ok: true })
      },
    )
  }
}
