// Conversation flows end to end: defined through /api/v1/flows, driven by virtual contacts
// through the sandbox, their place kept across a restart, reminded and expired when idle,
// cancelled, calling a webhook on this machine; on SQLite and PostgreSQL.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Flow } from '../../src/bot/flows/index.js'
import type { Message } from '../../src/messages/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  contactWrites,
  listAllMessages,
  startTestLinda,
  virtualPhone,
  waitFor,
  type Page,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

/** Lindas started by the running test, stopped after it whatever happens. */
const running: TestLinda[] = []
async function start(...args: Parameters<typeof startTestLinda>): Promise<TestLinda> {
  const t = await startTestLinda(...args)
  running.push(t)
  return t
}

/** What `phone` received from the sandbox account, oldest first. */
async function received(t: TestLinda, phone: string): Promise<string[]> {
  const res = await t.request<Page<Message>>(
    'GET',
    `/api/v1/sandbox/${t.accountId}/outbox?to=${encodeURIComponent(phone)}&limit=200`,
  )
  expect(res.status).toBe(200)
  return res.json.items
    .slice()
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((m) => m.text ?? '')
}

/** The contact writes `text`; waits until it has received `count` messages in all, and returns them. */
async function exchange(t: TestLinda, phone: string, text: string, count: number) {
  await contactWrites(t, phone, text)
  return waitFor(async () => {
    const texts = await received(t, phone)
    expect(texts.length, JSON.stringify(texts)).toBe(count)
    return texts
  })
}

async function createFlow(t: TestLinda, body: Record<string, unknown>): Promise<Flow> {
  const res = await t.request<Flow>('POST', '/api/v1/flows', body)
  expect(res.status, res.body).toBe(201)
  return res.json
}

async function sessionOf(t: TestLinda, phone: string) {
  return t.linda.db.db
    .selectFrom('flow_sessions')
    .selectAll()
    .where('phone', '=', phone)
    .executeTakeFirst()
}

async function contactOf(t: TestLinda, phone: string) {
  return t.linda.db.db
    .selectFrom('contacts')
    .select(['tags', 'attributes'])
    .where('phone', '=', phone)
    .executeTakeFirstOrThrow()
}

/**
 * Waits until every job due now has run (every message handled, every reply sent). The
 * flows' idle timers wait in the queue for later, so the queue itself is never idle.
 */
async function waitForDueJobs(t: TestLinda): Promise<void> {
  await waitFor(async () => {
    const busy = await t.linda.db.db
      .selectFrom('jobs')
      .select(['queue', 'state'])
      .where((eb) =>
        eb.or([
          eb('state', '=', 'active'),
          eb.and([eb('state', '=', 'pending'), eb('run_at', '<=', new Date().toISOString())]),
        ]),
      )
      .execute()
    expect(busy).toEqual([])
  })
}

function json<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value
}

/** A pizza order: every kind of question, a branch, a set and an end. */
const pizzaFlow = (keyword: string) => ({
  name: `Pizza ${keyword}`,
  keywords: [keyword],
  steps: [
    { id: 'hello', type: 'send', text: 'Welcome to Pizza Linda!' },
    { id: 'name', type: 'ask', text: 'What is your name?', var: 'name' },
    {
      id: 'size',
      type: 'ask',
      text: 'Which size, {{name}}?',
      var: 'size',
      answer: {
        type: 'choice',
        choices: [
          { value: 'small', synonyms: ['s'] },
          { value: 'medium', label: 'Medium' },
          { value: 'large', synonyms: ['big', 'xl'] },
        ],
      },
    },
    {
      id: 'count',
      type: 'ask',
      text: 'How many?',
      var: 'count',
      answer: { type: 'number', min: 1, max: 20, integer: true },
      maxRetries: 1,
      onMaxRetries: 'human',
    },
    {
      id: 'bulk',
      type: 'branch',
      cases: [{ when: { var: 'count', op: 'gte', value: 10 }, next: 'party' }],
      default: 'save',
    },
    { id: 'party', type: 'send', text: 'A party! We add a free drink.', next: 'save' },
    {
      id: 'save',
      type: 'set',
      attributes: { size: '{{size}}', pizzas: '{{count}}' },
      addTags: ['pizza'],
    },
    { id: 'done', type: 'end', text: '{{count}} {{contact.attributes.size}} pizzas for {{name}}.' },
    { id: 'human', type: 'handoff', text: 'A colleague will help you.' },
  ],
})

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((t) => t.stop()))
})

describe.each(testDialects())('conversation flows on %s', (dialect) => {
  describe('through one Linda', () => {
    let t: TestLinda
    let hook: Server
    let hookUrl: string
    const posted: unknown[] = []

    beforeAll(async () => {
      hook = createServer((req, res) => {
        let body = ''
        req.setEncoding('utf8')
        req.on('data', (chunk: string) => (body += chunk))
        req.on('end', () => {
          posted.push(JSON.parse(body))
          if (req.url === '/broken') {
            res.writeHead(500).end('{}')
            return
          }
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ status: 'shipped', eta: { days: 2 } }))
        })
      })
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
      hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`
      t = await startTestLinda(dialect, { env: { LINDA_WEBHOOKS_ALLOW_LOOPBACK: 'true' } })
    })

    afterAll(async () => {
      await t?.stop()
      await new Promise((resolve) => hook?.close(resolve))
    })

    it('runs a multi-step flow, re-asking invalid answers, and keeps what it learnt', async () => {
      await createFlow(t, pizzaFlow('pizza'))
      const phone = virtualPhone()
      let texts = await exchange(t, phone, 'I would like a pizza', 2)
      expect(texts).toEqual(['Welcome to Pizza Linda!', 'What is your name?'])
      texts = await exchange(t, phone, 'Aisha', 3)
      expect(texts[2]).toBe('Which size, Aisha?\n1. small\n2. Medium\n3. large')
      texts = await exchange(t, phone, 'purple', 4)
      expect(texts[3]).toBe(
        'Please answer with one of: small, Medium, large (or its number, 1 to 3).\nWhich size, Aisha?\n1. small\n2. Medium\n3. large',
      )
      texts = await exchange(t, phone, 'a BIG one please', 5)
      expect(texts[4]).toBe('How many?')
      texts = await exchange(t, phone, 'twelve', 6)
      expect(texts[5]).toBe('Please answer with a whole number between 1 and 20.\nHow many?')
      texts = await exchange(t, phone, '12', 8)
      expect(texts.slice(6)).toEqual([
        'A party! We add a free drink.',
        '12 large pizzas for Aisha.',
      ])

      // Saved before the messages went out.
      const contact = await contactOf(t, phone)
      expect(json(contact.attributes)).toEqual({ size: 'large', pizzas: 12 })
      expect(json(contact.tags)).toEqual(['pizza'])
      const session = await sessionOf(t, phone)
      expect(session).toMatchObject({ status: 'ended', end_reason: 'end', step_id: 'done' })

      // The flow is over: the next message goes to the rules (the greeting answers "hello").
      texts = await exchange(t, phone, 'hello', 9)
      expect(texts[8]).toMatch(/^Hello! How can I help\?/)
    })

    it('hands a contact over to a person after too many invalid answers', async () => {
      await createFlow(t, pizzaFlow('calzone'))
      const phone = virtualPhone()
      await exchange(t, phone, 'calzone', 2)
      await exchange(t, phone, 'Omar', 3)
      await exchange(t, phone, '2', 4)
      await exchange(t, phone, 'many', 5)
      const texts = await exchange(t, phone, 'lots', 6)
      expect(texts[5]).toBe('A colleague will help you.')
      const conversation = await t.linda.db.db
        .selectFrom('conversations')
        .select('bot_paused')
        .where('id', '=', (await sessionOf(t, phone))!.conversation_id)
        .executeTakeFirstOrThrow()
      expect(conversation.bot_paused).toBe(1)
      // The bot is quiet on the conversation now, rules included.
      await contactWrites(t, phone, 'hello?')
      await waitForDueJobs(t)
      expect(await received(t, phone)).toHaveLength(6)
    })

    it('ends the flow on its cancel keyword, with a confirmation', async () => {
      await createFlow(t, {
        ...pizzaFlow('lasagna'),
        cancel: { keywords: ['stop it', 'cancelar'], text: 'Cancelled, {{name}}.' },
      })
      const phone = virtualPhone()
      await exchange(t, phone, 'lasagna', 2)
      await exchange(t, phone, 'Pedro', 3)
      const texts = await exchange(t, phone, 'CANCELAR', 4)
      expect(texts[3]).toBe('Cancelled, Pedro.')
      // The flow's place is saved before its messages go out.
      expect(await sessionOf(t, phone)).toMatchObject({ status: 'ended', end_reason: 'cancelled' })
    })

    it('calls a webhook and uses its answer, and takes the error branch when it fails', async () => {
      await createFlow(t, {
        name: 'Order status',
        keywords: ['where is my order'],
        steps: [
          {
            id: 'number',
            type: 'ask',
            text: 'Your order number?',
            var: 'order',
            answer: { type: 'regex', pattern: '^[A-Z]{2}\\d{4}$', ignoreCase: true },
          },
          {
            id: 'lookup',
            type: 'webhook',
            url: `${hookUrl}/orders`,
            saveAs: 'found',
            body: { order: '{{order}}', phone: '{{contact.phone}}' },
            onError: 'sorry',
          },
          {
            id: 'tell',
            type: 'end',
            text: 'Order {{order}} is {{found.status}}, in {{found.eta.days}} days.',
          },
          { id: 'sorry', type: 'end', text: 'I cannot look orders up right now.' },
        ],
      })
      const phone = virtualPhone()
      await exchange(t, phone, 'Where is my order?', 1)
      let texts = await exchange(t, phone, 'order 1234', 2)
      expect(texts[1]).toBe('That answer does not have the expected form.\nYour order number?')
      texts = await exchange(t, phone, 'ab1234', 3)
      expect(texts[2]).toBe('Order ab1234 is shipped, in 2 days.')
      expect(posted).toContainEqual({ order: 'ab1234', phone })

      const broken = await createFlow(t, {
        name: 'Broken hook',
        keywords: ['check broken'],
        steps: [
          { id: 'call', type: 'webhook', url: `${hookUrl}/broken`, onError: 'sorry' },
          { id: 'ok', type: 'end', text: 'All good.' },
          { id: 'sorry', type: 'end', text: 'The check failed.' },
        ],
      })
      expect(broken.version).toBe(1)
      texts = await exchange(t, phone, 'check broken', 4)
      expect(texts[3]).toBe('The check failed.')
    })

    it('keeps a contact mid-flow on the version it started, and starts others on the new one', async () => {
      const flow = await createFlow(t, {
        name: 'Survey',
        keywords: ['survey'],
        steps: [
          {
            id: 'q1',
            type: 'ask',
            text: 'Rate us from 1 to 5',
            var: 'rate',
            answer: { type: 'number', min: 1, max: 5 },
          },
          { id: 'bye', type: 'end', text: 'Thanks (v1): {{rate}}' },
        ],
      })
      const early = virtualPhone()
      await exchange(t, early, 'survey', 1)
      const patched = await t.request<Flow>('PATCH', `/api/v1/flows/${flow.id}`, {
        steps: [
          {
            id: 'q1',
            type: 'ask',
            text: 'Rate us from 1 to 10',
            var: 'rate',
            answer: { type: 'number', min: 1, max: 10 },
          },
          { id: 'bye', type: 'end', text: 'Thanks (v2): {{rate}}' },
        ],
      })
      expect(patched.status).toBe(200)
      expect(patched.json.version).toBe(2)
      // The early contact answers version 1's question, under version 1's rules.
      let texts = await exchange(t, early, '7', 2)
      expect(texts[1]).toBe('Please answer with a number between 1 and 5.\nRate us from 1 to 5')
      texts = await exchange(t, early, '4', 3)
      expect(texts[2]).toBe('Thanks (v1): 4')
      const late = virtualPhone()
      texts = await exchange(t, late, 'survey', 1)
      expect(texts[0]).toBe('Rate us from 1 to 10')
      texts = await exchange(t, late, '7', 2)
      expect(texts[1]).toBe('Thanks (v2): 7')

      const v1 = await t.request<{
        version: number
        definition: { steps: Array<{ text: string }> }
      }>('GET', `/api/v1/flows/${flow.id}/versions/1`)
      expect(v1.status).toBe(200)
      expect(v1.json.definition.steps[0]?.text).toBe('Rate us from 1 to 5')
    })

    it('does nothing twice when the same message is handled again (a retried job)', async () => {
      await createFlow(t, pizzaFlow('focaccia'))
      const phone = virtualPhone()
      await exchange(t, phone, 'focaccia', 2)
      const { id } = await contactWrites(t, phone, 'Lena')
      await waitFor(async () => expect(await received(t, phone)).toHaveLength(3))
      const message = (await listAllMessages(t, { phone, direction: 'in' })).find(
        (m) => m.id === id,
      )!
      const again = await t.linda.flows.handle(message)
      expect(again).toMatchObject({ replayed: true, sends: [], stepId: 'size' })
      await waitForDueJobs(t)
      expect(await received(t, phone)).toHaveLength(3)
      // A dry run says what the next answer would do, and changes nothing.
      const dry = await t.linda.flows.handle(
        { ...message, id: 'dry-run', text: '3' },
        { dryRun: true },
      )
      expect(dry).toMatchObject({
        dryRun: true,
        stepId: 'count',
        sends: [{ type: 'text', text: 'How many?' }],
      })
      expect(await sessionOf(t, phone)).toMatchObject({ step_id: 'size', status: 'active' })
    })

    it('manages flows: list with a cursor, get, delete; refuses invalid definitions naming the field', async () => {
      const before = await t.request<Page<Flow>>('GET', '/api/v1/flows?limit=200')
      const created: Flow[] = []
      for (const name of ['a', 'b', 'c']) {
        created.push(await createFlow(t, { name, steps: [{ id: 'x', type: 'end', text: name }] }))
      }
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const query: string = cursor ? `&cursor=${cursor}` : ''
        const res: { status: number; json: Page<Flow> } = await t.request<Page<Flow>>(
          'GET',
          `/api/v1/flows?limit=2${query}`,
        )
        expect(res.status).toBe(200)
        seen.push(...res.json.items.map((f) => f.id))
        cursor = res.json.nextCursor
      } while (cursor)
      expect(seen).toEqual([...before.json.items.map((f) => f.id), ...created.map((f) => f.id)])

      const refusals: Array<[unknown, string, RegExp]> = [
        [
          { name: 'x', steps: [{ id: 'a', type: 'send', text: 'hi', next: 'nowhere' }] },
          'body.steps.0.next',
          /names no step/,
        ],
        [
          {
            name: 'x',
            steps: [
              { id: 'a', type: 'end' },
              { id: 'a', type: 'end' },
            ],
          },
          'body.steps.1.id',
          /unique/,
        ],
        [
          {
            name: 'x',
            steps: [
              { id: 'a', type: 'send', text: '1' },
              { id: 'b', type: 'send', text: '2', next: 'a' },
            ],
          },
          'body.steps.0',
          /without an ask/,
        ],
        [
          {
            name: 'x',
            steps: [
              {
                id: 'a',
                type: 'ask',
                text: '?',
                var: 'v',
                answer: { type: 'regex', pattern: '(a)\\1' },
              },
            ],
          },
          'body.steps.0.answer.pattern',
          /safely/,
        ],
        [
          { name: 'x', steps: [{ id: 'a', type: 'webhook', url: 'http://10.1.2.3/hook' }] },
          'body.steps.0.url',
          /private network/,
        ],
        [
          { name: 'x', steps: [{ id: 'a', type: 'jump', flow: 'no-such-flow' }] },
          'body.steps.0.flow',
          /names no flow/,
        ],
        [
          { name: 'x', steps: [{ id: 'a', type: 'teleport' }] },
          'body.steps.0.type',
          /must have `type`/,
        ],
      ]
      for (const [body, path, message] of refusals) {
        const res = await t.request<Problem>('POST', '/api/v1/flows', body)
        expect(res.status, JSON.stringify(body)).toBe(400)
        expect(res.json.code).toBe('VALIDATION_FAILED')
        expect(res.json.errors, JSON.stringify(res.json)).toContainEqual({
          path,
          message: expect.stringMatching(message),
        })
      }
      const patch = await t.request<Problem>('PATCH', `/api/v1/flows/${created[0]!.id}`, {
        steps: [{ id: 'a', type: 'send', text: 'x', next: 'b' }],
      })
      expect(patch.status).toBe(400)
      expect(patch.json.errors).toContainEqual({
        path: 'body.steps.0.next',
        message: 'names no step ("b")',
      })
      const after = await t.request<Page<Flow>>('GET', '/api/v1/flows?limit=200')
      expect(after.json.items).toHaveLength(before.json.items.length + 3)
      expect((await t.request<Flow>('GET', `/api/v1/flows/${created[0]!.id}`)).json.version).toBe(1)

      expect((await t.request('DELETE', `/api/v1/flows/${created[1]!.id}`)).status).toBe(204)
      const gone = await t.request<Problem>('GET', `/api/v1/flows/${created[1]!.id}`)
      expect(gone.status).toBe(404)
      expect(gone.json.code).toBe('FLOW_NOT_FOUND')
    })

    it('lets viewers and agents read flows, and only admins change them', async () => {
      const keys: Record<string, string> = {}
      for (const role of ['agent', 'admin'] as const) {
        const res = await t.request<{ key: string }>('POST', '/api/v1/api-keys', {
          name: role,
          role,
        })
        keys[role] = res.json.key
      }
      const flow = await createFlow(t, { name: 'Roles', steps: [{ id: 'a', type: 'end' }] })
      const as = (role: string) => ({ authorization: `Bearer ${keys[role]}` })
      expect((await t.request('GET', '/api/v1/flows', undefined, as('agent'))).status).toBe(200)
      expect(
        (await t.request('GET', `/api/v1/flows/${flow.id}`, undefined, as('agent'))).status,
      ).toBe(200)
      const body = { name: 'x', steps: [{ id: 'a', type: 'end' }] }
      for (const [method, url, payload] of [
        ['POST', '/api/v1/flows', body],
        ['PATCH', `/api/v1/flows/${flow.id}`, { enabled: false }],
        ['DELETE', `/api/v1/flows/${flow.id}`, undefined],
      ] as const) {
        const refused = await t.request<Problem>(method, url, payload, as('agent'))
        expect(refused.status, `${method} ${url}`).toBe(403)
        expect(refused.json.code).toBe('FORBIDDEN')
      }
      const patched = await t.request<Flow>(
        'PATCH',
        `/api/v1/flows/${flow.id}`,
        { enabled: false },
        as('admin'),
      )
      expect(patched.json).toMatchObject({ enabled: false, version: 1 })
    })

    it('refuses to change a flow defined in code', async () => {
      t.linda.flows.registerFlow({
        id: 'code-greeter',
        name: 'Greeter',
        steps: [{ id: 'only', type: 'end', text: 'From code' }],
      })
      const got = await t.request<Flow>('GET', '/api/v1/flows/code-greeter')
      expect(got.json).toMatchObject({ source: 'code', version: 1 })
      const res = await t.request<Problem>('PATCH', '/api/v1/flows/code-greeter', {
        enabled: false,
      })
      expect(res.status).toBe(409)
      expect(res.json.code).toBe('FLOW_READ_ONLY')
    })
  })

  it('goes on where it was after a restart in the middle of a flow', async () => {
    const first = await start(dialect)
    await createFlow(first, pizzaFlow('pizza'))
    const phone = virtualPhone()
    await exchange(first, phone, 'pizza', 2)
    await exchange(first, phone, 'Aisha', 3)
    await first.stop()
    const second = await start(dialect, {
      dataDir: first.dataDir,
      databaseUrl: first.databaseUrl,
      apiKey: first.apiKey,
    })
    const texts = await exchange(second, phone, '2', 4)
    expect(texts[3]).toBe('How many?')
    await exchange(second, phone, '3', 5)
    expect((await received(second, phone))[4]).toBe('3 medium pizzas for Aisha.')
  })

  it('reminds an idle contact once, then ends the flow', async () => {
    const t = await start(dialect)
    await createFlow(t, {
      name: 'Quick',
      keywords: ['quick'],
      idle: {
        timeoutSeconds: 1,
        reminderText: 'Still there, {{contact.phone}}?',
        expiredText: 'Closed.',
      },
      steps: [
        { id: 'q', type: 'ask', text: 'Your email?', var: 'email', answer: { type: 'email' } },
      ],
    })
    const phone = virtualPhone()
    await exchange(t, phone, 'quick', 1)
    const texts = await waitFor(async () => {
      const now = await received(t, phone)
      expect(now).toHaveLength(3)
      return now
    })
    expect(texts.slice(1)).toEqual([`Still there, ${phone}?`, 'Closed.'])
    expect(await sessionOf(t, phone)).toMatchObject({ status: 'ended', end_reason: 'expired' })
    // The flow is over: an email now is no answer to it (the rules have nothing to say).
    await contactWrites(t, phone, 'me@example.com')
    await waitForDueJobs(t)
    expect(await received(t, phone)).toHaveLength(3)
  })
})
