// Every route checks who calls: the role (owner > admin > agent > viewer), an API key's
// scopes (read, write, admin) on top of its user's role, and the accounts an agent or
// viewer was given. The matrix below has one rule per registered route: a route added
// without a rule here fails the first test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { atLeast, scopeOfRoute, type Role, type Scope } from '../../src/users/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  asKey,
  createKey,
  setUpOwner,
  signIn,
  signUp,
  startTestLinda,
  virtualPhone,
  type Problem,
  type Requester,
  type TestLinda,
  type TestSession,
} from '../helpers/linda.js'

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** An id nothing has: routes answer 404 for it, so calling them changes nothing. */
const NONE = '00000000-0000-7000-8000-00000000dead'

interface Rule {
  /** The least role; 'public' for routes that need no sign-in. */
  minRole: Role | 'public'
  /** The path to call (ids filled in); default the route's own path. */
  path?: (ids: { account: string }) => string
  /**
   * For routes that name an account: a valid request on behalf of `accountId`, so that the
   * account check (which runs after validation) is what answers.
   */
  account?: (accountId: string) => { path: string; body?: unknown; contentType?: string }
}

// One rule per route, keyed `METHOD /path` as Fastify registered it.
const rules: Record<string, Rule> = {
  'GET /api/v1/openapi.json': { minRole: 'public' },
  'POST /api/v1/auth/login': { minRole: 'public' },
  'POST /api/v1/auth/setup/check': { minRole: 'public' },
  'POST /api/v1/auth/setup': { minRole: 'public' },
  'GET /api/v1/auth/me': { minRole: 'viewer' },
  'POST /api/v1/auth/logout': { minRole: 'viewer' },
  'POST /api/v1/auth/logout-all': { minRole: 'viewer' },

  'GET /api/v1/users': { minRole: 'viewer' },
  'POST /api/v1/users': { minRole: 'admin' },
  'GET /api/v1/users/:id': { minRole: 'viewer' },
  'PATCH /api/v1/users/:id': { minRole: 'agent' },
  'POST /api/v1/users/:id/disable': { minRole: 'admin' },
  'POST /api/v1/users/:id/enable': { minRole: 'admin' },
  'POST /api/v1/users/:id/link': { minRole: 'admin' },
  'DELETE /api/v1/users/:id/sessions': { minRole: 'admin' },

  'GET /api/v1/api-keys': { minRole: 'viewer' },
  'POST /api/v1/api-keys': { minRole: 'viewer' },
  'DELETE /api/v1/api-keys/:id': { minRole: 'viewer' },

  'GET /api/v1/accounts': { minRole: 'viewer' },
  'POST /api/v1/accounts': { minRole: 'admin' },
  'GET /api/v1/accounts/:id': {
    minRole: 'viewer',
    account: (id) => ({ path: `/api/v1/accounts/${id}` }),
  },
  'PATCH /api/v1/accounts/:id': { minRole: 'admin' },
  'DELETE /api/v1/accounts/:id': { minRole: 'admin' },
  'POST /api/v1/accounts/:id/connect': { minRole: 'admin' },
  'POST /api/v1/accounts/:id/disconnect': { minRole: 'admin' },
  'POST /api/v1/accounts/:id/logout': { minRole: 'admin' },
  'GET /api/v1/accounts/:id/pairing': { minRole: 'admin' },

  'POST /api/v1/messages': {
    minRole: 'agent',
    account: (id) => ({
      path: '/api/v1/messages',
      body: { accountId: id, to: virtualPhone(), type: 'text', text: 'authorization check' },
    }),
  },
  'GET /api/v1/messages': {
    minRole: 'viewer',
    account: (id) => ({ path: `/api/v1/messages?accountId=${id}` }),
  },
  'GET /api/v1/messages/:id': { minRole: 'viewer' },
  'POST /api/v1/messages/:id/retry': { minRole: 'agent' },
  'POST /api/v1/accounts/:id/resume-sending': { minRole: 'admin' },

  'POST /api/v1/sandbox/:accountId/inbound': {
    minRole: 'agent',
    path: () => `/api/v1/sandbox/${NONE}/inbound`,
    account: (id) => ({
      path: `/api/v1/sandbox/${id}/inbound`,
      body: { from: virtualPhone(), text: 'authorization check' },
    }),
  },
  'GET /api/v1/sandbox/:accountId/outbox': {
    minRole: 'viewer',
    path: () => `/api/v1/sandbox/${NONE}/outbox`,
    account: (id) => ({ path: `/api/v1/sandbox/${id}/outbox` }),
  },

  'POST /api/v1/media': {
    minRole: 'agent',
    account: (id) => ({
      path: `/api/v1/media?accountId=${id}`,
      body: 'not really a png',
      contentType: 'image/png',
    }),
  },
  'GET /api/v1/media/:id': { minRole: 'viewer' },

  'GET /api/v1/rules': { minRole: 'viewer' },
  'POST /api/v1/rules': { minRole: 'admin' },
  'GET /api/v1/rules/:id': { minRole: 'viewer' },
  'PATCH /api/v1/rules/:id': { minRole: 'admin' },
  'DELETE /api/v1/rules/:id': { minRole: 'admin' },

  'POST /api/v1/bot/simulate': {
    minRole: 'viewer',
    account: (id) => ({
      path: '/api/v1/bot/simulate',
      body: { accountId: id, from: virtualPhone(), text: 'hi' },
    }),
  },
  'GET /api/v1/commands': { minRole: 'viewer' },
  'GET /api/v1/bot/settings': { minRole: 'viewer' },
  'PATCH /api/v1/bot/settings': { minRole: 'admin' },
  'GET /api/v1/bot/settings/:accountId': {
    minRole: 'viewer',
    path: () => `/api/v1/bot/settings/${NONE}`,
    account: (id) => ({ path: `/api/v1/bot/settings/${id}` }),
  },
  'PATCH /api/v1/bot/settings/:accountId': {
    minRole: 'admin',
    path: () => `/api/v1/bot/settings/${NONE}`,
  },

  'GET /api/v1/contacts': { minRole: 'viewer' },
  'GET /api/v1/contacts/count': { minRole: 'viewer' },
  'POST /api/v1/contacts': { minRole: 'agent' },
  'GET /api/v1/contacts/:id': { minRole: 'viewer' },
  'PATCH /api/v1/contacts/:id': { minRole: 'agent' },
  'DELETE /api/v1/contacts/:id': { minRole: 'admin' },
  'POST /api/v1/contacts/:id/merge': { minRole: 'admin' },
  'POST /api/v1/contacts/:id/opt-out': { minRole: 'agent' },
  'POST /api/v1/contacts/:id/opt-in': { minRole: 'agent' },
  'POST /api/v1/contacts/:id/check-whatsapp': {
    minRole: 'agent',
    account: (id) => ({ path: `/api/v1/contacts/${NONE}/check-whatsapp`, body: { accountId: id } }),
  },
  'GET /api/v1/contact-attributes': { minRole: 'viewer' },
  'POST /api/v1/contact-attributes': { minRole: 'admin' },
  'PATCH /api/v1/contact-attributes/:key': { minRole: 'admin' },
  'DELETE /api/v1/contact-attributes/:key': { minRole: 'admin' },
  'GET /api/v1/segments': { minRole: 'viewer' },
  'POST /api/v1/segments': { minRole: 'agent' },
  'GET /api/v1/segments/:id': { minRole: 'viewer' },
  'GET /api/v1/segments/:id/contacts': { minRole: 'viewer' },
  'PATCH /api/v1/segments/:id': { minRole: 'agent' },
  'DELETE /api/v1/segments/:id': { minRole: 'agent' },

  'GET /api/v1/flows': { minRole: 'viewer' },
  'POST /api/v1/flows': { minRole: 'admin' },
  'GET /api/v1/flows/:id': { minRole: 'viewer' },
  'GET /api/v1/flows/:id/versions/:version': { minRole: 'viewer' },
  'PATCH /api/v1/flows/:id': { minRole: 'admin' },
  'DELETE /api/v1/flows/:id': { minRole: 'admin' },

  'GET /api/v1/templates': { minRole: 'viewer' },
  'POST /api/v1/templates': { minRole: 'admin' },
  'GET /api/v1/templates/:id': { minRole: 'viewer' },
  'PATCH /api/v1/templates/:id': { minRole: 'admin' },
  'DELETE /api/v1/templates/:id': { minRole: 'admin' },
  'POST /api/v1/templates/:id/preview': { minRole: 'viewer' },
  'GET /api/v1/messages/:id/translation': { minRole: 'agent' },

  'GET /api/v1/campaigns': { minRole: 'viewer' },
  'POST /api/v1/campaigns': { minRole: 'admin' },
  'POST /api/v1/campaigns/dry-run': { minRole: 'admin' },
  'GET /api/v1/campaigns/:id': { minRole: 'viewer' },
  'POST /api/v1/campaigns/:id/start': { minRole: 'admin' },
  'POST /api/v1/campaigns/:id/pause': { minRole: 'admin' },
  'POST /api/v1/campaigns/:id/resume': { minRole: 'admin' },
  'POST /api/v1/campaigns/:id/cancel': { minRole: 'admin' },
  'GET /api/v1/campaigns/:id/recipients': { minRole: 'viewer' },
  'GET /api/v1/campaigns/:id/report.csv': { minRole: 'viewer' },

  'GET /api/v1/schedules': { minRole: 'viewer' },
  'GET /api/v1/schedules/upcoming': { minRole: 'viewer' },
  'POST /api/v1/schedules': {
    minRole: 'agent',
    account: (id) => ({
      path: '/api/v1/schedules',
      body: {
        name: 'access check',
        accountId: id,
        target: { type: 'phone', phone: virtualPhone() },
        message: { type: 'text', text: 'x' },
        cron: '0 9 * * *',
      },
    }),
  },
  'GET /api/v1/schedules/:id': { minRole: 'viewer' },
  'PATCH /api/v1/schedules/:id': { minRole: 'agent' },
  'DELETE /api/v1/schedules/:id': { minRole: 'agent' },
  'POST /api/v1/schedules/:id/pause': { minRole: 'agent' },
  'POST /api/v1/schedules/:id/resume': { minRole: 'agent' },
  'GET /api/v1/schedules/:id/runs': { minRole: 'viewer' },

  'GET /api/v1/events': { minRole: 'viewer' },
}

const roleOrder: Role[] = ['viewer', 'agent', 'admin', 'owner']
const scopeSets: Record<Role, Scope[][]> = {
  viewer: [['read']],
  agent: [['read'], ['write'], ['read', 'write']],
  admin: [['read'], ['write'], ['admin'], ['read', 'write', 'admin']],
  owner: [['read'], ['write'], ['admin'], ['read', 'write', 'admin']],
}

/** Routes that end sessions go last, and their callers sign in again before each call. */
const endsSessions = new Set(['POST /api/v1/auth/logout', 'POST /api/v1/auth/logout-all'])

describe.each(testDialects())('authorization on %s', (dialect) => {
  let t: TestLinda
  const sessions = {} as Record<Role, TestSession>
  const keys: Array<{ role: Role; scopes: Scope[]; request: Requester }> = []
  let otherAccount = ''

  beforeAll(async () => {
    t = await startTestLinda(dialect)
    sessions.owner = await setUpOwner(t)
    sessions.admin = await signUp(t, 'admin')
    sessions.agent = await signUp(t, 'agent', { accountIds: [t.accountId] })
    sessions.viewer = await signUp(t, 'viewer', { accountIds: [t.accountId] })
    for (const role of roleOrder) {
      for (const scopes of scopeSets[role]) {
        const { key } = await createKey(sessions[role], {
          name: `${role} ${scopes.join('+')}`,
          scopes,
        })
        keys.push({ role, scopes, request: asKey(t, key) })
      }
    }
    const other = await t.request<{ id: string }>('POST', '/api/v1/accounts', {
      name: 'Not for agents',
      transport: 'sandbox',
    })
    expect(other.status).toBe(201)
    otherAccount = other.json.id
  })

  afterAll(async () => {
    await t?.stop()
  })

  /** Signs the person in again (their session was ended by a logout route). */
  async function signInAgain(role: Role): Promise<void> {
    sessions[role] = await signIn(t, sessions[role])
  }

  function apiRoutes() {
    return t.linda.http.routeTable.filter((r) => r.url.startsWith('/api/'))
  }

  it('has a rule for every registered route, and no rule for a route that is gone', () => {
    const registered = apiRoutes().map((r) => `${r.method} ${r.url}`)
    const missing = registered.filter((r) => !(r in rules))
    expect(missing, 'routes without a rule in this test').toEqual([])
    const stale = Object.keys(rules).filter((r) => !registered.includes(r))
    expect(stale, 'rules for routes that do not exist').toEqual([])
    // The route's own declaration agrees with the matrix.
    for (const route of apiRoutes()) {
      const rule = rules[`${route.method} ${route.url}`]!
      if (rule.minRole === 'public') expect(route.public, route.url).toBe(true)
      else expect(route.public, route.url).toBe(false)
    }
    // Every route that names an account says how to check access to it.
    for (const route of apiRoutes()) {
      const rule = rules[`${route.method} ${route.url}`]!
      const namesAccount = route.url.includes(':accountId') || route.url === '/api/v1/accounts/:id'
      if (namesAccount && rule.minRole !== 'admin' && rule.minRole !== 'public') {
        expect(rule.account, `${route.method} ${route.url} has an account check`).toBeDefined()
      }
    }
  })

  it('keeps every route outside /api either public or a static file', () => {
    for (const route of t.linda.http.routeTable) {
      if (route.url.startsWith('/api/')) continue
      const fine = route.public || route.url.startsWith('/docs') || route.url.includes('.')
      expect(fine, `${route.method} ${route.url}`).toBe(true)
    }
  })

  it('lets each role, and each key by its role and scopes, call exactly what it may', async () => {
    const ordered = [...apiRoutes()].sort(
      (a, b) =>
        Number(endsSessions.has(`${a.method} ${a.url}`)) -
        Number(endsSessions.has(`${b.method} ${b.url}`)),
    )
    for (const route of ordered) {
      const name = `${route.method} ${route.url}`
      const rule = rules[name]!
      const method = route.method as Method
      const path = rule.path?.({ account: t.accountId }) ?? route.url.replaceAll(/:\w+/g, NONE)
      const body = method === 'GET' ? undefined : {}

      const anonymous = await t.request<Problem>(method, path, body, { authorization: '' })
      if (rule.minRole === 'public') {
        expect(anonymous.status, `anonymous ${name}`).not.toBe(401)
        continue
      }
      expect(anonymous.status, `anonymous ${name}`).toBe(401)

      for (const role of roleOrder) {
        if (endsSessions.has(name)) await signInAgain(role)
        const res = await sessions[role].request<Problem>(method, path, body)
        if (atLeast(role, rule.minRole)) {
          expect([401, 403], `${role} session ${name}: ${res.body}`).not.toContain(res.status)
        } else {
          expect(res.status, `${role} session ${name}`).toBe(403)
          expect(res.json.code).toBe('FORBIDDEN')
          expect(res.json.detail).toContain(rule.minRole)
        }
      }

      const needed = scopeOfRoute(method, rule.minRole, route.scope)
      for (const key of keys) {
        const res = await key.request<Problem>(method, path, body)
        const label = `${key.role} key [${key.scopes.join(',')}] ${name}`
        if (atLeast(key.role, rule.minRole) && key.scopes.includes(needed)) {
          expect([401, 403], `${label}: ${res.body}`).not.toContain(res.status)
        } else {
          expect(res.status, label).toBe(403)
          expect(res.json.code).toBe('FORBIDDEN')
        }
      }
    }
    // Keys calling logout-all ended their users' sessions: sign everyone in again.
    for (const role of roleOrder) await signInAgain(role)
  })

  it('lets agents and viewers reach only their accounts, on every route that names one', async () => {
    const counted = async () =>
      Number(
        (
          await t.linda.db.db
            .selectFrom('messages')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    for (const route of apiRoutes()) {
      const name = `${route.method} ${route.url}`
      const rule = rules[name]!
      if (!rule.account || rule.minRole === 'public') continue
      for (const role of ['agent', 'viewer'] as const) {
        if (!atLeast(role, rule.minRole)) continue
        const send = (accountId: string) => {
          const call = rule.account!(accountId)
          return sessions[role].request<Problem>(
            route.method as Method,
            call.path,
            call.body,
            call.contentType ? { 'content-type': call.contentType } : {},
          )
        }
        const before = await counted()
        const refused = await send(otherAccount)
        expect(refused.status, `${role} ${name} on another account`).toBe(404)
        expect(refused.json.code).toBe('ACCOUNT_NOT_FOUND')
        expect(await counted(), `${role} ${name} changed nothing`).toBe(before)

        const allowed = await send(t.accountId)
        expect(allowed.status, `${role} ${name} on its account: ${allowed.body}`).toBeLessThan(500)
        expect(allowed.json?.code, `${role} ${name} on its account`).not.toBe('ACCOUNT_NOT_FOUND')
        expect([401, 403]).not.toContain(allowed.status)
      }
    }
  })

  it('filters lists to the accounts an agent may see', async () => {
    const agent = sessions.agent
    const accounts = await agent.request<{ items: Array<{ id: string }> }>(
      'GET',
      '/api/v1/accounts',
    )
    expect(accounts.json.items.map((a) => a.id)).toEqual([t.accountId])
    const all = await sessions.admin.request<{ items: Array<{ id: string }> }>(
      'GET',
      '/api/v1/accounts',
    )
    expect(all.json.items.map((a) => a.id)).toContain(otherAccount)

    // A message on the other account: the admin sees it, the agent neither lists nor gets it.
    const phone = virtualPhone()
    const inbound = await t.request<{ id: string }>(
      'POST',
      `/api/v1/sandbox/${otherAccount}/inbound`,
      { from: phone, text: 'for admins only' },
    )
    expect(inbound.status).toBe(202)
    const listed = await agent.request<{ items: Array<{ accountId: string }> }>(
      'GET',
      '/api/v1/messages?limit=200',
    )
    expect(listed.json.items.every((m) => m.accountId === t.accountId)).toBe(true)
    const got = await agent.request<Problem>('GET', `/api/v1/messages/${inbound.json.id}`)
    expect(got.status).toBe(404)
    expect(got.json.code).toBe('MESSAGE_NOT_FOUND')
    expect(
      (await sessions.admin.request('GET', `/api/v1/messages/${inbound.json.id}`)).status,
    ).toBe(200)
  })

  it('caps a key by its user: a demoted user’s admin key loses admin routes', async () => {
    const person = await signUp(t, 'admin')
    const { key } = await createKey(person, { scopes: ['read', 'write', 'admin'] })
    expect((await asKey(t, key)('GET', '/api/v1/accounts/' + NONE + '/pairing')).status).toBe(404)
    const demoted = await sessions.owner.request('PATCH', `/api/v1/users/${person.user.id}`, {
      role: 'agent',
    })
    expect(demoted.status).toBe(200)
    const res = await asKey(t, key)<Problem>('GET', '/api/v1/accounts/' + NONE + '/pairing')
    expect(res.status).toBe(403)
    expect(res.json.detail).toContain('agent')
  })

  it('refuses to create a key with more power than the creator has', async () => {
    const byAdmin = await sessions.admin.request<Problem>('POST', '/api/v1/api-keys', {
      name: 'escalate',
      role: 'owner',
    })
    expect(byAdmin.status).toBe(403)
    expect(byAdmin.json.code).toBe('FORBIDDEN')
    const byAgent = await sessions.agent.request<Problem>('POST', '/api/v1/api-keys', {
      name: 'escalate',
      scopes: ['admin'],
    })
    expect(byAgent.status).toBe(403)
    expect(byAgent.json.errors?.[0]?.path).toBe('body.scopes')
    // A key with the admin scope makes keys, but none wider than itself.
    const adminKey = keys.find((k) => k.role === 'admin' && k.scopes.join() === 'admin')!
    const narrower = await adminKey.request<Problem>('POST', '/api/v1/api-keys', {
      name: 'wider',
      scopes: ['read'],
    })
    expect(narrower.status).toBe(403)
  })

  it('refuses a text body with 415 and a malformed URL with a problem', async () => {
    const text = await t.request<Problem>('POST', '/api/v1/messages', 'hello', {
      'content-type': 'text/plain',
    })
    expect(text.status).toBe(415)
    expect(text.json.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    const url = await t.request<Problem>('GET', '/api/v1/messages/%E0%A4%A')
    expect(url.status).toBe(400)
    expect(url.headers['content-type']).toContain('application/problem+json')
  })
})
