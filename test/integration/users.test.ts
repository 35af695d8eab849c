// The team through the API: invites, roles, account access, availability, disabling, and
// each person's own API keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDialects } from '../helpers/databases.js'
import {
  asKey,
  createKey,
  setUpOwner,
  signIn,
  signUp,
  startTestLinda,
  tableCounts,
  tokenOfLink,
  type Page,
  type Problem,
  type TestLinda,
  type TestSession,
} from '../helpers/linda.js'

interface User {
  id: string
  kind: string
  email: string | null
  name: string
  role: string
  availability: string
  status: string
  accountIds: string[]
}

interface ApiKey {
  id: string
  prefix: string
  userId: string
  scopes: string[]
  role: string
  revokedAt: string | null
}

describe.each(testDialects())('users on %s', (dialect) => {
  let t: TestLinda
  let owner: TestSession
  let admin: TestSession

  beforeAll(async () => {
    t = await startTestLinda(dialect)
    owner = await setUpOwner(t)
    admin = await signUp(t, 'admin')
  })

  afterAll(async () => {
    await t?.stop()
  })

  it('invites a person who appears at once, invited, and becomes active with a password', async () => {
    const res = await admin.request<{ user: User; link: { url: string; kind: string } }>(
      'POST',
      '/api/v1/users',
      { email: 'Agnes@Example.com', name: 'Agnes', role: 'agent', accountIds: [t.accountId] },
    )
    expect(res.status).toBe(201)
    expect(res.json.user).toMatchObject({
      email: 'agnes@example.com',
      role: 'agent',
      status: 'invited',
      accountIds: [t.accountId],
      availability: 'offline',
    })
    expect(res.json.link.kind).toBe('invite')
    expect(res.json.link.url).toMatch(/^http:\/\/localhost(:80)?\/setup\?token=[\w-]{43}$/)

    const check = await t.request<{ email: string; name: string; kind: string }>(
      'POST',
      '/api/v1/auth/setup/check',
      { token: tokenOfLink(res.json.link.url) },
      { authorization: '' },
    )
    expect(check.json).toMatchObject({ kind: 'invite', email: 'agnes@example.com', name: 'Agnes' })

    const taken = await admin.request<Problem>('POST', '/api/v1/users', {
      email: 'agnes@example.com',
      name: 'Agnes again',
      role: 'viewer',
    })
    expect(taken.status).toBe(409)
    expect(taken.json.code).toBe('USER_EMAIL_TAKEN')

    const list = await owner.request<Page<User>>('GET', '/api/v1/users')
    const emails = list.json.items.map((u) => u.email)
    expect(emails).toContain('agnes@example.com')
    // The service user that owns the scripts' keys is listed as such.
    expect(list.json.items.find((u) => u.kind === 'service')).toMatchObject({ role: 'owner' })
  })

  it('refuses bad invites naming the field, and changes nothing', async () => {
    const before = await tableCounts(t)
    for (const [body, path] of [
      [{ email: 'not-an-email', name: 'X', role: 'agent' }, 'body.email'],
      [{ email: 'x@example.com', name: '', role: 'agent' }, 'body.name'],
      [{ email: 'x@example.com', name: 'X', role: 'boss' }, 'body.role'],
      [
        { email: 'x@example.com', name: 'X', role: 'agent', accountIds: ['nope'] },
        'body.accountIds',
      ],
      [{ email: 'x@example.com', name: 'X', role: 'agent', extra: 1 }, 'body'],
    ] as const) {
      const res = await admin.request<Problem>('POST', '/api/v1/users', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.json.errors?.map((e) => e.path)).toContain(path)
    }
    const tooHigh = await admin.request<Problem>('POST', '/api/v1/users', {
      email: 'boss@example.com',
      name: 'Boss',
      role: 'owner',
    })
    expect(tooHigh.status).toBe(403)
    expect(await tableCounts(t)).toEqual(before)
  })

  it('lets people change their own name and availability, never their role', async () => {
    const agent = await signUp(t, 'agent', { accountIds: [t.accountId] })
    const own = await agent.request<User>('PATCH', `/api/v1/users/${agent.user.id}`, {
      name: 'Ana',
      availability: 'online',
    })
    expect(own.json).toMatchObject({ name: 'Ana', availability: 'online' })
    const promote = await agent.request<Problem>('PATCH', `/api/v1/users/${agent.user.id}`, {
      role: 'admin',
    })
    expect(promote.status).toBe(403)
    const others = await agent.request<Problem>('PATCH', `/api/v1/users/${admin.user.id}`, {
      availability: 'away',
    })
    expect(others.status).toBe(403)
    const bad = await agent.request<Problem>('PATCH', `/api/v1/users/${agent.user.id}`, {
      availability: 'asleep',
    })
    expect(bad.status).toBe(400)
    expect(bad.json.errors?.[0]?.path).toBe('body.availability')
  })

  it('lets admins change roles and accounts, but not an owner nor anyone above them', async () => {
    const agent = await signUp(t, 'agent', { accountIds: [t.accountId] })
    const other = await t.request<{ id: string }>('POST', '/api/v1/accounts', {
      name: 'Branch',
      transport: 'sandbox',
    })
    const moved = await admin.request<User>('PATCH', `/api/v1/users/${agent.user.id}`, {
      accountIds: [other.json.id],
    })
    expect(moved.json.accountIds).toEqual([other.json.id])
    // The agent's view follows at once.
    const seen = await agent.request<Page<{ id: string }>>('GET', '/api/v1/accounts')
    expect(seen.json.items.map((a) => a.id)).toEqual([other.json.id])

    const promoted = await admin.request<User>('PATCH', `/api/v1/users/${agent.user.id}`, {
      role: 'admin',
    })
    expect(promoted.json.role).toBe('admin')
    const seesAll = await agent.request<Page<{ id: string }>>('GET', '/api/v1/accounts')
    expect(seesAll.json.items.map((a) => a.id)).toContain(t.accountId)

    const onOwner = await admin.request<Problem>('PATCH', `/api/v1/users/${owner.user.id}`, {
      name: 'Renamed',
    })
    expect(onOwner.status).toBe(403)
    const makeOwner = await admin.request<Problem>('PATCH', `/api/v1/users/${agent.user.id}`, {
      role: 'owner',
    })
    expect(makeOwner.status).toBe(403)
  })

  it('keeps the last owner an owner, and lets a second owner take over', async () => {
    const demote = await owner.request<Problem>('PATCH', `/api/v1/users/${owner.user.id}`, {
      role: 'admin',
    })
    expect(demote.status).toBe(403) // nobody changes their own role
    const second = await signUp(t, 'owner')
    const disableFirst = await second.request<User>(
      'POST',
      `/api/v1/users/${owner.user.id}/disable`,
    )
    expect(disableFirst.json.status).toBe('disabled')
    const disableLast = await t.request<Problem>('POST', `/api/v1/users/${second.user.id}/disable`)
    expect(disableLast.status).toBe(409)
    expect(disableLast.json.code).toBe('USER_LAST_OWNER')
    const demoteLast = await t.request<Problem>('PATCH', `/api/v1/users/${second.user.id}`, {
      role: 'viewer',
    })
    expect(demoteLast.json.code).toBe('USER_LAST_OWNER')
    await second.request('POST', `/api/v1/users/${owner.user.id}/enable`)
    owner = await signIn(t, owner)
  })

  it('gives each person their own keys, listed by prefix, with scopes capped by the role', async () => {
    const viewer = await signUp(t, 'viewer', { accountIds: [t.accountId] })
    const readKey = await createKey(viewer)
    expect(readKey.scopes).toEqual(['read'])
    expect(readKey.role).toBe('viewer')
    expect(readKey.key.startsWith(readKey.prefix)).toBe(true)
    const tooMuch = await viewer.request<Problem>('POST', '/api/v1/api-keys', {
      name: 'x',
      scopes: ['write'],
    })
    expect(tooMuch.status).toBe(403)

    const mine = await viewer.request<{ items: ApiKey[] }>('GET', '/api/v1/api-keys')
    expect(mine.json.items.map((k) => k.id)).toEqual([readKey.id])
    expect(JSON.stringify(mine.json)).not.toContain(readKey.key)
    const everyone = await admin.request<{ items: ApiKey[] }>('GET', '/api/v1/api-keys')
    expect(everyone.json.items.map((k) => k.id)).toContain(readKey.id)
    const theirs = await viewer.request<Problem>('GET', `/api/v1/api-keys?userId=${admin.user.id}`)
    expect(theirs.status).toBe(403)

    // A read key reads, and cannot write even what its role could.
    const reads = await asKey(t, readKey.key)('GET', '/api/v1/accounts')
    expect(reads.status).toBe(200)
    const agent = await signUp(t, 'agent', { accountIds: [t.accountId] })
    const agentRead = await createKey(agent, { scopes: ['read'] })
    const write = await asKey(t, agentRead.key)<Problem>(
      'POST',
      `/api/v1/sandbox/${t.accountId}/inbound`,
      { from: '+15550001234', text: 'hi' },
    )
    expect(write.status).toBe(403)
    expect(write.json.detail).toContain('write scope')

    // Another person's key is none of an agent's business; an admin may revoke it.
    const notMine = await agent.request<Problem>('DELETE', `/api/v1/api-keys/${readKey.id}`)
    expect(notMine.status).toBe(404)
    expect((await admin.request('DELETE', `/api/v1/api-keys/${readKey.id}`)).status).toBe(204)
    expect((await asKey(t, readKey.key)('GET', '/api/v1/accounts')).status).toBe(401)
  })

  it('keeps the bootstrap key working, owned by the service user', async () => {
    const me = await t.request<{ user: User; via: string; scopes: string[] }>(
      'GET',
      '/api/v1/auth/me',
    )
    expect(me.json.user.kind).toBe('service')
    expect(me.json.scopes).toEqual(['read', 'write', 'admin'])
  })
})
