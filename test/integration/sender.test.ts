// The sender, end to end on the sandbox: retries and their hints, dead letters and the retry
// action, the circuit breaker, automatic pauses and resume-sending, Idempotency-Key, the
// warm-up cap, marking answered messages read, typing, the rate limit, and opt-out by origin.
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { Account, SendingHealth } from '../../src/accounts/index.js'
import { mayReachOptedOut, sendOrigins, type Message } from '../../src/messages/index.js'
import type { SandboxFailure } from '../../src/transports/sandbox/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  contactWrites,
  getMessage,
  listAllMessages,
  randomApiKey,
  startTestLinda,
  virtualPhone,
  waitFor,
  waitForStatus,
  type AccountSettingsChange,
  type Problem,
  type StartOptions,
  type TestLinda,
} from '../helpers/linda.js'

const running: TestLinda[] = []
async function start(dialect: Parameters<typeof startTestLinda>[0], opts?: StartOptions) {
  const t = await startTestLinda(dialect, opts)
  running.push(t)
  return t
}

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((t) => t.stop()))
})

async function send(
  t: TestLinda,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return t.request<{ id: string; status: string } & Problem>(
    'POST',
    '/api/v1/messages',
    { accountId: t.accountId, type: 'text', ...body },
    headers,
  )
}

async function sendOk(t: TestLinda, to: string, text: string, extra: Record<string, unknown> = {}) {
  const res = await send(t, { to, text, ...extra })
  expect(res.status, res.body).toBe(202)
  return res.json.id
}

async function sandboxWith(t: TestLinda, settings?: AccountSettingsChange) {
  if (settings) await t.setAccountSettings(settings)
  return t.linda.accounts.sandbox(t.accountId)
}

async function health(t: TestLinda): Promise<SendingHealth> {
  const res = await t.request<Account>('GET', `/api/v1/accounts/${t.accountId}`)
  expect(res.status).toBe(200)
  return res.json.health!.sending
}

/** Waits until the message went out (sent, delivered or read) and returns it. */
async function waitSent(t: TestLinda, id: string): Promise<Message> {
  return waitFor(async () => {
    const m = await getMessage(t, id)
    if (!['sent', 'delivered', 'read'].includes(m.status)) {
      throw new Error(`message ${id} is ${m.status}, waiting for it to be sent`)
    }
    return m
  })
}

const retryable: SandboxFailure = { code: 'SANDBOX_UNAVAILABLE', retryable: true }

describe.each(testDialects())('the sender on %s', (dialect) => {
  describe('retries and dead letters', () => {
    it('retries a send that failed with a retryable error, and sends it', async () => {
      const t = await start(dialect)
      const sandbox = await sandboxWith(t)
      sandbox.failNext(retryable, 2)
      const id = await sendOk(t, virtualPhone(), 'third time lucky')
      const sent = await waitSent(t, id)
      expect(sent).toMatchObject({ attempts: 3, origin: 'api', error: null })
    })

    it('waits at least as long as the provider asked before trying again', async () => {
      const t = await start(dialect)
      const sandbox = await sandboxWith(t)
      sandbox.failNext({ ...retryable, retryAfterMs: 60_000 })
      const id = await sendOk(t, virtualPhone(), 'later')
      const waiting = await waitFor(async () => {
        const m = await getMessage(t, id)
        expect(m).toMatchObject({ status: 'queued', attempts: 1 })
        expect(m.error?.code).toBe('SANDBOX_UNAVAILABLE')
        return m
      })
      const job = await t.linda.db.db
        .selectFrom('jobs')
        .select(['run_at', 'attempts'])
        .where('queue', '=', 'message.send')
        .executeTakeFirstOrThrow()
      expect(Date.parse(job.run_at) - Date.parse(waiting.updatedAt)).toBeGreaterThanOrEqual(59_000)
    })

    it('fails a message for good after its attempts, with the reason, listed as failed', async () => {
      const t = await start(dialect)
      const sandbox = await sandboxWith(t)
      sandbox.failNext(retryable, 5)
      const id = await sendOk(t, virtualPhone(), 'never')
      const failed = await waitForStatus(t, id, 'failed')
      expect(failed.attempts).toBe(5)
      expect(failed.error?.code).toBe('SANDBOX_UNAVAILABLE')
      expect(failed.error?.message).toMatch(/gave up after 5 attempts/)
      const listed = await listAllMessages(t, { status: 'failed' })
      expect(listed.map((m) => m.id)).toContain(id)
    })

    it('fails a message at once when retrying cannot help', async () => {
      const t = await start(dialect)
      const sandbox = await sandboxWith(t)
      sandbox.failNext({ code: 'SANDBOX_REJECTED', retryable: false })
      const id = await sendOk(t, virtualPhone(), 'bad')
      const failed = await waitForStatus(t, id, 'failed')
      expect(failed).toMatchObject({ attempts: 1, error: { code: 'SANDBOX_REJECTED' } })
    })

    it('sends a failed message again on POST /messages/{id}/retry, once however often asked', async () => {
      const t = await start(dialect)
      const sandbox = await sandboxWith(t)
      sandbox.failNext({ code: 'SANDBOX_REJECTED', retryable: false })
      const phone = virtualPhone()
      const id = await sendOk(t, phone, 'try me again')
      await waitForStatus(t, id, 'failed')

      const starts: string[] = []
      t.linda.events.subscribe('message.status', (e) => {
        if (e.data.id === id && e.data.status === 'sending') starts.push(e.data.status)
      })
      // While the account is away the message waits, queued, so every retry finds it so.
      await t.request('POST', `/api/v1/accounts/${t.accountId}/disconnect`)
      const retries = await Promise.all(
        [1, 2, 3].map(() =>
          t.request<{ id: string; status: string }>('POST', `/api/v1/messages/${id}/retry`),
        ),
      )
      expect(retries.map((r) => [r.status, r.json.id, r.json.status])).toEqual([
        [202, id, 'queued'],
        [202, id, 'queued'],
        [202, id, 'queued'],
      ])
      await t.request('POST', `/api/v1/accounts/${t.accountId}/connect`)
      const sent = await waitSent(t, id)
      expect(sent).toMatchObject({ attempts: 1, error: null })
      // One send: the message reached the contact once.
      expect(starts).toHaveLength(1)
      expect((await listAllMessages(t, { phone, direction: 'out' })).length).toBe(1)

      const again = await t.request<Problem>('POST', `/api/v1/messages/${id}/retry`)
      expect(again.status).toBe(409)
      expect(again.json.code).toBe('MESSAGE_NOT_RETRYABLE')
      const inbound = await contactWrites(t, phone, 'thanks')
      const received = await t.request<Problem>('POST', `/api/v1/messages/${inbound.id}/retry`)
      expect(received.status).toBe(409)
      const missing = await t.request<Problem>('POST', `/api/v1/messages/nope/retry`)
      expect(missing.status).toBe(404)
    })

    it('retries an uncertain message by hand', async () => {
      const t = await start(dialect)
      const sandbox = await sandboxWith(t)
      sandbox.failNext({ code: 'SANDBOX_TIMEOUT', retryable: true, deliveryUnknown: true })
      const id = await sendOk(t, virtualPhone(), 'did it go?')
      await waitForStatus(t, id, 'uncertain')
      expect((await t.request('POST', `/api/v1/messages/${id}/retry`)).status).toBe(202)
      await waitSent(t, id)
    })
  })

  describe('the circuit breaker', () => {
    it('opens after failures in a row, makes sends wait, shows on health, and closes after a good probe', async () => {
      const t = await start(dialect)
      const events: SendingHealth[] = []
      t.linda.events.subscribe('account.sending', (e) => events.push(e.data.sending))
      const sandbox = await sandboxWith(t, { breaker: { failureThreshold: 3, coolDownMs: 1500 } })
      sandbox.failNext(retryable, 3)
      const first = await sendOk(t, virtualPhone(), 'one')

      const open = await waitFor(async () => {
        const h = await health(t)
        expect(h.status).toBe('breaker_open')
        return h
      })
      expect(open.breaker).toMatchObject({ state: 'open', consecutiveFailures: 3 })
      expect(Date.parse(open.breaker.probeAt!)).toBeGreaterThan(Date.now())
      // While open, other sends wait, queued: not failed, no attempt used.
      const second = await sendOk(t, virtualPhone(), 'two')
      const ready = await t.request<{
        accounts: Array<{ id: string; sending?: { breaker: string } }>
      }>('GET', '/readyz')
      expect(ready.json.accounts.find((a) => a.id === t.accountId)?.sending?.breaker).toMatch(
        /open|half_open|closed/,
      )
      expect((await getMessage(t, second)).attempts).toBe(0)

      await waitSent(t, first)
      await waitSent(t, second)
      expect((await health(t)).breaker).toMatchObject({ state: 'closed', consecutiveFailures: 0 })
      expect(events.map((e) => e.breaker.state)).toEqual(['open', 'closed'])
    })

    it('keeps an open breaker across a restart', async () => {
      const t = await start(dialect)
      const sandbox = await sandboxWith(t, {
        breaker: { failureThreshold: 1, coolDownMs: 3_600_000 },
      })
      sandbox.failNext(retryable)
      await sendOk(t, virtualPhone(), 'x')
      await waitFor(async () => expect((await health(t)).breaker.state).toBe('open'))
      await t.stop()
      const again = await start(dialect, {
        dataDir: t.dataDir,
        databaseUrl: t.databaseUrl,
        apiKey: t.apiKey,
      })
      expect((await health(again)).breaker.state).toBe('open')
    })
  })

  describe('automatic pauses', () => {
    it('pauses the account when the provider throttles it, holds its sends, and resumes on request', async () => {
      const t = await start(dialect)
      const events: SendingHealth[] = []
      t.linda.events.subscribe('account.sending', (e) => events.push(e.data.sending))
      const sandbox = await sandboxWith(t)
      sandbox.failNext({
        code: 'SANDBOX_SPAM_LIMIT',
        message: 'Too many messages flagged as spam',
        retryable: true,
        retryAfterMs: 3_600_000,
        throttle: 'account',
      })
      const first = await sendOk(t, virtualPhone(), 'one')
      const paused = await waitFor(async () => {
        const h = await health(t)
        expect(h.status).toBe('paused')
        return h
      })
      expect(paused.pauseReason).toMatch(/spam/)
      expect(Date.parse(paused.pausedUntil!)).toBeGreaterThan(Date.now() + 3_500_000)
      const second = await sendOk(t, virtualPhone(), 'two')
      expect(await getMessage(t, first)).toMatchObject({ status: 'queued', attempts: 0 })
      expect((await getMessage(t, second)).status).toBe('queued')
      // An agent may not lift it; an admin may.
      const forbidden = await t.request(
        'POST',
        `/api/v1/accounts/${t.accountId}/resume-sending`,
        undefined,
        {
          authorization: `Bearer ${await keyWithRole(t, 'agent')}`,
        },
      )
      expect(forbidden.status).toBe(403)
      const resumed = await t.request<Account>(
        'POST',
        `/api/v1/accounts/${t.accountId}/resume-sending`,
      )
      expect(resumed.status).toBe(200)
      expect(resumed.json.health?.sending).toMatchObject({ status: 'active', pausedUntil: null })
      await waitSent(t, first)
      await waitSent(t, second)
      expect((await getMessage(t, first)).attempts).toBe(1)
      expect(events.map((e) => e.status)).toEqual(['paused', 'active'])
    })

    it('resumes by itself when the pause runs out', async () => {
      const t = await start(dialect)
      const sandbox = await sandboxWith(t)
      sandbox.failNext({
        code: 'SANDBOX_QUOTA',
        retryable: true,
        retryAfterMs: 300,
        throttle: 'account',
      })
      const id = await sendOk(t, virtualPhone(), 'soon')
      await waitSent(t, id)
      expect((await health(t)).status).toBe('active')
    })

    it('holds back only the recipient on a pair rate limit', async () => {
      const t = await start(dialect)
      const sandbox = await sandboxWith(t)
      sandbox.failNext({
        code: 'SANDBOX_PAIR_RATE',
        retryable: true,
        retryAfterMs: 60_000,
        throttle: 'recipient',
      })
      const busy = virtualPhone()
      const first = await sendOk(t, busy, 'one')
      await waitFor(async () =>
        expect((await getMessage(t, first)).error?.code).toBe('SANDBOX_PAIR_RATE'),
      )
      const other = await sendOk(t, virtualPhone(), 'someone else')
      const same = await sendOk(t, busy, 'again')
      await waitSent(t, other)
      expect((await getMessage(t, first)).status).toBe('queued')
      expect((await getMessage(t, same)).status).toBe('queued')
      expect((await health(t)).status).toBe('active')
    })
  })

  describe('Idempotency-Key', () => {
    it('answers the same message for the same request, and a conflict for another', async () => {
      const t = await start(dialect)
      const phone = virtualPhone()
      const key = { 'idempotency-key': 'order-1042' }
      const first = await send(t, { to: phone, text: 'Shipped' }, key)
      expect(first.status).toBe(202)
      // Spelt differently (spaces in the number), the same request.
      const again = await send(t, { to: phone.replace('+1555', '+1 555 '), text: 'Shipped' }, key)
      expect(again.status).toBe(202)
      expect(again.json.id).toBe(first.json.id)

      const other = await send(t, { to: phone, text: 'Cancelled' }, key)
      expect(other.status).toBe(409)
      expect(other.json.code).toBe('IDEMPOTENCY_CONFLICT')
      expect(other.json.errors).toEqual([
        { path: 'headers.idempotency-key', message: 'was used for a different request' },
      ])
      const transactional = await send(t, { to: phone, text: 'Shipped', transactional: true }, key)
      expect(transactional.status).toBe(409)
      expect(await listAllMessages(t, { phone })).toHaveLength(1)
    })

    it('stores one message for concurrent requests with one key', async () => {
      const t = await start(dialect)
      const phone = virtualPhone()
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          send(t, { to: phone, text: 'once' }, { 'idempotency-key': 'k1' }),
        ),
      )
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(202))
      expect(new Set(answers.map((a) => a.json.id)).size).toBe(1)
      expect(await listAllMessages(t, { phone })).toHaveLength(1)
    })

    it('keeps keys apart per API key, and frees a key after 24 hours', async () => {
      const t = await start(dialect)
      const phone = virtualPhone()
      const first = await send(t, { to: phone, text: 'hi' }, { 'idempotency-key': 'shared' })
      const otherKey = await keyWithRole(t, 'agent')
      const second = await send(
        t,
        { to: phone, text: 'hi' },
        { 'idempotency-key': 'shared', authorization: `Bearer ${otherKey}` },
      )
      expect(second.status).toBe(202)
      expect(second.json.id).not.toBe(first.json.id)

      const kept = await t.linda.db.db.selectFrom('idempotency_keys').selectAll().execute()
      expect(kept).toHaveLength(2)
      for (const k of kept) {
        expect(Date.parse(k.expires_at) - Date.parse(k.created_at)).toBe(24 * 3600 * 1000)
      }
      await t.linda.db.db
        .updateTable('idempotency_keys')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .execute()
      const later = await send(t, { to: phone, text: 'hi' }, { 'idempotency-key': 'shared' })
      expect(later.status).toBe(202)
      expect(later.json.id).not.toBe(first.json.id)
    })
  })

  describe('warm-up', () => {
    it('caps new conversations a day and shows it on health; answers and known contacts go on', async () => {
      const t = await start(dialect)
      await t.setAccountSettings({
        warmup: { enabled: true, steps: [{ days: 7, newConversationsPerDay: 2 }] },
      })
      const [a, b, c] = [virtualPhone(), virtualPhone(), virtualPhone()]
      const ids = [await sendOk(t, a, 'hello a'), await sendOk(t, b, 'hello b')]
      for (const id of ids) await waitSent(t, id)
      const capped = await sendOk(t, c, 'hello c')
      const h = await waitFor(async () => {
        const h = await health(t)
        expect(h.status).toBe('warmup_capped')
        return h
      })
      expect(h.warmup).toMatchObject({ active: true, day: 1, cap: 2, newConversationsToday: 2 })
      expect(Date.parse(h.warmup.nextDayAt!)).toBeGreaterThan(Date.now())
      // A second message to a contact already written to today, and an answer to a contact
      // who wrote, open nothing new.
      const known = await sendOk(t, a, 'and again')
      const writer = virtualPhone()
      const inbound = await contactWrites(t, writer, 'is anyone there?')
      const answer = await sendOk(t, writer, 'yes!', { replyTo: inbound.id })
      await waitSent(t, known)
      await waitSent(t, answer)
      expect((await getMessage(t, capped)).status).toBe('queued')
    })
  })

  describe('read receipts and typing', () => {
    it('marks what the contact wrote read when the bot answers it', async () => {
      const t = await start(dialect)
      const phone = virtualPhone()
      const sandbox = await sandboxWith(t)
      await contactWrites(t, phone, 'hi', 'sbx-in-first')
      await waitFor(async () => {
        const [inbound] = await listAllMessages(t, { phone, direction: 'in' })
        expect(inbound?.status).toBe('read')
      })
      expect(sandbox.activity()).toContainEqual(
        expect.objectContaining({ kind: 'read', from: phone, externalIds: ['sbx-in-first'] }),
      )
    })

    it('marks read what an API send answers, and refuses a replyTo of another contact', async () => {
      const t = await start(dialect)
      const phone = virtualPhone()
      const sandbox = await sandboxWith(t)
      // No rule matches: only the answer through the API marks it read.
      const inbound = await contactWrites(t, phone, 'what are your hours?', 'sbx-in-q')
      const id = await sendOk(t, phone, '9 to 5', { replyTo: inbound.id })
      await waitSent(t, id)
      await waitFor(async () => expect((await getMessage(t, inbound.id)).status).toBe('read'))
      expect(sandbox.activity().filter((a) => a.kind === 'read')).toEqual([
        expect.objectContaining({ from: phone, externalIds: ['sbx-in-q'] }),
      ])
      expect((await getMessage(t, id)).replyTo).toBe(inbound.id)

      const wrong = await send(t, { to: virtualPhone(), text: 'x', replyTo: inbound.id })
      expect(wrong.status).toBe(400)
      expect(wrong.json.errors?.[0]?.path).toBe('body.replyTo')
    })

    it('shows typing before a humanized send', async () => {
      const t = await start(dialect)
      const sandbox = await sandboxWith(t, {
        humanize: { enabled: true, minDelayMs: 0, maxDelayMs: 20, typing: true },
      })
      const phone = virtualPhone()
      const id = await sendOk(t, phone, 'typed by a human, surely')
      await waitSent(t, id)
      expect(sandbox.activity()).toContainEqual(
        expect.objectContaining({ kind: 'typing', to: phone }),
      )
    })

    it('refuses humanize delays that do not make a range', async () => {
      const t = await start(dialect)
      const res = await t.request<Problem>('PATCH', `/api/v1/accounts/${t.accountId}`, {
        settings: { humanize: { minDelayMs: 5000, maxDelayMs: 1000 } },
      })
      expect(res.status).toBe(400)
      expect(res.json.errors?.[0]?.path).toBe('body.settings.humanize.maxDelayMs')
    })
  })

  describe('limits', () => {
    it('never sends more than the rate in any second, and spaces sends to one contact', async () => {
      const t = await start(dialect)
      await t.setAccountSettings({ sendRatePerSecond: 4, recipientSpacingMs: 300 })
      const ids: string[] = []
      for (let i = 0; i < 10; i++) ids.push(await sendOk(t, virtualPhone(), `m${i}`))
      const same = virtualPhone()
      const spaced = [await sendOk(t, same, 's1'), await sendOk(t, same, 's2')]
      const sent: Message[] = []
      for (const id of [...ids, ...spaced]) sent.push(await waitSent(t, id))
      const times = sent.map((m) => Date.parse(m.sentAt!)).sort((x, y) => x - y)
      for (let i = 0; i + 4 < times.length; i++) {
        // Five sends span at least a second (sentAt is written just after each send).
        expect(times[i + 4]! - times[i]!).toBeGreaterThanOrEqual(950)
      }
      const [s1, s2] = spaced.map((id) => sent.find((m) => m.id === id)!)
      expect(Math.abs(Date.parse(s2!.sentAt!) - Date.parse(s1!.sentAt!))).toBeGreaterThanOrEqual(
        250,
      )
    })
  })

  describe('opt-out', () => {
    async function optOut(t: TestLinda, phone: string): Promise<void> {
      await t.linda.db.db
        .updateTable('contacts')
        .set({ opted_out: 1, opted_out_at: new Date().toISOString() })
        .where('phone', '=', phone)
        .execute()
    }

    it('sends to a contact who opted out only what the rule allows, for every origin', async () => {
      const t = await start(dialect)
      const phone = virtualPhone()
      const inbound = await contactWrites(t, phone, 'STOP')
      await optOut(t, phone)
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...sendOrigins),
          fc.boolean(),
          fc.boolean(),
          async (origin, transactional, answers) => {
            const attempt = t.linda.messages.send(
              {
                accountId: t.accountId,
                to: phone,
                type: 'text',
                text: `${origin} ${transactional} ${answers}`,
                ...(transactional ? { transactional } : {}),
                ...(answers ? { replyTo: inbound.id } : {}),
              },
              { origin },
            )
            if (mayReachOptedOut({ origin, transactional, answersContact: answers })) {
              await expect(attempt).resolves.toMatchObject({ message: { status: 'queued' } })
            } else {
              await expect(attempt).rejects.toMatchObject({ code: 'CONTACT_OPTED_OUT' })
            }
          },
        ),
        { numRuns: 30 },
      )
      const res = await send(t, { to: phone, text: 'promo' })
      expect(res.status).toBe(422)
      expect(res.json).toMatchObject({ code: 'CONTACT_OPTED_OUT', errors: [{ path: 'body.to' }] })
    })

    it('does not send a queued message to a contact who opted out meanwhile', async () => {
      const t = await start(dialect)
      const phone = virtualPhone()
      await t.request('POST', `/api/v1/accounts/${t.accountId}/disconnect`)
      const plain = await sendOk(t, phone, 'a newsletter')
      const transactional = await sendOk(t, phone, 'your code is 1234', { transactional: true })
      await optOut(t, phone)
      await t.request('POST', `/api/v1/accounts/${t.accountId}/connect`)
      const failed = await waitForStatus(t, plain, 'failed')
      expect(failed.error?.code).toBe('CONTACT_OPTED_OUT')
      await waitSent(t, transactional)
    })
  })
})

/** A new API key with `role`, made through the API. */
async function keyWithRole(t: TestLinda, role: 'agent' | 'viewer'): Promise<string> {
  const res = await t.request<{ key: string }>('POST', '/api/v1/api-keys', {
    name: `${role}-${randomApiKey().slice(-6)}`,
    role,
  })
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${res.body}`)
  return res.json.key
}
