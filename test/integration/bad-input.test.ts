// Bad input gets a clear problem+json answer and changes nothing; hostile text is data, never
// markup; and the operational surface (health, readiness, metrics, OpenAPI, security headers,
// request ids) is there — on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Message } from '../../src/messages/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  contactWrites,
  getMessage,
  listAllMessages,
  startTestLinda,
  tableCounts,
  virtualPhone,
  waitForQueueIdle,
  waitForReplies,
  waitForStatus,
  type Problem,
  type TestLinda,
  type TestResponse,
} from '../helpers/linda.js'

const unknownId = '01a2b3c4-0000-7000-8000-000000000000'

/** Asserts an RFC 9457 problem with Linda's code, and returns it. */
function expectProblem(res: TestResponse<Problem>, status: number, code: string): Problem {
  expect({ status: res.status, body: res.json }).toMatchObject({
    status,
    body: { status, code, type: expect.any(String), title: expect.any(String) },
  })
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(res.headers['x-request-id']).toEqual(expect.any(String))
  return res.json
}

function pathsOf(p: Problem): string[] {
  return (p.errors ?? []).map((e) => e.path)
}

describe.each(testDialects())('bad input on %s', (dialect) => {
  let t: TestLinda
  let before: Record<string, number>

  beforeAll(async () => {
    t = await startTestLinda(dialect)
    // One good conversation first, so "nothing changed" compares against a non-empty db.
    const phone = virtualPhone()
    await contactWrites(t, phone, 'hi')
    await waitForReplies(t, phone, (r) => r.length === 1)
    await waitForQueueIdle(t)
    before = await tableCounts(t)
  })

  afterAll(async () => {
    await t?.stop()
  })

  describe('requests that are refused', () => {
    it('answers an unknown account, message or route with 404 and a code', async () => {
      const inbound = await t.request<Problem>('POST', `/api/v1/sandbox/${unknownId}/inbound`, {
        from: '+15550001111',
        text: 'hi',
      })
      expect(expectProblem(inbound, 404, 'ACCOUNT_NOT_FOUND').detail).toContain(unknownId)
      expectProblem(
        await t.request<Problem>('GET', `/api/v1/accounts/${unknownId}`),
        404,
        'ACCOUNT_NOT_FOUND',
      )
      expectProblem(
        await t.request<Problem>('POST', '/api/v1/messages', {
          accountId: unknownId,
          to: '+15550001111',
          type: 'text',
          text: 'hello',
        }),
        404,
        'ACCOUNT_NOT_FOUND',
      )
      expectProblem(
        await t.request<Problem>('GET', `/api/v1/messages/${unknownId}`),
        404,
        'MESSAGE_NOT_FOUND',
      )
      expectProblem(await t.request<Problem>('GET', '/api/v1/nothing-here'), 404, 'NOT_FOUND')
    })

    it('refuses malformed JSON with 400 MALFORMED_JSON', async () => {
      const res = await t.request<Problem>('POST', '/api/v1/messages', '{"accountId": "x", "to": ')
      const problem = expectProblem(res, 400, 'MALFORMED_JSON')
      expect(problem.detail).toMatch(/JSON/)

      const inbound = await t.request<Problem>(
        'POST',
        `/api/v1/sandbox/${t.accountId}/inbound`,
        "{'from': '+15550001111'}",
      )
      expectProblem(inbound, 400, 'MALFORMED_JSON')
    })

    it('refuses a body over the size limit with 413', async () => {
      const huge = {
        accountId: t.accountId,
        to: '+15550001111',
        type: 'text',
        text: 'x'.repeat(t.linda.config.bodyLimit + 1),
      }
      expectProblem(
        await t.request<Problem>('POST', '/api/v1/messages', huge),
        413,
        'BODY_TOO_LARGE',
      )
    })

    it('refuses a missing or wrong API key with 401 and www-authenticate', async () => {
      const body = { from: '+15550001111', text: 'hi' }
      const url = `/api/v1/sandbox/${t.accountId}/inbound`

      const missing = await t.request<Problem>('POST', url, body, { authorization: '' })
      expectProblem(missing, 401, 'UNAUTHORIZED')
      expect(missing.headers['www-authenticate']).toMatch(/^Bearer/)

      const wrong = await t.request<Problem>('POST', url, body, {
        authorization: 'Bearer linda_not_a_real_key_000000000000',
      })
      expectProblem(wrong, 401, 'UNAUTHORIZED')
      expect(wrong.headers['www-authenticate']).toMatch(/^Bearer.*invalid_token/)

      const notBearer = await t.request<Problem>('GET', '/api/v1/messages', undefined, {
        authorization: `Basic ${Buffer.from('a:b').toString('base64')}`,
      })
      expectProblem(notBearer, 401, 'UNAUTHORIZED')
    })

    it('names every invalid field by its path', async () => {
      const send = await t.request<Problem>('POST', '/api/v1/messages', {
        accountId: t.accountId,
        to: 15550001111,
        type: 'text',
        text: '',
      })
      expect(pathsOf(expectProblem(send, 400, 'VALIDATION_FAILED')).sort()).toEqual([
        'body.text',
        'body.to',
      ])

      const unknownType = await t.request<Problem>('POST', '/api/v1/messages', {
        accountId: t.accountId,
        to: 15550001111,
        type: 'carrier-pigeon',
      })
      expect(pathsOf(expectProblem(unknownType, 400, 'VALIDATION_FAILED')).sort()).toEqual([
        'body.to',
        'body.type',
      ])

      const empty = await t.request<Problem>('POST', '/api/v1/messages', {})
      expect(pathsOf(expectProblem(empty, 400, 'VALIDATION_FAILED'))).toEqual(
        expect.arrayContaining(['body.accountId', 'body.to', 'body.type']),
      )

      const inbound = await t.request<Problem>('POST', `/api/v1/sandbox/${t.accountId}/inbound`, {
        from: '+15550001111',
        text: 'x'.repeat(4097),
      })
      const problem = expectProblem(inbound, 400, 'VALIDATION_FAILED')
      expect(pathsOf(problem)).toEqual(['body.text'])
      expect(problem.detail).toContain('body.text')

      const query = await t.request<Problem>('GET', '/api/v1/messages?limit=0&status=lost')
      expect(pathsOf(expectProblem(query, 400, 'VALIDATION_FAILED')).sort()).toEqual([
        'query.limit',
        'query.status',
      ])

      const rule = await t.request<Problem>('POST', '/api/v1/rules', {
        name: 'Broken',
        match: { type: 'fuzzy', value: '' },
        actions: [],
      })
      expect(pathsOf(expectProblem(rule, 400, 'VALIDATION_FAILED'))).toEqual(
        expect.arrayContaining(['body.match.type', 'body.actions']),
      )
    })

    it('refuses an invalid phone number with 422 naming the field', async () => {
      const from = await t.request<Problem>('POST', `/api/v1/sandbox/${t.accountId}/inbound`, {
        from: 'call me maybe',
        text: 'hi',
      })
      const fromProblem = expectProblem(from, 422, 'PHONE_INVALID')
      expect(pathsOf(fromProblem)).toEqual([expect.stringMatching(/(^|\.)from$/)])
      expect(fromProblem.detail).toContain('call me maybe')

      const to = await t.request<Problem>('POST', '/api/v1/messages', {
        accountId: t.accountId,
        to: '+1234',
        type: 'text',
        text: 'hello',
      })
      expect(pathsOf(expectProblem(to, 422, 'PHONE_INVALID'))).toEqual([
        expect.stringMatching(/(^|\.)to$/),
      ])
    })

    it('refuses a cursor it did not make with 400', async () => {
      for (const cursor of ['bogus', Buffer.from("' or 1=1 --").toString('base64url')]) {
        const res = await t.request<Problem>('GET', `/api/v1/messages?cursor=${cursor}`)
        expect(pathsOf(expectProblem(res, 400, 'VALIDATION_FAILED'))).toEqual(['query.cursor'])
      }
    })

    it('changed nothing: every table has the rows it had before them', async () => {
      expect(await tableCounts(t)).toEqual(before)
    })
  })

  it('stores a repeated inbound message once and answers it once', async () => {
    const phone = virtualPhone()
    const externalId = `wamid.dup-${phone}`
    const first = await contactWrites(t, phone, 'hello', externalId)
    expect(first.duplicate).toBe(false)
    const second = await contactWrites(t, phone, 'hello', externalId)
    expect(second).toEqual({ id: first.id, duplicate: true })

    await waitForReplies(t, phone, (r) => r.length >= 1)
    await waitForQueueIdle(t)
    const stored = await listAllMessages(t, { phone })
    expect(stored.filter((m) => m.direction === 'in').map((m) => m.id)).toEqual([first.id])
    expect(stored.filter((m) => m.direction === 'out')).toHaveLength(1)
    expect((await getMessage(t, first.id)).externalId).toBe(externalId)
  })

  it('keeps script in a message as data: stored and returned verbatim as JSON', async () => {
    const phone = virtualPhone()
    const hostile = `<script>alert("x")</script><img src=x onerror="alert('y')"> & </textarea>`
    const { id } = await contactWrites(t, phone, hostile)
    const res = await t.request<Message>('GET', `/api/v1/messages/${id}`)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.json.text).toBe(hostile)

    const sent = await t.request<{ id: string }>('POST', '/api/v1/messages', {
      accountId: t.accountId,
      to: phone,
      type: 'text',
      text: hostile,
    })
    expect(sent.status).toBe(202)
    expect((await waitForStatus(t, sent.json.id, 'read')).text).toBe(hostile)
    const listed = await listAllMessages(t, { phone })
    expect(listed.map((m) => m.text)).toEqual([hostile, hostile])
  })

  it('answers /healthz without a key and /readyz with the database ok', async () => {
    const health = await t.request<{ status: string; version: string }>(
      'GET',
      '/healthz',
      undefined,
      { authorization: '' },
    )
    expect(health.status).toBe(200)
    expect(health.json).toMatchObject({ status: 'ok', version: expect.any(String) })

    const ready = await t.request<{
      status: string
      checks: Record<string, { ok: boolean; detail?: string }>
      accounts: Array<{ id: string; state: string }>
    }>('GET', '/readyz', undefined, { authorization: '' })
    expect(ready.status).toBe(200)
    expect(ready.json.status).toBe('ready')
    expect(ready.json.checks.database).toEqual({ ok: true, detail: dialect })
    expect(ready.json.checks.queue?.ok).toBe(true)
    expect(ready.json.accounts).toContainEqual(
      expect.objectContaining({ id: t.accountId, state: 'connected' }),
    )
  })

  it('exposes Prometheus metrics with request durations and process metrics', async () => {
    await t.request('GET', '/api/v1/messages?limit=1')
    const res = await t.request('GET', '/metrics', undefined, { authorization: '' })
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.body).toMatch(
      /^linda_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/messages"/m,
    )
    expect(res.body).toMatch(/^linda_process_cpu_user_seconds_total \d/m)
    expect(res.body).toMatch(/^linda_process_resident_memory_bytes \d/m)
    expect(res.body).toMatch(/^linda_nodejs_heap_size_used_bytes \d/m)
    expect(res.body).toMatch(/^linda_messages_total\{direction="in",status="received"\} \d/m)
  })

  it('publishes a valid OpenAPI 3.1 document', async () => {
    const res = await t.request<OpenApiDoc>('GET', '/api/v1/openapi.json', undefined, {
      authorization: '',
    })
    expect(res.status).toBe(200)
    const doc = res.json
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/)
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) })
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/messages',
        '/api/v1/messages/{id}',
        '/api/v1/sandbox/{accountId}/inbound',
        '/api/v1/rules',
        '/api/v1/accounts',
      ]),
    )
    expect(doc.components.schemas).toHaveProperty('Message')
    expect(doc.components.schemas.Message).toMatchObject({ type: 'object' })
    expect(doc.paths['/api/v1/messages']).toHaveProperty('post.requestBody')
    expect(doc.paths['/api/v1/messages']).toHaveProperty('get.responses.200')

    // Structure every 3.1 validator checks: each operation has responses, each path template
    // parameter is declared in the path, and every $ref points at something in the document.
    const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path).toMatch(/^\//)
      for (const [method, operation] of Object.entries(item)) {
        if (!methods.includes(method)) continue
        const op = operation as {
          responses?: Record<string, unknown>
          parameters?: Array<{ in: string; name: string }>
        }
        expect(Object.keys(op.responses ?? {}), `${method} ${path}`).not.toHaveLength(0)
        for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
          expect(op.parameters ?? [], `${method} ${path}`).toContainEqual(
            expect.objectContaining({ in: 'path', name, required: true }),
          )
        }
      }
    }
    for (const ref of collectRefs(doc)) {
      expect(ref, 'a local $ref').toMatch(/^#\//)
      expect(resolvePointer(doc, ref), ref).toBeDefined()
    }
  })

  it('sends security headers and a request id on every response', async () => {
    const responses = [
      await t.request('GET', '/healthz', undefined, { authorization: '' }),
      await t.request('GET', '/api/v1/messages?limit=1'),
      await t.request('GET', '/api/v1/messages', undefined, { authorization: '' }),
      await t.request('POST', '/api/v1/messages', '{'),
      await t.request('GET', '/api/v1/nowhere'),
      await t.request('GET', '/metrics', undefined, { authorization: '' }),
    ]
    for (const res of responses) {
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/)
      expect(res.headers['x-frame-options']).toBeDefined()
      expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._-]+$/)
    }
    const ids = responses.map((r) => r.headers['x-request-id'])
    expect(new Set(ids).size).toBe(ids.length)

    // A caller's sane request id is kept (to follow a request through logs); junk is replaced.
    const given = await t.request('GET', '/healthz', undefined, { 'x-request-id': 'trace-abc.123' })
    expect(given.headers['x-request-id']).toBe('trace-abc.123')
    const junk = await t.request('GET', '/healthz', undefined, { 'x-request-id': '<bad id>' })
    expect(junk.headers['x-request-id']).not.toBe('<bad id>')
    expect(junk.headers['x-request-id']).toMatch(/^[A-Za-z0-9._-]+$/)
  })
})

interface OpenApiDoc {
  openapi: string
  info: Record<string, unknown>
  paths: Record<string, Record<string, unknown>>
  components: { schemas: Record<string, Record<string, unknown>> }
}

function collectRefs(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, into)
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') into.push(v)
      else collectRefs(v, into)
    }
  }
  return into
}

function resolvePointer(doc: unknown, ref: string): unknown {
  let node: unknown = doc
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
    if (!node || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}
