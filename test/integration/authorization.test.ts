// Every route checks the role of the API key: viewers read, agents talk to customers,
// admins change the set-up, and nobody hands out more power than they have.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '../../src/users/index.js'
import { testDialects } from '../helpers/databases.js'
import { startTestLinda, virtualPhone, type Problem, type TestLinda } from '../helpers/linda.js'

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

describe.each(testDialects())('authorization on %s', (dialect) => {
  let t: TestLinda
  const keys = {} as Record<Role, string>

  beforeAll(async () => {
    t = await startTestLinda(dialect)
    keys.owner = t.apiKey
    for (const role of ['admin', 'agent', 'viewer'] as const) {
      const res = await t.request<{ key: string }>('POST', '/api/v1/api-keys', {
        name: role,
        role,
      })
      expect(res.status).toBe(201)
      keys[role] = res.json.key
    }
  })

  afterAll(async () => {
    await t?.stop()
  })

  // [method, url, body, the least role allowed]
  const routes = (): Array<[Method, string, unknown, Role]> => [
    ['GET', '/api/v1/accounts', undefined, 'viewer'],
    ['GET', `/api/v1/accounts/${t.accountId}`, undefined, 'viewer'],
    ['GET', '/api/v1/messages', undefined, 'viewer'],
    ['GET', '/api/v1/rules', undefined, 'viewer'],
    ['GET', `/api/v1/sandbox/${t.accountId}/outbox`, undefined, 'viewer'],
    [
      'POST',
      '/api/v1/messages',
      { accountId: t.accountId, to: virtualPhone(), type: 'text', text: 'hello' },
      'agent',
    ],
    [
      'POST',
      `/api/v1/sandbox/${t.accountId}/inbound`,
      { from: virtualPhone(), text: 'x' },
      'agent',
    ],
    ['POST', '/api/v1/accounts', { name: 'Another', transport: 'sandbox' }, 'admin'],
    ['PATCH', `/api/v1/accounts/${t.accountId}`, { name: 'Sandbox' }, 'admin'],
    [
      'POST',
      '/api/v1/rules',
      {
        name: 'r',
        match: { type: 'exact', value: 'zzz' },
        actions: [{ type: 'reply', text: 'z' }],
      },
      'admin',
    ],
    ['GET', '/api/v1/api-keys', undefined, 'admin'],
  ]

  const order: Role[] = ['viewer', 'agent', 'admin', 'owner']

  it('lets each role call exactly the routes its rank allows', async () => {
    for (const [method, url, body, least] of routes()) {
      for (const role of order) {
        const res = await t.request<Problem>(method, url, body, {
          authorization: `Bearer ${keys[role]}`,
        })
        const allowed = order.indexOf(role) >= order.indexOf(least)
        if (allowed) {
          expect(res.status, `${role} ${method} ${url}`).toBeLessThan(400)
        } else {
          expect(res.status, `${role} ${method} ${url}`).toBe(403)
          expect(res.json.code).toBe('FORBIDDEN')
          expect(res.json.detail).toContain(least)
        }
      }
    }
  })

  it('refuses to create a key with more power than the creator has', async () => {
    const res = await t.request<Problem>(
      'POST',
      '/api/v1/api-keys',
      { name: 'escalate', role: 'owner' },
      { authorization: `Bearer ${keys.admin}` },
    )
    expect(res.status).toBe(403)
    expect(res.json.code).toBe('FORBIDDEN')
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
