// A real Linda for integration tests, driven through `inject()` (no sockets unless a test
// listens itself).
//
//   const t = await startTestLinda(dialect)
//   const res = await t.request('POST', `/api/v1/sandbox/${t.accountId}/inbound`, { from, text })
//   await waitFor(async () => expect((await t.request('GET', '/api/v1/messages')).json...))
//   await t.stop()
//
// Each call gets a fresh data dir (and, on postgres, a fresh database) unless `dataDir` /
// `databaseUrl` are given, which is how a test "restarts" Linda on the same data.
import type { FakeCloudApi } from '../fakes/cloud-api/index.js'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { inject, vi } from 'vitest'
import { createLinda, type BaileysOptions, type Linda } from '../../src/app.js'
import { fakeSockets } from '../fakes/baileys/index.js'
import { loadConfig } from '../../src/config.js'
import type { Account, AccountSettings } from '../../src/accounts/index.js'
import type { Message, MessageStatus } from '../../src/messages/index.js'
import { createLogger, type Logger } from '../../src/platform/logging.js'
import { freshDataDir, freshPostgresUrl, type TestDialect } from './databases.js'

/** A PATCH of an account's settings: only the keys given change. */
export type AccountSettingsChange = Partial<Omit<AccountSettings, 'sandbox'>> & {
  sandbox?: Partial<AccountSettings['sandbox']>
}

/**
 * Receipt delays of the sandbox account in tests. "delivered" waits a little longer than
 * the rest: Linda drops a receipt that arrives before the send's external id is stored, and
 * 50 ms keeps that race out of the way of tests that are not about it.
 */
export const fastReceipts = { deliveredAfterMs: 50, readAfterMs: 10 } as const

export interface StartOptions {
  /** Reuse this data dir (a restart); default a fresh one. */
  dataDir?: string
  /** postgres only: reuse this database (a restart); default a fresh one. */
  databaseUrl?: string
  /** The bootstrap owner key; default a random one. */
  apiKey?: string
  /** Call `linda.start()` (connect accounts, run workers); default true. */
  start?: boolean
  /** Sandbox account receipts after `fastReceipts` instead of 300/1200 ms; default true. */
  fastReceipts?: boolean
  /** Queue tuning passed to createLinda; default poll 20 ms, retry base 5 ms. */
  queue?: { pollIntervalMs?: number; retryBaseMs?: number }
  /** More environment for loadConfig (e.g. LINDA_BODY_LIMIT). */
  env?: Record<string, string>
  /** The logger Linda logs to; default a silent one. (See `captureLogs`.) */
  logger?: Logger
  /**
   * How WhatsApp Web sessions run; default in process on scripted fake sockets. (Sessions
   * in workers: see test/fakes/baileys/network.ts.)
   */
  baileys?: BaileysOptions
}

export interface TestResponse<T> {
  status: number
  /** The parsed body when it is JSON (application/json or application/problem+json). */
  json: T
  /** The raw body. */
  body: string
  headers: Record<string, string | string[] | number | undefined>
}

/** An RFC 9457 problem, as Linda sends it. */
export interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  code: string
  errors?: Array<{ path: string; message: string }>
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface TestLinda {
  linda: Linda
  dialect: TestDialect
  apiKey: string
  /** The "Sandbox" account made on first start. */
  accountId: string
  dataDir: string
  /** postgres only. */
  databaseUrl?: string
  /**
   * Calls the API through inject() with the owner key. An object body is sent as JSON, a
   * string body as is (with content-type application/json unless headers say otherwise).
   * Pass `authorization: ''` in headers to send no key.
   */
  request<T = unknown>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse<T>>
  /**
   * PATCHes an account's settings (default the sandbox account); only the keys given change.
   * The transport reconnects to apply them, which drops receipts it had not sent yet.
   */
  setAccountSettings(settings: AccountSettingsChange, accountId?: string): Promise<Account>
  /** Stops Linda (idempotent). */
  stop(): Promise<void>
}

/** The signature of `TestLinda.request`, for requests made as someone else. */
export type Requester = TestLinda['request']

/** Generous defaults for polling an eventual outcome; never a fixed sleep. */
export const waitOptions: { timeout: number; interval: number } = { timeout: 15_000, interval: 20 }

/** Retries `fn` until it stops throwing (e.g. an `expect`) or the timeout passes. */
export function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs: number = waitOptions.timeout,
): Promise<T> {
  return vi.waitFor(fn, { timeout: timeoutMs, interval: waitOptions.interval })
}

export function randomApiKey(): string {
  return `linda_test_${randomBytes(16).toString('hex')}`
}

/** A phone number nobody else in the test run uses: +1 555 01x xxxx. */
export function virtualPhone(): string {
  return `+155501${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}`
}

export async function startTestLinda(
  dialect: TestDialect,
  opts: StartOptions = {},
): Promise<TestLinda> {
  const dataDir = opts.dataDir ?? (await freshDataDir())
  const databaseUrl =
    dialect === 'postgres' ? (opts.databaseUrl ?? (await freshPostgresUrl())) : undefined
  const apiKey = opts.apiKey ?? randomApiKey()
  const config = loadConfig(
    { dataDir, port: 0 },
    {
      LINDA_BOOTSTRAP_API_KEY: apiKey,
      LINDA_LOG_LEVEL: 'silent',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...opts.env,
    },
  )
  const linda = await createLinda(config, {
    logger: opts.logger ?? createLogger('silent'),
    queue: { pollIntervalMs: 20, retryBaseMs: 5, ...opts.queue },
    // WhatsApp Web accounts get scripted fake sockets: tests never reach WhatsApp.
    baileys: opts.baileys ?? { isolation: 'inline', makeSocket: fakeSockets().makeSocket },
  })

  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await linda.stop()
  }

  try {
    const request: TestLinda['request'] = async (method, url, body, headers = {}) => {
      const allHeaders: Record<string, string> = { authorization: `Bearer ${apiKey}`, ...headers }
      if (allHeaders.authorization === '') delete allHeaders.authorization
      let payload: string | undefined
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body)
        if (!Object.keys(allHeaders).some((h) => h.toLowerCase() === 'content-type')) {
          allHeaders['content-type'] = 'application/json'
        }
      }
      const res = await linda.http.inject({ method, url, headers: allHeaders, payload })
      const type = String(res.headers['content-type'] ?? '')
      const json: unknown = /json/.test(type) && res.body !== '' ? JSON.parse(res.body) : undefined
      return {
        status: res.statusCode,
        json: json as never,
        body: res.body,
        headers: res.headers,
      }
    }

    const sandbox = (await linda.accounts.list({ limit: 100 })).find((a) => a.name === 'Sandbox')
    if (!sandbox) throw new Error('startTestLinda: no "Sandbox" account after bootstrap')

    const setAccountSettings: TestLinda['setAccountSettings'] = async (settings, id) => {
      const res = await request<Account>('PATCH', `/api/v1/accounts/${id ?? sandbox.id}`, {
        settings,
      })
      if (res.status !== 200) {
        throw new Error(`PATCH account settings: ${res.status} ${res.body}`)
      }
      return res.json
    }

    // Before start(): changing settings reconnects a running transport, which would drop the
    // receipts of messages sent meanwhile (e.g. the ones a restart sends at once).
    const current = sandbox.settings.sandbox
    if (
      opts.fastReceipts !== false &&
      (current.deliveredAfterMs !== fastReceipts.deliveredAfterMs ||
        current.readAfterMs !== fastReceipts.readAfterMs)
    ) {
      await setAccountSettings({ sandbox: fastReceipts })
    }
    if (opts.start !== false) await linda.start()

    return {
      linda,
      dialect,
      apiKey,
      accountId: sandbox.id,
      dataDir,
      databaseUrl,
      request,
      setAccountSettings,
      stop,
    }
  } catch (err) {
    await stop().catch(() => {})
    throw err
  }
}

/**
 * A debug-level logger that keeps every line it writes, to check what reaches the logs:
 * `startTestLinda(dialect, { logger: logs.logger })`, then `logs.text()`.
 */
export function captureLogs(): { logger: Logger; text(): string } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  return { logger: createLogger('debug', stream, 'json'), text: () => lines.join('') }
}

// ---- small conveniences over the API ----

/** A virtual contact writes `text` to the sandbox account; returns the stored message id. */
export async function contactWrites(
  t: TestLinda,
  from: string,
  text: string,
  id?: string,
): Promise<{ id: string; duplicate: boolean }> {
  const res = await t.request<{ id: string; duplicate: boolean }>(
    'POST',
    `/api/v1/sandbox/${t.accountId}/inbound`,
    { from, text, ...(id ? { id } : {}) },
  )
  if (res.status !== 202) throw new Error(`inbound: ${res.status} ${res.body}`)
  return res.json
}

/** Every message matching the query, following the cursor through all pages. */
export async function listAllMessages(
  t: TestLinda,
  query: Record<string, string> = {},
): Promise<Message[]> {
  const all: Message[] = []
  let cursor: string | null = null
  do {
    const params: URLSearchParams = new URLSearchParams({
      ...query,
      limit: '200',
      ...(cursor ? { cursor } : {}),
    })
    const res: TestResponse<Page<Message>> = await t.request<Page<Message>>(
      'GET',
      `/api/v1/messages?${params.toString()}`,
    )
    if (res.status !== 200) throw new Error(`list messages: ${res.status} ${res.body}`)
    all.push(...res.json.items)
    cursor = res.json.nextCursor
  } while (cursor)
  return all
}

export async function getMessage(t: TestLinda, id: string): Promise<Message> {
  const res = await t.request<Message>('GET', `/api/v1/messages/${id}`)
  if (res.status !== 200) throw new Error(`GET message ${id}: ${res.status} ${res.body}`)
  return res.json
}

/** Waits until the message has `status` (and returns it). */
export async function waitForStatus(
  t: TestLinda,
  id: string,
  status: MessageStatus,
  timeoutMs?: number,
): Promise<Message> {
  return waitFor(async () => {
    const message = await getMessage(t, id)
    if (message.status !== status) {
      throw new Error(`message ${id} is ${message.status}, waiting for ${status}`)
    }
    return message
  }, timeoutMs)
}

/** Waits until `phone` has received (outbound) messages satisfying `check`, and returns them. */
export async function waitForReplies(
  t: TestLinda,
  phone: string,
  check: (replies: Message[]) => boolean,
  timeoutMs?: number,
): Promise<Message[]> {
  return waitFor(async () => {
    const replies = await listAllMessages(t, { phone, direction: 'out' })
    if (!check(replies)) {
      throw new Error(`replies to ${phone}: ${JSON.stringify(replies.map((m) => m.text))}`)
    }
    return replies
  }, timeoutMs)
}

/** Waits until no job is pending or running: every inbound is processed, every reply sent. */
export async function waitForQueueIdle(t: TestLinda, timeoutMs?: number): Promise<void> {
  await waitFor(async () => {
    const counts = await t.linda.queue.counts()
    if (counts.pending > 0 || counts.active > 0) {
      throw new Error(`queue busy: ${JSON.stringify(counts)}`)
    }
  }, timeoutMs)
}

/** Row counts of every table: equal before and after means a request changed nothing. */
export async function tableCounts(t: TestLinda): Promise<Record<string, number>> {
  const tables = [
    'accounts',
    'contacts',
    'conversations',
    'messages',
    'jobs',
    'api_keys',
    'rules',
    'instance_settings',
    'users',
    'user_accounts',
    'sessions',
    'user_links',
  ] as const
  const counts: Record<string, number> = {}
  for (const table of tables) {
    const row = await t.linda.db.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    counts[table] = Number(row.n)
  }
  return counts
}

// ---- the command line ----

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

/**
 * Makes sure `bin/linda.js` has compiled src/ before a test spawns it. Concurrent builds are
 * safe (each renames its build into place), but test files take turns here (a lock dir in
 * the run's temp dir) so that only the first pays for compiling.
 */
export async function ensureCliBuilt(): Promise<void> {
  const root = (inject('testTmpRoot') as string | undefined) ?? tmpdir()
  const lock = join(root, 'linda-cli-build.lock')
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      await mkdir(lock)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  try {
    const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['bin/linda.js', '--version'], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code, output }))
    })
    if (result.code !== 0) {
      throw new Error(
        `node bin/linda.js --version failed (${String(result.code)}):\n${result.output}`,
      )
    }
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}

// ---- a Cloud API account against the fake Graph API ----

/**
 * Makes Linda listen on loopback, points the fake's webhooks at it, creates a Cloud account
 * with the fake's credentials and waits until it is connected. Returns the account and
 * Linda's base URL.
 */
export async function connectCloudAccount(
  t: TestLinda,
  meta: FakeCloudApi,
  name = 'Sales',
): Promise<{ account: Account; base: string }> {
  await t.linda.http.listen({ port: 0, host: '127.0.0.1' })
  const address = t.linda.http.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  meta.setWebhookUrl(`${base}/webhooks/cloud`)
  const res = await t.request<Account>('POST', '/api/v1/accounts', {
    name,
    transport: 'cloud',
    cloud: { ...meta.credentials, graphBaseUrl: meta.url, apiVersion: 'v21.0' },
  })
  if (res.status !== 201) throw new Error(`create cloud account: ${res.status} ${res.body}`)
  const account = res.json
  await waitFor(async () => {
    const got = await t.request<Account>('GET', `/api/v1/accounts/${account.id}`)
    if (got.json.state !== 'connected') throw new Error(`the cloud account is ${got.json.state}`)
  })
  return { account, base }
}

// ---- people, sessions and keys ----

/** A password that passes the strength rule. */
export const testPassword = 'correct horse battery staple'

/** A signed-in person: their user, the session cookie and CSRF token, and a requester. */
export interface TestSession {
  user: { id: string; email: string; role: string; name: string; accountIds: string[] }
  email: string
  password: string
  /** `linda_session=…`, to send as the Cookie header. */
  cookie: string
  csrfToken: string
  /** Calls the API with the session cookie (and the CSRF token on unsafe methods), no key. */
  request: Requester
}

/** The `name=value` of the session cookie in a response's set-cookie header. */
export function sessionCookieOf(headers: TestResponse<unknown>['headers']): string {
  const raw = headers['set-cookie']
  const all = Array.isArray(raw) ? raw : raw === undefined ? [] : [String(raw)]
  const found = all.find((c) => c.startsWith('linda_session=') && !c.startsWith('linda_session=;'))
  if (!found) throw new Error(`no session cookie in ${JSON.stringify(all)}`)
  return found.split(';')[0]!
}

/** A requester that signs in with a session cookie instead of the owner key. */
export function asSession(t: TestLinda, cookie: string, csrfToken: string): Requester {
  return (method, url, body, headers = {}) =>
    t.request(method, url, body, {
      authorization: '',
      cookie,
      ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken }),
      ...headers,
    })
}

/** A requester that uses this API key. */
export function asKey(t: TestLinda, key: string): Requester {
  return (method, url, body, headers = {}) =>
    t.request(method, url, body, { authorization: `Bearer ${key}`, ...headers })
}

/** The token of a one-time link's URL (`…/setup?token=…`). */
export function tokenOfLink(url: string): string {
  const token = new URL(url).searchParams.get('token')
  if (!token) throw new Error(`no token in ${url}`)
  return token
}

/** Uses a one-time link's token: sets the password (and the email and name) and signs in. */
export async function completeLink(
  t: TestLinda,
  token: string,
  input: { email?: string; name?: string; password?: string } = {},
): Promise<TestSession> {
  const password = input.password ?? testPassword
  const res = await t.request<{ user: TestSession['user']; csrfToken: string }>(
    'POST',
    '/api/v1/auth/setup',
    {
      token,
      password,
      ...(input.email ? { email: input.email } : {}),
      ...(input.name ? { name: input.name } : {}),
    },
    { authorization: '' },
  )
  if (res.status !== 200) throw new Error(`setup: ${res.status} ${res.body}`)
  const cookie = sessionCookieOf(res.headers)
  return {
    user: res.json.user,
    email: res.json.user.email,
    password,
    cookie,
    csrfToken: res.json.csrfToken,
    request: asSession(t, cookie, res.json.csrfToken),
  }
}

/** Creates the first owner through the setup link of the first start, signed in. */
export async function setUpOwner(
  t: TestLinda,
  email = `owner-${randomBytes(4).toString('hex')}@example.com`,
): Promise<TestSession> {
  const link = t.linda.ownerSetupLink
  if (!link) throw new Error('this Linda has an owner already (no setup link)')
  return completeLink(t, link.token, { email, name: 'Olivia Owner' })
}

/**
 * A signed-in person of `role`, invited by the owner key (with `accountIds` for agents and
 * viewers) and set up through their invite link.
 */
export async function signUp(
  t: TestLinda,
  role: 'owner' | 'admin' | 'agent' | 'viewer',
  opts: { accountIds?: string[]; name?: string; email?: string } = {},
): Promise<TestSession> {
  const email = opts.email ?? `${role}-${randomBytes(4).toString('hex')}@example.com`
  const res = await t.request<{ link: { url: string } }>('POST', '/api/v1/users', {
    email,
    name: opts.name ?? `Test ${role}`,
    role,
    ...(opts.accountIds ? { accountIds: opts.accountIds } : {}),
  })
  if (res.status !== 201) throw new Error(`invite ${role}: ${res.status} ${res.body}`)
  return completeLink(t, tokenOfLink(res.json.link.url))
}

/** An API key for the session's user, with these scopes (default all its role allows). */
export async function createKey(
  session: TestSession,
  body: { name?: string; scopes?: string[]; role?: string } = {},
): Promise<{ id: string; key: string; scopes: string[]; role: string; prefix: string }> {
  const res = await session.request<{
    id: string
    key: string
    scopes: string[]
    role: string
    prefix: string
  }>('POST', '/api/v1/api-keys', { name: body.name ?? 'test key', ...body })
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${res.body}`)
  return res.json
}

/** Signs a person in again with their email and password (a new session). */
export async function signIn(t: TestLinda, person: TestSession): Promise<TestSession> {
  const res = await t.request<{ csrfToken: string }>(
    'POST',
    '/api/v1/auth/login',
    { email: person.email, password: person.password },
    { authorization: '' },
  )
  if (res.status !== 200) throw new Error(`sign in: ${res.status} ${res.body}`)
  const cookie = sessionCookieOf(res.headers)
  return {
    ...person,
    cookie,
    csrfToken: res.json.csrfToken,
    request: asSession(t, cookie, res.json.csrfToken),
  }
}
