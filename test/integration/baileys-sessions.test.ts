// WhatsApp Web sessions in supervised workers: each account's
// BaileysTransport runs in a worker thread of its own, on a fake socket driven from here
// (test/fakes/baileys/network.ts). A worker that crashes, exits, leaks past its memory
// ceiling or hangs is restarted alone, from the auth state in the database, while the other
// accounts keep flowing; a crash loop ends in `error`; stopping Linda leaves no worker.
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Account } from '../../src/accounts/index.js'
import type { BaileysOptions } from '../../src/app.js'
import type { Message } from '../../src/messages/index.js'
import { textMessage } from '../fakes/baileys/index.js'
import type { LossKind } from '../../src/transports/baileys/index.js'
import { FakeBaileysNetwork, fakeSocketModule, type Crash } from '../fakes/baileys/network.js'
import { testDialects, type TestDialect } from '../helpers/databases.js'
import {
  contactWrites,
  startTestLinda,
  virtualPhone,
  waitFor,
  waitForReplies,
  waitForStatus,
  waitOptions,
  type TestLinda,
} from '../helpers/linda.js'

/** Small ceilings and quick restarts, so that each failure plays out in a moment. */
const HEAP_MB = 64
const baileys: BaileysOptions = {
  socketModule: fakeSocketModule,
  heartbeat: { intervalMs: 100, timeoutMs: 10_000 },
  restart: { baseMs: 20, maxMs: 200, maxRestarts: 3, windowMs: 10 * 60_000 },
  reconnect: { baseMs: 20, maxMs: 200 },
}

// Each session is a worker that loads Baileys: on a busy machine, starting a few takes a
// while. Outcomes are awaited, never timed.
vi.setConfig({ testTimeout: 180_000 })
waitOptions.timeout = 60_000

const network = new FakeBaileysNetwork()
afterAll(() => network.close())

/**
 * A Linda with WhatsApp Web sessions in workers on fake sockets, fresh for each test, and
 * what the tests ask of it.
 */
function sessionsHarness(dialect: TestDialect) {
  let t: TestLinda
  /** Every account.state event: [accountId, state, reason]. */
  let states: Array<[string, string, string | null]>

  beforeEach(async () => {
    t = await startTestLinda(dialect, {
      baileys,
      env: { LINDA_BAILEYS_MAX_HEAP_MB: String(HEAP_MB) },
    })
    states = []
    t.linda.events.subscribe('account.state', (e) => {
      states.push([e.data.id, e.data.state, e.data.stateReason])
    })
  })
  afterEach(async () => {
    await t.stop()
  })

  async function account(id: string): Promise<Account> {
    const res = await t.request<Account>('GET', `/api/v1/accounts/${id}`)
    return res.json
  }

  async function waitForState(id: string, state: string): Promise<Account> {
    return waitFor(async () => {
      const got = await account(id)
      if (got.state !== state) {
        throw new Error(`account is ${got.state} (${got.stateReason ?? ''}), waiting for ${state}`)
      }
      return got
    })
  }

  /** Creates a WhatsApp Web account and links it as a phone scanning its QR code would. */
  async function linkedAccount(name: string): Promise<{ account: Account; phone: string }> {
    const phone = virtualPhone()
    const res = await t.request<Account>('POST', '/api/v1/accounts', {
      name,
      transport: 'baileys',
      baileys: { phone },
    })
    expect(res.status, res.body).toBe(201)
    expect(res.json.state).toBe('linking')
    await waitFor(async () => {
      const pairing = await t.request<{ qr?: string }>(
        'GET',
        `/api/v1/accounts/${res.json.id}/pairing`,
      )
      expect(pairing.json.qr).toMatch(/^2@fake-qr-/)
    })
    network.link(res.json.id, phone)
    await waitForState(res.json.id, 'connected')
    return { account: res.json, phone }
  }

  /** A contact writes `!ping` to the WhatsApp Web account; resolves once the bot's pong left. */
  async function pingThrough(accountId: string): Promise<void> {
    const contact = virtualPhone()
    const before = network.sends(accountId).length
    network.upsert(accountId, [
      textMessage({
        from: `${contact.slice(1)}@s.whatsapp.net`,
        id: `IN-${Math.random().toString(36).slice(2)}`,
        text: '!ping',
      }),
    ])
    await waitFor(() => {
      const sent = network.sends(accountId).slice(before)
      expect(sent.map((s) => [s.jid, s.text.startsWith('pong')])).toContainEqual([
        `${contact.slice(1)}@s.whatsapp.net`,
        true,
      ])
    })
  }

  function restartsCounted(reason: string): Promise<number> {
    return t.linda.metrics.registry
      .getSingleMetric('linda_baileys_session_restarts_total')!
      .get()
      .then((m) => m.values.find((v) => v.labels.reason === reason)?.value ?? 0)
  }

  function workersRunning(): Promise<number> {
    return t.linda.metrics.registry
      .getSingleMetric('linda_baileys_workers')!
      .get()
      .then((m) => m.values[0]?.value ?? 0)
  }

  return {
    get t() {
      return t
    },
    get states() {
      return states
    },
    waitForState,
    linkedAccount,
    pingThrough,
    restartsCounted,
    workersRunning,
  }
}

type Harness = ReturnType<typeof sessionsHarness>

/** A worker failing as `how` is restarted alone, counted as `kind`, its account saying `reason`. */
function restartsAlone(h: Harness, cases: Array<[Crash, LossKind, RegExp]>): void {
  it.each(cases)(
    'restarts a worker that fails (%s) alone, linked, while the other accounts keep flowing',
    async (how, kind, reason) => {
      const a = await h.linkedAccount('Branch A')
      const b = await h.linkedAccount('Branch B')
      const threadsOfB = network.threads(b.account.id)
      expect(await h.workersRunning()).toBe(2)

      const mark = h.states.length
      network.crash(a.account.id, how)
      // Meanwhile, the sandbox and the other WhatsApp Web account answer.
      const contact = virtualPhone()
      await contactWrites(h.t, contact, '!ping')
      await waitForReplies(h.t, contact, (replies) =>
        replies.some((r) => r.text?.startsWith('pong')),
      )
      await h.pingThrough(b.account.id)

      await waitFor(() => {
        expect(h.states).toContainEqual([
          a.account.id,
          'reconnecting',
          expect.stringMatching(reason),
        ])
      })
      const back = await h.waitForState(a.account.id, 'connected')
      expect(back.stateReason).toBeNull()
      // A new worker, whose socket resumed the link from the database: no new QR code.
      expect(network.threads(a.account.id)).toHaveLength(2)
      const sockets = network.sockets(a.account.id)
      expect(sockets.at(-1)).toMatchObject({
        linked: true,
        me: `${a.phone.slice(1)}:7@s.whatsapp.net`,
      })
      expect(
        (
          await h.t.request<{ state: string; qr?: string }>(
            'GET',
            `/api/v1/accounts/${a.account.id}/pairing`,
          )
        ).json,
      ).toEqual({ state: 'connected' })
      await h.pingThrough(a.account.id)
      // The other session was never touched.
      expect(network.threads(b.account.id)).toEqual(threadsOfB)
      expect(h.states.slice(mark).filter(([id]) => id === b.account.id)).toEqual([])
      expect(await h.restartsCounted(kind)).toBe(1)
      expect(await h.workersRunning()).toBe(2)
    },
  )
}

describe.each(testDialects())('WhatsApp Web sessions in workers on %s', (dialect) => {
  const h = sessionsHarness(dialect)

  restartsAlone(h, [['throw', 'crash', /^worker crashed: fake Baileys failed$/]])
})

// How each kind of failure is caught and what the account reports is the supervisor's
// doing, the same on either database (the database's part, reading the session back, is
// tested on both above): these run on SQLite only.
describe('WhatsApp Web session supervision', () => {
  const h = sessionsHarness('sqlite')

  restartsAlone(h, [['exit', 'exit', /^worker exited with code 3$/]])

  it('ends a crash loop in error with the reason, and runs no worker for it', async () => {
    const a = await h.linkedAccount('Doomed')
    const b = await h.linkedAccount('Fine')
    network.crashLoop(a.account.id, 'throw')
    const failed = await h.waitForState(a.account.id, 'error')
    expect(failed.stateReason).toBe(
      'the WhatsApp Web session was restarted 3 times within 10 minutes and failed again: worker crashed: fake Baileys failed',
    )
    expect(network.threads(a.account.id)).toHaveLength(4)
    expect(await h.restartsCounted('crash')).toBe(3)
    await waitFor(async () => expect(await h.workersRunning()).toBe(1))
    await h.pingThrough(b.account.id)
  })

  it.each([
    ['allocate', /^worker exceeded 64 MB heap$/],
    ['buffers', /^worker held \d+ MB of buffers, over its 64 MB ceiling$/],
  ] as const)(
    'ends a worker whose memory passes the ceiling (%s) and restarts it, saying why',
    async (how: Crash, reason) => {
      const a = await h.linkedAccount('Leaky')
      const mark = h.states.length
      network.crash(a.account.id, how)
      await waitFor(() => {
        expect(h.states.slice(mark)).toContainEqual([
          a.account.id,
          'reconnecting',
          expect.stringMatching(reason),
        ])
      })
      await h.waitForState(a.account.id, 'connected')
      expect(network.sockets(a.account.id).at(-1)).toMatchObject({ linked: true })
      expect(await h.restartsCounted('memory')).toBe(1)
      await h.pingThrough(a.account.id)
    },
  )

  it('ends a worker that stops answering its heartbeat, and restarts it', async () => {
    const a = await h.linkedAccount('Stuck')
    const mark = h.states.length
    network.crash(a.account.id, 'hang')
    await waitFor(() => {
      expect(h.states.slice(mark)).toContainEqual([
        a.account.id,
        'reconnecting',
        'worker stopped answering for 10 s',
      ])
    })
    await h.waitForState(a.account.id, 'connected')
    expect(await h.restartsCounted('heartbeat')).toBe(1)
    await h.pingThrough(a.account.id)
  })

  it('fails a send in flight when its worker is lost as of unknown outcome: uncertain, not resent', async () => {
    const a = await h.linkedAccount('Busy')
    network.holdSends(a.account.id, true)
    const to = virtualPhone()
    const res = await h.t.request<Message>('POST', '/api/v1/messages', {
      accountId: a.account.id,
      to,
      type: 'text',
      text: 'Your order has shipped',
    })
    expect(res.status, res.body).toBe(202)
    await waitFor(() =>
      expect(network.sends(a.account.id).map((s) => s.text)).toContain('Your order has shipped'),
    )
    network.crash(a.account.id, 'throw')
    const message = await waitForStatus(h.t, res.json.id, 'uncertain')
    // Asked for while the session is being restarted: it waits, and goes once.
    network.holdSends(a.account.id, false)
    const next = await h.t.request<Message>('POST', '/api/v1/messages', {
      accountId: a.account.id,
      to,
      type: 'text',
      text: 'Your parcel is on its way',
    })
    expect(next.status, next.body).toBe(202)
    expect(message.error).toMatchObject({ code: 'BAILEYS_WORKER_LOST' })
    expect(message.error?.message).toMatch(/worker crashed: fake Baileys failed.*may have left/)
    await h.waitForState(a.account.id, 'connected')
    await waitForStatus(h.t, next.json.id, 'sent')
    // Each sent once: the restarted session does not send the uncertain one again.
    expect(network.sends(a.account.id).map((s) => s.text)).toEqual([
      'Your order has shipped',
      'Your parcel is on its way',
    ])
  })

  it('restarts a worker lost while linking with a new QR code, still linking', async () => {
    const phone = virtualPhone()
    const res = await h.t.request<Account>('POST', '/api/v1/accounts', {
      name: 'Not linked yet',
      transport: 'baileys',
      baileys: { phone },
    })
    const id = res.json.id
    const qr = async () =>
      (await h.t.request<{ state: string; qr?: string }>('GET', `/api/v1/accounts/${id}/pairing`))
        .json
    const first = await waitFor(async () => {
      const pairing = await qr()
      expect(pairing.qr).toMatch(/^2@fake-qr-/)
      return pairing.qr
    })
    network.crash(id, 'exit')
    await waitFor(async () => {
      const pairing = await qr()
      expect(pairing.state).toBe('linking')
      expect(pairing.qr).toMatch(/^2@fake-qr-/)
      expect(pairing.qr).not.toBe(first)
    })
    expect(h.states).toContainEqual([
      id,
      'linking',
      'worker exited with code 3; restarted, with a new code',
    ])
    expect(h.states.filter(([of, state]) => of === id && state !== 'linking')).toEqual([])
    network.link(id, phone)
    await h.waitForState(id, 'connected')
  })

  it('ends the workers of accounts disconnected or logged out, and every worker on stop', async () => {
    const a = await h.linkedAccount('Paused')
    const b = await h.linkedAccount('Unlinked')
    await h.linkedAccount('Running')
    expect(await h.workersRunning()).toBe(3)

    const paused = await h.t.request<Account>('POST', `/api/v1/accounts/${a.account.id}/disconnect`)
    expect(paused.json.state).toBe('disconnected')
    expect(await h.workersRunning()).toBe(2)
    const unlinked = await h.t.request<Account>('POST', `/api/v1/accounts/${b.account.id}/logout`)
    expect(unlinked.json.state).toBe('logged_out')
    expect(await h.workersRunning()).toBe(1)

    // Connecting again resumes the link in a new worker.
    const resumed = await h.t.request<Account>('POST', `/api/v1/accounts/${a.account.id}/connect`)
    expect(resumed.status).toBe(200)
    await h.waitForState(a.account.id, 'connected')
    expect(network.sockets(a.account.id).at(-1)).toMatchObject({ linked: true })
    expect(await h.workersRunning()).toBe(2)

    await h.t.stop()
    expect(await h.workersRunning()).toBe(0)
  })
})
