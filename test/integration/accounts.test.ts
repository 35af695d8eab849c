// The account lifecycle through the API: states and their events, settings, credentials kept
// encrypted and never shown, logout and pairing, soft delete and purge, and `linda rotate-key`
// — on SQLite and PostgreSQL.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Account } from '../../src/accounts/index.js'
import { CredentialsKeyError, reencryptCredentials } from '../../src/accounts/index.js'
import { rotateKey } from '../../src/cli/rotate-key.js'
import { loadConfig } from '../../src/config.js'
import { decryptSecret, encryptSecret } from '../../src/platform/crypto.js'
import { openDb } from '../../src/platform/db/index.js'
import { freshDataDir, testDialects, type TestDialect } from '../helpers/databases.js'
import {
  captureLogs,
  ensureCliBuilt,
  fastReceipts,
  listAllMessages,
  randomApiKey,
  repoRoot,
  startTestLinda,
  virtualPhone,
  waitFor,
  waitForQueueIdle,
  waitForReplies,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

const unknownId = '01a2b3c4-0000-7000-8000-000000000000'

/** Secrets that must never leave Linda: not in a response, not in a log line. */
const secrets = {
  accessToken: 'EAAG-access-token-that-must-stay-secret',
  appSecret: 'app-secret-that-must-stay-secret',
  verifyToken: 'verify-token-that-must-stay-secret',
}

let phoneNumberIds = 0
/** A Cloud API account body with a phone number id no other test uses. */
function cloudAccount(name = 'Sales', extra: Record<string, unknown> = {}) {
  phoneNumberIds++
  return {
    name,
    transport: 'cloud',
    cloud: {
      phoneNumberId: `10${Date.now()}${phoneNumberIds}`,
      wabaId: '987654321',
      ...secrets,
      graphBaseUrl: 'http://127.0.0.1:9/',
      ...extra,
    },
  }
}

function expectNoSecret(text: string): void {
  for (const secret of Object.values(secrets)) expect(text).not.toContain(secret)
}

function pathsOf(p: Problem): string[] {
  return (p.errors ?? []).map((e) => e.path)
}

/** Records every published account state; `of(id)` lists one account's, in order. */
function watchStates(t: TestLinda): { of(accountId: string): string[] } {
  const seen: Array<{ id: string; state: string }> = []
  t.linda.events.subscribe('account.state', (e) => {
    seen.push({ id: e.data.id, state: e.data.state })
  })
  return { of: (accountId) => seen.filter((e) => e.id === accountId).map((e) => e.state) }
}

describe.each(testDialects())('accounts on %s', (dialect) => {
  let t: TestLinda
  const logs = captureLogs()

  beforeAll(async () => {
    t = await startTestLinda(dialect, { logger: logs.logger })
  })

  afterAll(async () => {
    await t?.stop()
  })

  const create = async (body: unknown) => {
    const res = await t.request<Account>('POST', '/api/v1/accounts', body)
    if (res.status !== 201) throw new Error(`create account: ${res.status} ${res.body}`)
    return res.json
  }

  it('creates a sandbox account with its settings and connects it at once', async () => {
    const states = watchStates(t)
    const res = await t.request<Account>('POST', '/api/v1/accounts', {
      name: 'Support',
      transport: 'sandbox',
      settings: {
        displayName: 'Support team',
        defaultCountry: 'ae',
        timezone: 'asia/dubai',
        adminNumbers: ['+971 50 123 4567', '+971501234567'],
      },
    })
    expect(res.status).toBe(201)
    const id = res.json.id
    expect(res.json).toMatchObject({
      name: 'Support',
      transport: 'sandbox',
      state: 'connected',
      stateReason: null,
      settings: {
        displayName: 'Support team',
        defaultCountry: 'AE',
        timezone: 'Asia/Dubai',
        adminNumbers: ['+971501234567'],
        uncertainPolicy: 'mark',
      },
    })
    expect(res.json).not.toHaveProperty('cloud')
    expect(res.json).not.toHaveProperty('baileys')
    // created → connected, published as it happened (the creation itself is no state change).
    await waitFor(() => expect(states.of(id)).toEqual(['connected']))
    const pairing = await t.request('GET', `/api/v1/accounts/${id}/pairing`)
    expect(pairing.status).toBe(200)
    expect(pairing.json).toEqual({ state: 'connected' })
  })

  it('walks the lifecycle: disconnect, connect, logout, and a new link', async () => {
    const account = await create({ name: 'Lifecycle', transport: 'sandbox' })
    const states = watchStates(t)
    const post = async (action: string) => {
      const res = await t.request<Account>('POST', `/api/v1/accounts/${account.id}/${action}`)
      expect(res.status, res.body).toBe(200)
      return res.json.state
    }
    const stored = async () =>
      (await t.request<Account>('GET', `/api/v1/accounts/${account.id}`)).json

    expect(await post('disconnect')).toBe('disconnected')
    expect(await post('disconnect')).toBe('disconnected')
    expect(await post('connect')).toBe('connected')
    expect(await post('connect')).toBe('connected')
    expect(await post('logout')).toBe('logged_out')
    expect((await stored()).state).toBe('logged_out')
    expect((await t.request('GET', `/api/v1/accounts/${account.id}/pairing`)).json).toEqual({
      state: 'logged_out',
    })
    // A logged-out account has no link to keep: disconnecting leaves it logged out, and a
    // virtual contact cannot reach it.
    expect(await post('disconnect')).toBe('logged_out')
    const inbound = await t.request<Problem>('POST', `/api/v1/sandbox/${account.id}/inbound`, {
      from: virtualPhone(),
      text: 'hi',
    })
    expect(inbound.status).toBe(409)
    expect(inbound.json.code).toBe('ACCOUNT_NOT_CONNECTED')
    expect(await post('logout')).toBe('logged_out')
    // The sandbox has no pairing: connecting links it again at once.
    expect(await post('connect')).toBe('connected')
    expect((await stored()).state).toBe('connected')

    await waitFor(() =>
      expect(states.of(account.id)).toEqual([
        'disconnected',
        'connected',
        'logged_out',
        'connected',
      ]),
    )
    expect(t.linda.accounts.states()).toContainEqual({
      id: account.id,
      name: 'Lifecycle',
      state: 'connected',
    })
  })

  it('lets only admins log an account out or see how to link it', async () => {
    const account = await create({ name: 'Roles', transport: 'sandbox' })
    for (const [role, allowed] of [
      ['viewer', false],
      ['agent', false],
      ['admin', true],
    ] as const) {
      const key = await t.request<{ key: string }>('POST', '/api/v1/api-keys', {
        name: role,
        role,
      })
      expect(key.status).toBe(201)
      const auth = { authorization: `Bearer ${key.json.key}` }
      for (const [method, path] of [
        ['GET', '/pairing'],
        ['POST', '/logout'],
        ['POST', '/connect'],
        ['DELETE', '?purge=true'],
      ] as const) {
        const res = await t.request<Problem>(
          method,
          `/api/v1/accounts/${account.id}${path}`,
          undefined,
          auth,
        )
        if (allowed) expect(res.status, `${role} ${method} ${path}`).toBeLessThan(400)
        else expect(res.status, `${role} ${method} ${path}`).toBe(403)
      }
    }
  })

  it('answers 404 on every route for an account that does not exist', async () => {
    const routes = [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['DELETE', '?purge=true'],
      ['POST', '/connect'],
      ['POST', '/disconnect'],
      ['POST', '/logout'],
      ['GET', '/pairing'],
    ] as const
    for (const [method, suffix] of routes) {
      const res = await t.request<Problem>(
        method,
        `/api/v1/accounts/${unknownId}${suffix}`,
        method === 'PATCH' ? { name: 'x' } : undefined,
      )
      expect({ route: `${method} ${suffix}`, status: res.status, code: res.json.code }).toEqual({
        route: `${method} ${suffix}`,
        status: 404,
        code: 'ACCOUNT_NOT_FOUND',
      })
    }
  })

  it('changes settings one field at a time', async () => {
    const account = await create({
      name: 'Settings',
      transport: 'sandbox',
      settings: { displayName: 'Front desk', timezone: 'Europe/Paris', sandbox: fastReceipts },
    })
    const patch = async (settings: Record<string, unknown>) => {
      const res = await t.request<Account>('PATCH', `/api/v1/accounts/${account.id}`, {
        settings,
      })
      expect(res.status, res.body).toBe(200)
      return res.json.settings
    }

    expect(await patch({ timezone: 'America/New_York' })).toMatchObject({
      displayName: 'Front desk',
      timezone: 'America/New_York',
      sandbox: fastReceipts,
    })
    expect(await patch({ adminNumbers: ['+1 555 000 1111'] })).toMatchObject({
      timezone: 'America/New_York',
      adminNumbers: ['+15550001111'],
    })
    expect(await patch({ displayName: null, defaultCountry: 'GB' })).toMatchObject({
      displayName: null,
      defaultCountry: 'GB',
      adminNumbers: ['+15550001111'],
    })
    expect(await patch({ sandbox: { failureRate: 0.25 } })).toMatchObject({
      sandbox: { ...fastReceipts, failureRate: 0.25 },
      timezone: 'America/New_York',
    })
    const stored = await t.request<Account>('GET', `/api/v1/accounts/${account.id}`)
    expect(stored.json.settings).toMatchObject({ defaultCountry: 'GB', displayName: null })
    expect(stored.json.state).toBe('connected')
  })

  it('refuses bad settings, naming each field, and changes nothing', async () => {
    const account = await create({ name: 'Strict', transport: 'sandbox' })
    const before = await t.request<Account>('GET', `/api/v1/accounts/${account.id}`)

    const res = await t.request<Problem>('PATCH', `/api/v1/accounts/${account.id}`, {
      settings: {
        timezone: 'Mars/Olympus_Mons',
        defaultCountry: 'XX',
        adminNumbers: ['+15550001111', '0501234567'],
        displayName: '',
      },
    })
    expect(res.status).toBe(400)
    expect(res.json.code).toBe('VALIDATION_FAILED')
    expect(pathsOf(res.json).sort()).toEqual([
      'body.settings.adminNumbers.1',
      'body.settings.defaultCountry',
      'body.settings.displayName',
      'body.settings.timezone',
    ])
    expect(res.json.errors).toContainEqual({
      path: 'body.settings.timezone',
      message: 'must be an IANA time zone name, e.g. Asia/Dubai',
    })

    const misspelt = await t.request<Problem>('PATCH', `/api/v1/accounts/${account.id}`, {
      settings: { timeZone: 'UTC' },
    })
    expect(misspelt.status).toBe(400)
    expect(misspelt.json.errors).toEqual([
      { path: 'body.settings', message: 'Unrecognized key: "timeZone"' },
    ])

    const count = (await t.linda.accounts.list({ limit: 200 })).length
    const created = await t.request<Problem>('POST', '/api/v1/accounts', {
      name: 'Never',
      transport: 'sandbox',
      settings: { sendRatePerSecond: -1, timezone: '+04:00' },
    })
    expect(created.status).toBe(400)
    expect(pathsOf(created.json).sort()).toEqual([
      'body.settings.sendRatePerSecond',
      'body.settings.timezone',
    ])
    expect((await t.linda.accounts.list({ limit: 200 })).length).toBe(count)
    expect((await t.request('GET', `/api/v1/accounts/${account.id}`)).json).toEqual(before.json)
  })

  it('keeps cloud credentials encrypted and never shows them; with Meta unreachable the account reconnects', async () => {
    const states = watchStates(t)
    const res = await t.request<Account>('POST', '/api/v1/accounts', cloudAccount())
    expect(res.status, res.body).toBe(201)
    const account = res.json
    expect(account).toMatchObject({
      transport: 'cloud',
      cloud: {
        phoneNumberId: expect.stringMatching(/^\d+$/),
        wabaId: '987654321',
        graphBaseUrl: 'http://127.0.0.1:9',
        apiVersion: 'v21.0',
        hasAccessToken: true,
        hasAppSecret: true,
        hasVerifyToken: true,
      },
    })
    expect(Object.keys(account.cloud ?? {}).sort()).toEqual([
      'apiVersion',
      'graphBaseUrl',
      'hasAccessToken',
      'hasAppSecret',
      'hasVerifyToken',
      'phoneNumberId',
      'wabaId',
    ])
    // Nothing answers on 127.0.0.1:9: the Graph API check fails and is retried with backoff.
    await waitFor(() => expect(states.of(account.id)).toContain('reconnecting'))

    // Connecting again is the same outcome, not a crash: 200 and the reason.
    const connect = await t.request<Account>('POST', `/api/v1/accounts/${account.id}/connect`)
    expect(connect.status).toBe(200)
    expect(connect.json.state).toBe('reconnecting')
    expect(connect.json.stateReason).toBeTruthy()

    // No answer about the account carries a secret.
    const answers = [
      res.body,
      connect.body,
      (await t.request('GET', `/api/v1/accounts/${account.id}`)).body,
      (await t.request('GET', '/api/v1/accounts?limit=200')).body,
      (await t.request('PATCH', `/api/v1/accounts/${account.id}`, { name: 'Sales 2' })).body,
      (await t.request('GET', `/api/v1/accounts/${account.id}/pairing`)).body,
      (await t.request('POST', `/api/v1/accounts/${account.id}/disconnect`)).body,
      (await t.request('GET', '/api/v1/openapi.json')).body,
    ]
    for (const body of answers) expectNoSecret(body)
    const bad = await t.request<Problem>(
      'POST',
      '/api/v1/accounts',
      cloudAccount('Bad', {
        apiVersion: 'latest',
      }),
    )
    expect(bad.status).toBe(400)
    expect(pathsOf(bad.json)).toEqual(['body.cloud.apiVersion'])
    expectNoSecret(bad.body)

    // At rest: sealed, and the public part alone in the clear.
    const row = await t.linda.db.db
      .selectFrom('accounts')
      .select(['credentials', 'transport_config', 'external_id'])
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow()
    expect(row.credentials).toMatch(/^v1\./)
    expectNoSecret(JSON.stringify(row))
    expect(row.external_id).toBe(account.cloud?.phoneNumberId)

    // The transport factories get them whole.
    expect(await t.linda.accounts.credentialsOf(account.id)).toEqual({
      transport: 'cloud',
      cloud: {
        phoneNumberId: account.cloud?.phoneNumberId,
        wabaId: '987654321',
        ...secrets,
        graphBaseUrl: 'http://127.0.0.1:9',
        apiVersion: 'v21.0',
      },
    })

    // The log has the account's story, and none of its secrets.
    const logged = logs.text()
    expect(logged).toContain(account.id)
    expect(logged).toContain('reconnecting')
    expectNoSecret(logged)
  })

  it('refuses a second account with the same phone number id until the first is deleted', async () => {
    const body = cloudAccount('First')
    const first = await create(body)
    const count = (await t.linda.accounts.list({ limit: 200 })).length

    const again = await t.request<Problem>('POST', '/api/v1/accounts', { ...body, name: 'Second' })
    expect(again.status).toBe(409)
    expect(again.json).toMatchObject({
      code: 'ACCOUNT_PHONE_NUMBER_ID_TAKEN',
      errors: [{ path: 'body.cloud.phoneNumberId', message: 'is used by another account' }],
    })
    expect(again.json.detail).toContain(body.cloud.phoneNumberId)
    expectNoSecret(again.body)
    expect((await t.linda.accounts.list({ limit: 200 })).length).toBe(count)

    // Moving another account onto the number is refused the same way.
    const other = await create(cloudAccount('Other'))
    const moved = await t.request<Problem>('PATCH', `/api/v1/accounts/${other.id}`, {
      cloud: { phoneNumberId: body.cloud.phoneNumberId },
    })
    expect(moved.status).toBe(409)
    expect(moved.json.code).toBe('ACCOUNT_PHONE_NUMBER_ID_TAKEN')

    expect((await t.request('DELETE', `/api/v1/accounts/${first.id}`)).status).toBe(204)
    const reused = await t.request<Account>('POST', '/api/v1/accounts', { ...body, name: 'Second' })
    expect(reused.status).toBe(201)
    expect(reused.json.cloud?.phoneNumberId).toBe(body.cloud.phoneNumberId)
  })

  it('replaces cloud credentials one at a time, for cloud accounts only', async () => {
    const account = await create(cloudAccount('Renewed'))
    const res = await t.request<Account>('PATCH', `/api/v1/accounts/${account.id}`, {
      cloud: { accessToken: 'renewed-token-that-must-stay-secret', wabaId: null },
    })
    expect(res.status, res.body).toBe(200)
    expect(res.body).not.toContain('renewed-token-that-must-stay-secret')
    expect(res.json.cloud).toMatchObject({ wabaId: null, hasAccessToken: true })
    const credentials = await t.linda.accounts.credentialsOf(account.id)
    expect(credentials).toEqual({
      transport: 'cloud',
      cloud: {
        phoneNumberId: account.cloud?.phoneNumberId,
        accessToken: 'renewed-token-that-must-stay-secret',
        appSecret: secrets.appSecret,
        verifyToken: secrets.verifyToken,
        graphBaseUrl: 'http://127.0.0.1:9',
        apiVersion: 'v21.0',
      },
    })

    const sandbox = await t.request<Problem>('PATCH', `/api/v1/accounts/${t.accountId}`, {
      cloud: { accessToken: 'x' },
    })
    expect(sandbox.status).toBe(400)
    expect(pathsOf(sandbox.json)).toEqual(['body.cloud'])
  })

  it('stores a WhatsApp Web account by its phone number, one account per number', async () => {
    const phone = virtualPhone()
    const res = await t.request<Account>('POST', '/api/v1/accounts', {
      name: 'Branch 2',
      transport: 'baileys',
      baileys: { phone: phone.replace(/^(\+1)(\d{3})/, '$1 ($2) ') },
    })
    expect(res.status, res.body).toBe(201)
    expect(res.json).toMatchObject({
      transport: 'baileys',
      baileys: { phone },
      // Linking starts at once (with a fake socket here: see test/helpers/linda.ts).
      state: 'linking',
    })
    const again = await t.request<Problem>('POST', '/api/v1/accounts', {
      name: 'Branch 2 again',
      transport: 'baileys',
      baileys: { phone },
    })
    expect(again.status).toBe(409)
    expect(again.json).toMatchObject({
      code: 'ACCOUNT_PHONE_TAKEN',
      errors: [{ path: 'body.baileys.phone', message: 'is used by another account' }],
    })
  })

  it('keeps the history of a deleted account, and purges it when asked', async () => {
    const kept = await create({
      name: 'Kept',
      transport: 'sandbox',
      settings: { sandbox: fastReceipts },
    })
    const purged = await create({
      name: 'Purged',
      transport: 'sandbox',
      settings: { sandbox: fastReceipts },
    })
    const rule = await t.request<{ id: string }>('POST', '/api/v1/rules', {
      name: 'Only for the purged account',
      accountId: purged.id,
      match: { type: 'exact', value: 'menu' },
      actions: [{ type: 'reply', text: 'Our menu' }],
    })
    expect(rule.status, rule.body).toBe(201)
    const phone = virtualPhone()
    for (const account of [kept, purged]) {
      const res = await t.request('POST', `/api/v1/sandbox/${account.id}/inbound`, {
        from: phone,
        text: 'hi',
      })
      expect(res.status).toBe(202)
    }
    await waitForReplies(t, phone, (replies) => replies.length === 2)
    await waitForQueueIdle(t)
    const messagesOf = (accountId: string) => listAllMessages(t, { accountId })
    expect(await messagesOf(kept.id)).toHaveLength(2)
    expect(await messagesOf(purged.id)).toHaveLength(2)

    // Without purge: gone from the API, its conversation kept.
    expect((await t.request('DELETE', `/api/v1/accounts/${kept.id}`)).status).toBe(204)
    expect((await t.request('GET', `/api/v1/accounts/${kept.id}`)).status).toBe(404)
    expect(await messagesOf(kept.id)).toHaveLength(2)

    // With purge: its messages, conversations and rules go; the contact stays.
    const refused = await t.request<Problem>('DELETE', `/api/v1/accounts/${purged.id}?purge=maybe`)
    expect(refused.status).toBe(400)
    expect(pathsOf(refused.json)).toEqual(['query.purge'])
    expect((await t.request('DELETE', `/api/v1/accounts/${purged.id}?purge=true`)).status).toBe(204)
    expect(await messagesOf(purged.id)).toEqual([])
    const db = t.linda.db.db
    const left = async (accountId: string) => ({
      accounts: (await db.selectFrom('accounts').select('id').where('id', '=', accountId).execute())
        .length,
      conversations: (
        await db
          .selectFrom('conversations')
          .select('id')
          .where('account_id', '=', accountId)
          .execute()
      ).length,
      rules: (
        await db.selectFrom('rules').select('id').where('account_id', '=', accountId).execute()
      ).length,
    })
    expect(await left(purged.id)).toEqual({ accounts: 0, conversations: 0, rules: 0 })
    expect(await left(kept.id)).toEqual({ accounts: 1, conversations: 1, rules: 0 })
    const contact = await db
      .selectFrom('contacts')
      .select('id')
      .where('phone', '=', phone)
      .execute()
    expect(contact).toHaveLength(1)

    // An account deleted earlier can still have its history purged.
    expect((await t.request('DELETE', `/api/v1/accounts/${kept.id}?purge=true`)).status).toBe(204)
    expect(await messagesOf(kept.id)).toEqual([])
    expect(await left(kept.id)).toEqual({ accounts: 0, conversations: 0, rules: 0 })
    expect((await t.request('DELETE', `/api/v1/accounts/${kept.id}?purge=true`)).status).toBe(404)
  })
})

// ---- linda rotate-key ----

function collect(): { write(text: string): void; text: string } {
  return {
    text: '',
    write(text: string) {
      this.text += text
    },
  }
}

/** Starts Linda on fresh data, creates cloud accounts, stops it; returns what a restart needs. */
async function lindaWithCredentials(
  dialect: TestDialect,
  env: Record<string, string> = {},
): Promise<{ dataDir: string; databaseUrl?: string; apiKey: string; ids: string[] }> {
  const apiKey = randomApiKey()
  const t = await startTestLinda(dialect, { apiKey, env })
  try {
    const ids: string[] = []
    for (const name of ['Rotated', 'Deleted']) {
      const res = await t.request<Account>('POST', '/api/v1/accounts', cloudAccount(name))
      expect(res.status, res.body).toBe(201)
      ids.push(res.json.id)
    }
    // A deleted account's credentials are re-encrypted too (a purge can still need them).
    expect((await t.request('DELETE', `/api/v1/accounts/${ids[1]}`)).status).toBe(204)
    return { dataDir: t.dataDir, databaseUrl: t.databaseUrl, apiKey, ids }
  } finally {
    await t.stop()
  }
}

function configOf(
  data: { dataDir: string; databaseUrl?: string },
  env: Record<string, string> = {},
) {
  return loadConfig(
    { dataDir: data.dataDir },
    {
      LINDA_LOG_LEVEL: 'silent',
      ...(data.databaseUrl ? { DATABASE_URL: data.databaseUrl } : {}),
      ...env,
    },
  )
}

async function sealedCredentials(data: {
  dataDir: string
  databaseUrl?: string
}): Promise<string[]> {
  const config = configOf(data)
  const handle = await openDb({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath })
  try {
    const rows = await handle.db
      .selectFrom('accounts')
      .select('credentials')
      .where('credentials', 'is not', null)
      .orderBy('id')
      .execute()
    return rows.map((r) => r.credentials!)
  } finally {
    await handle.close()
  }
}

const keyHex = (dataDir: string) => readFileSync(join(dataDir, 'secret.key'), 'utf8').trim()

describe.each(testDialects())('linda rotate-key on %s', (dialect) => {
  it('re-encrypts every credential under a new key kept in the data dir; the old key no longer opens them', async () => {
    const data = await lindaWithCredentials(dialect)
    const oldKey = Buffer.from(keyHex(data.dataDir), 'hex')
    const out = collect()
    // A linked WhatsApp Web session, sealed with the same key, must survive the rotation.
    const session = await openDb({
      databaseUrl: configOf(data).databaseUrl,
      sqlitePath: configOf(data).sqlitePath,
    })
    await session.db
      .insertInto('baileys_auth')
      .values({
        account_id: data.ids[0]!,
        key: 'creds',
        value: encryptSecret(oldKey, 'the session'),
        updated_at: new Date().toISOString(),
      })
      .execute()
    await session.close()

    const result = await rotateKey(configOf(data), { out })

    expect(result.reencrypted).toBe(2)
    expect(keyHex(data.dataDir)).toBe(result.newKey.toString('hex'))
    expect(statSync(join(data.dataDir, 'secret.key')).mode & 0o777).toBe(0o600)
    expect(existsSync(join(data.dataDir, 'secret.key.new'))).toBe(false)
    expect(out.text).toContain('Re-encrypted the credentials of 2 account(s)')
    expect(out.text).not.toContain(result.newKey.toString('hex'))
    for (const sealed of await sealedCredentials(data)) {
      expect(() => decryptSecret(oldKey, sealed)).toThrow()
      expect(JSON.parse(decryptSecret(result.newKey, sealed))).toEqual(secrets)
    }
    const reopened = await openDb({
      databaseUrl: configOf(data).databaseUrl,
      sqlitePath: configOf(data).sqlitePath,
    })
    const auth = await reopened.db
      .selectFrom('baileys_auth')
      .select('value')
      .executeTakeFirstOrThrow()
    await reopened.close()
    expect(decryptSecret(result.newKey, auth.value)).toBe('the session')

    // Linda starts on the new key and reads the credentials as they were.
    const t = await startTestLinda(dialect, { ...data, start: false })
    try {
      expect(await t.linda.accounts.credentialsOf(data.ids[0]!)).toMatchObject({
        transport: 'cloud',
        cloud: secrets,
      })
    } finally {
      await t.stop()
    }
  })

  it('prints the new key when the key comes from LINDA_SECRET_KEY', async () => {
    const oldHex = 'ab'.repeat(32)
    const newHex = 'cd'.repeat(32)
    const data = await lindaWithCredentials(dialect, { LINDA_SECRET_KEY: oldHex })
    const out = collect()

    const result = await rotateKey(configOf(data, { LINDA_SECRET_KEY: oldHex }), {
      newKey: newHex,
      out,
    })

    expect(result.reencrypted).toBe(2)
    expect(result.keyFile).toBeUndefined()
    expect(out.text).toContain(newHex)
    expect(out.text).toContain('Set LINDA_SECRET_KEY to the new key')
    expect(existsSync(join(data.dataDir, 'secret.key'))).toBe(false)

    const withNew = await startTestLinda(dialect, {
      ...data,
      start: false,
      env: { LINDA_SECRET_KEY: newHex },
    })
    try {
      expect(await withNew.linda.accounts.credentialsOf(data.ids[0]!)).toMatchObject({
        cloud: secrets,
      })
    } finally {
      await withNew.stop()
    }
    const withOld = await startTestLinda(dialect, {
      ...data,
      start: false,
      env: { LINDA_SECRET_KEY: oldHex },
    })
    try {
      await expect(withOld.linda.accounts.credentialsOf(data.ids[0]!)).rejects.toBeInstanceOf(
        CredentialsKeyError,
      )
    } finally {
      await withOld.stop()
    }
  })
})

describe('linda rotate-key on sqlite', () => {
  it('refuses a malformed --new-key', async () => {
    await expect(
      rotateKey(configOf({ dataDir: await freshDataDir() }), { newKey: 'abc', out: collect() }),
    ).rejects.toThrow('--new-key must be 64 hex characters')
  })

  it('finishes a rotation cut short after the database changed', async () => {
    const data = await lindaWithCredentials('sqlite')
    const oldKey = Buffer.from(keyHex(data.dataDir), 'hex')
    const newHex = 'ef'.repeat(32)
    // The crash: the new key saved beside the old one, the credentials re-encrypted, no rename.
    writeFileSync(join(data.dataDir, 'secret.key.new'), `${newHex}\n`, { mode: 0o600 })
    const config = configOf(data)
    const handle = await openDb({ sqlitePath: config.sqlitePath })
    try {
      await reencryptCredentials(handle.db, oldKey, Buffer.from(newHex, 'hex'))
    } finally {
      await handle.close()
    }

    const out = collect()
    const result = await rotateKey(config, { newKey: newHex, out })
    expect(result.reencrypted).toBe(0)
    expect(out.text).toContain('Finished an interrupted rotation')
    expect(keyHex(data.dataDir)).toBe(newHex)
    expect(existsSync(join(data.dataDir, 'secret.key.new'))).toBe(false)
    for (const sealed of await sealedCredentials(data)) {
      expect(JSON.parse(decryptSecret(Buffer.from(newHex, 'hex'), sealed))).toEqual(secrets)
    }
  })

  it('drops a new key left before the database changed, and rotates', async () => {
    const data = await lindaWithCredentials('sqlite')
    writeFileSync(join(data.dataDir, 'secret.key.new'), `${'01'.repeat(32)}\n`, { mode: 0o600 })

    const result = await rotateKey(configOf(data), { out: collect() })
    expect(result.reencrypted).toBe(2)
    expect(keyHex(data.dataDir)).toBe(result.newKey.toString('hex'))
    for (const sealed of await sealedCredentials(data)) {
      expect(JSON.parse(decryptSecret(result.newKey, sealed))).toEqual(secrets)
    }
  })

  it('runs from the command line', async () => {
    await ensureCliBuilt()
    const data = await lindaWithCredentials('sqlite')
    const before = keyHex(data.dataDir)
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const env = Object.fromEntries(
          Object.entries(process.env).filter(
            ([k]) => !k.startsWith('LINDA_') && k !== 'DATABASE_URL',
          ),
        )
        const child = spawn(process.execPath, ['bin/linda.js', ...args], {
          cwd: repoRoot,
          env: { ...env, LINDA_LOG_LEVEL: 'silent' },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stdout = ''
        let stderr = ''
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
        child.on('error', reject)
        child.on('close', (code) => resolve({ code, stdout, stderr }))
      })

    // This test process runs a Linda on the data dir: the command, another process, refuses.
    const running = await startTestLinda('sqlite', { ...data, start: false })
    try {
      const refused = await run(['rotate-key', '--data-dir', data.dataDir])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(
        `Linda (pid ${process.pid}) is running on ${data.dataDir}; stop it before rotating the key`,
      )
      expect(keyHex(data.dataDir)).toBe(before)
    } finally {
      await running.stop()
    }

    const bad = await run(['rotate-key', '--data-dir', data.dataDir, '--new-key', 'xyz'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('--new-key must be 64 hex characters')
    expect(keyHex(data.dataDir)).toBe(before)

    const res = await run(['rotate-key', '--data-dir', data.dataDir])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stdout).toContain('Re-encrypted the credentials of 2 account(s)')
    const after = keyHex(data.dataDir)
    expect(after).not.toBe(before)
    for (const sealed of await sealedCredentials(data)) {
      expect(JSON.parse(decryptSecret(Buffer.from(after, 'hex'), sealed))).toEqual(secrets)
    }
  }, 180_000)
})
