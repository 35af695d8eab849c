// What survives a stop or a crash: queued messages are sent after a restart, a send cut short
// by a crash is marked uncertain (or resent when the account says so), stop() lets a send in
// flight finish, one SQLite data dir has one Linda; and the live event stream over WebSocket.
import { spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Account } from '../../src/accounts/index.js'
import type { DomainEvent } from '../../src/platform/events/index.js'
import type { Message } from '../../src/messages/index.js'
import { openDb, type DbHandle } from '../../src/platform/db/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  ensureCliBuilt,
  fastReceipts,
  getMessage,
  listAllMessages,
  repoRoot,
  startTestLinda,
  virtualPhone,
  waitFor,
  waitForQueueIdle,
  waitForStatus,
  type TestLinda,
} from '../helpers/linda.js'

/** Lindas started by the running test, stopped after it whatever happens. */
const running: TestLinda[] = []
async function start(...args: Parameters<typeof startTestLinda>): Promise<TestLinda> {
  const t = await startTestLinda(...args)
  running.push(t)
  return t
}

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((t) => t.stop()))
})

/** Starts a new Linda on the data (dir and database) of a stopped one, with the same key. */
function restart(t: TestLinda): Promise<TestLinda> {
  return start(t.dialect, { dataDir: t.dataDir, databaseUrl: t.databaseUrl, apiKey: t.apiKey })
}

/** Opens the database of a stopped Linda directly, as an operator (or a crash) would leave it. */
async function withDb<T>(t: TestLinda, fn: (db: DbHandle['db']) => Promise<T>): Promise<T> {
  const { databaseUrl, sqlitePath } = t.linda.config
  const handle = await openDb({ databaseUrl, sqlitePath, poolSize: 1 })
  try {
    return await fn(handle.db)
  } finally {
    await handle.close()
  }
}

async function send(t: TestLinda, to: string, text: string, accountId = t.accountId) {
  const res = await t.request<{ id: string; status: string }>('POST', '/api/v1/messages', {
    accountId,
    to,
    type: 'text',
    text,
  })
  expect(res.status).toBe(202)
  return res.json.id
}

/**
 * Rewrites the db as a crash mid-send leaves it: the message `sending`, its job `active`
 * (with a lock that has run out, as another worker would see it after the lease).
 */
async function leaveSendInFlight(t: TestLinda, messageId: string): Promise<void> {
  await withDb(t, async (db) => {
    await db
      .updateTable('messages')
      .set({ status: 'sending' })
      .where('id', '=', messageId)
      .executeTakeFirstOrThrow()
    const jobs = await db
      .selectFrom('jobs')
      .select(['id', 'payload'])
      .where('queue', '=', 'message.send')
      .execute()
    const job = jobs.find((j) => JSON.stringify(j.payload).includes(messageId))
    expect(job, `the send job of ${messageId}`).toBeDefined()
    await db
      .updateTable('jobs')
      .set({
        state: 'active',
        attempts: 1,
        locked_until: new Date(Date.now() - 60_000).toISOString(),
      })
      .where('id', '=', job!.id)
      .executeTakeFirstOrThrow()
  })
}

describe.each(testDialects())('durability on %s', (dialect) => {
  it('marks a send cut short by a crash uncertain, or resends it when the account says so', async () => {
    // Not started: nothing sends, so the rows are exactly what we make them.
    const first = await start(dialect, { start: false })
    const resender = await first.request<Account>('POST', '/api/v1/accounts', {
      name: 'Resender',
      transport: 'sandbox',
      settings: { uncertainPolicy: 'resend', sandbox: fastReceipts },
    })
    expect(resender.status).toBe(201)
    const phone = virtualPhone()
    const marked = await send(first, phone, 'Your code is 1234')
    const resent = await send(first, phone, 'Your code is 5678', resender.json.id)
    await first.stop()
    await leaveSendInFlight(first, marked)
    await leaveSendInFlight(first, resent)

    const second = await restart(first)

    const uncertain = await waitForStatus(second, marked, 'uncertain')
    expect(uncertain.error).toMatchObject({ code: 'SEND_INTERRUPTED' })
    expect(uncertain.externalId).toBeNull()
    expect(uncertain.sentAt).toBeNull()

    const read = await waitForStatus(second, resent, 'read')
    expect(read.externalId).toEqual(expect.any(String))

    await waitForQueueIdle(second)
    // Marked uncertain means left alone: not sent behind the operator's back.
    expect(await getMessage(second, marked)).toMatchObject({
      status: 'uncertain',
      externalId: null,
    })
  })

  it('sends the messages that were queued when Linda stopped', async () => {
    const first = await start(dialect, { start: false })
    const phone = virtualPhone()
    const ids = [
      await send(first, phone, 'one'),
      await send(first, phone, 'two'),
      await send(first, phone, 'three'),
    ]
    for (const id of ids) expect((await getMessage(first, id)).status).toBe('queued')
    await first.stop()

    const second = await restart(first)
    for (const id of ids) {
      const read = await waitForStatus(second, id, 'read')
      expect(read.externalId).toEqual(expect.any(String))
    }
    await waitForQueueIdle(second)
    const stored = await listAllMessages(second, { phone })
    expect(stored.map((m) => m.text)).toEqual(['three', 'two', 'one'])
  })

  it('reconnects the accounts that were connected, and not one disconnected on purpose', async () => {
    const first = await start(dialect)
    const paused = await first.request<Account>('POST', '/api/v1/accounts', {
      name: 'Paused',
      transport: 'sandbox',
    })
    expect(paused.status).toBe(201)
    const off = await first.request<Account>(
      'POST',
      `/api/v1/accounts/${paused.json.id}/disconnect`,
    )
    expect(off.json.state).toBe('disconnected')
    await first.stop()

    const second = await restart(first)
    const states = Object.fromEntries(
      second.linda.accounts.states().map((a) => [a.name, a.state] as const),
    )
    expect(states).toEqual({ Sandbox: 'connected' })
    const stored = await second.request<Account>('GET', `/api/v1/accounts/${paused.json.id}`)
    expect(stored.json.state).toBe('disconnected')
  })

  it('lets a send in flight finish when stop() is called', async () => {
    const t = await start(dialect)
    await t.setAccountSettings({ sandbox: { sendLatencyMs: 200 } })
    const sending = new Promise<string>((resolve) => {
      const off = t.linda.events.subscribe('message.status', (e) => {
        if (e.data.status === 'sending') {
          off()
          resolve(e.data.id)
        }
      })
    })
    const id = await send(t, virtualPhone(), 'Shutting down soon')
    expect(await sending).toBe(id)
    await t.stop()

    const row = await withDb(t, (db) =>
      db
        .selectFrom('messages')
        .select(['status', 'external_id'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow(),
    )
    expect(row.status).toBe('sent')
    expect(row.external_id).toEqual(expect.any(String))
    // Its job finished too: nothing is left to run (or to run twice) on the next start.
    const left = await withDb(t, (db) =>
      db
        .selectFrom('jobs')
        .select('state')
        .where('queue', '=', 'message.send')
        .where('state', 'in', ['pending', 'active'])
        .execute(),
    )
    expect(left).toEqual([])
  })
})

describe('one Linda per SQLite data dir', () => {
  it('refuses a second Linda on a data dir while the first runs', async () => {
    await ensureCliBuilt()
    const t = await start('sqlite')
    // Another process: the lock is by pid, and this process is the one holding it.
    const child = spawn(
      process.execPath,
      ['bin/linda.js', 'start', '--data-dir', t.dataDir, '--port', '0'],
      {
        cwd: repoRoot,
        env: { ...process.env, LINDA_LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      child.on('close', (c) => {
        clearTimeout(timer)
        resolve(c)
      })
    })
    expect(code, output).toBe(1)
    expect(output).toContain(`Another Linda (pid ${process.pid}) is running on ${t.dataDir}`)

    // The first one is unharmed.
    const health = await t.request('GET', '/readyz')
    expect(health.status).toBe(200)
  })
})

describe.each(testDialects())('the event stream on %s', (dialect) => {
  it('pushes message.received and message.status frames to a client with a key', async () => {
    const t = await start(dialect)
    await t.linda.http.listen({ port: 0, host: '127.0.0.1' })
    const address = t.linda.http.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const url = `ws://127.0.0.1:${port}/api/v1/events`

    const frames: DomainEvent[] = []
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${t.apiKey}` } })
    socket.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString('utf8'))))
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve())
        socket.once('error', reject)
      })

      const phone = virtualPhone()
      const inbound = await t.request<{ id: string }>(
        'POST',
        `/api/v1/sandbox/${t.accountId}/inbound`,
        { from: phone, text: 'hi' },
      )
      expect(inbound.status).toBe(202)

      await waitFor(() => {
        const received = frames.find(
          (f) => f.type === 'message.received' && (f.data as Message).id === inbound.json.id,
        )
        expect(received?.data).toMatchObject({ text: 'hi', phone, direction: 'in' })
        expect(received?.at).toEqual(expect.any(String))
        const statuses = frames
          .filter((f) => f.type === 'message.status' && (f.data as Message).phone === phone)
          .map((f) => (f.data as Message).status)
        expect(statuses).toContain('sent')
        expect(statuses.at(-1)).toBe('read')
      })
    } finally {
      socket.close()
    }

    // A browser cannot set headers: it offers the key as a subprotocol.
    const browser = new WebSocket(url, ['linda.v1', `bearer.${t.apiKey}`])
    try {
      await new Promise<void>((resolve, reject) => {
        browser.once('open', () => resolve())
        browser.once('error', reject)
      })
      expect(browser.protocol).toBe('linda.v1')
    } finally {
      browser.close()
    }
  })

  it('refuses a connection with a wrong key or none', async () => {
    const t = await start(dialect)
    await t.linda.http.listen({ port: 0, host: '127.0.0.1' })
    const address = t.linda.http.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const url = `ws://127.0.0.1:${port}/api/v1/events`

    for (const headers of [{ authorization: 'Bearer linda_wrong_key_000000000000000' }, {}]) {
      const socket = new WebSocket(url, { headers })
      const status = await new Promise<number>((resolve, reject) => {
        socket.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0)
          res.resume()
        })
        socket.once('open', () => reject(new Error('the connection was accepted')))
        socket.once('error', reject)
      })
      socket.terminate()
      expect(status).toBe(401)
    }
    // A refused client holds nothing open: Linda still stops.
    await t.stop()
  })
})
