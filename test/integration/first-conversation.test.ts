// The first minutes of a new Linda: a virtual contact says "hi" to the sandbox account, the
// greeting rule answers and the answer goes queued → sent → delivered → read; commands,
// sending through the API, listing, rules and idempotent sends — on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Rule } from '../../src/bot/rules.schemas.js'
import type { Message, MessageStatus } from '../../src/messages/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  contactWrites,
  fastReceipts,
  listAllMessages,
  startTestLinda,
  virtualPhone,
  waitFor,
  waitForQueueIdle,
  waitForReplies,
  waitForStatus,
  type Page,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

const order: readonly MessageStatus[] = ['queued', 'sending', 'sent', 'delivered', 'read']

describe.each(testDialects())('a first conversation on %s', (dialect) => {
  let t: TestLinda

  beforeAll(async () => {
    t = await startTestLinda(dialect)
  })

  afterAll(async () => {
    await t?.stop()
  })

  it('greets a contact who says hi, and the reply goes queued → sent → delivered → read', async () => {
    const phone = virtualPhone()
    // Every status the reply passes through, in the order the event bus publishes them.
    const seen = new Map<string, MessageStatus[]>()
    const statusesOf = (m: Message) => {
      const list = seen.get(m.id) ?? []
      seen.set(m.id, list)
      return list
    }
    const offCreated = t.linda.events.subscribe('message.created', (e) => {
      // "created" may reach us after the sender's first change (both are published after
      // their own reads); queued is the first status by definition.
      if (e.data.direction === 'out' && e.data.phone === phone && e.data.status === 'queued') {
        statusesOf(e.data).unshift('queued')
      }
    })
    const offStatus = t.linda.events.subscribe('message.status', (e) => {
      if (e.data.direction === 'out' && e.data.phone === phone)
        statusesOf(e.data).push(e.data.status)
    })
    try {
      const res = await t.request<{ id: string; duplicate: boolean }>(
        'POST',
        `/api/v1/sandbox/${t.accountId}/inbound`,
        { from: phone, text: 'hi' },
      )
      expect(res.status).toBe(202)
      expect(res.json).toEqual({ id: expect.any(String), duplicate: false })

      const [reply] = await waitForReplies(t, phone, (r) => r.length === 1)
      expect(reply?.text).toMatch(/^Hello! How can I help\?/)
      const read = await waitForStatus(t, reply!.id, 'read')
      expect(read).toMatchObject({
        direction: 'out',
        accountId: t.accountId,
        phone,
        error: null,
        externalId: expect.any(String),
        sentAt: expect.any(String),
        deliveredAt: expect.any(String),
        readAt: expect.any(String),
      })

      const statuses = await waitFor(() => {
        const list = seen.get(reply!.id) ?? []
        expect(list.at(-1)).toBe('read')
        return list
      })
      // Forward only, each step once, from queued to read.
      expect(statuses).toEqual(order)

      // The contact's "hi" is stored once in the same conversation, and marked read once
      // the bot answered it.
      const inbound = await listAllMessages(t, { phone, direction: 'in' })
      expect(inbound).toHaveLength(1)
      expect(inbound[0]).toMatchObject({
        id: res.json.id,
        text: 'hi',
        status: 'read',
        direction: 'in',
        conversationId: reply!.conversationId,
      })
      await waitForQueueIdle(t)
      expect(await listAllMessages(t, { phone })).toHaveLength(2)
    } finally {
      offCreated()
      offStatus()
    }
  })

  it('answers !help with the command list and !ping with pong', async () => {
    const phone = virtualPhone()
    await contactWrites(t, phone, '!help')
    const [help] = await waitForReplies(t, phone, (r) => r.length === 1)
    expect(help?.text).toContain('Commands:')
    expect(help?.text).toContain('!help')
    expect(help?.text).toContain('!ping')

    await contactWrites(t, phone, '!ping')
    const replies = await waitForReplies(t, phone, (r) => r.length === 2)
    expect(replies.map((r) => r.text)).toContainEqual(expect.stringMatching(/^pong \(\d+ ms\)$/))

    await contactWrites(t, phone, '!nonsense')
    const all = await waitForReplies(t, phone, (r) => r.length === 3)
    expect(all.map((r) => r.text)).toContainEqual(
      expect.stringContaining("I don't know the command !nonsense"),
    )
  })

  it('sends a message through POST /messages and it is eventually read', async () => {
    const phone = virtualPhone()
    const res = await t.request<{ id: string; status: string }>('POST', '/api/v1/messages', {
      accountId: t.accountId,
      to: phone,
      type: 'text',
      text: 'Your order has shipped',
    })
    expect(res.status).toBe(202)
    expect(res.json).toEqual({ id: expect.any(String), status: 'queued' })
    const read = await waitForStatus(t, res.json.id, 'read')
    expect(read).toMatchObject({ text: 'Your order has shipped', phone, direction: 'out' })

    // The sandbox outbox shows what the virtual contact received.
    const outbox = await t.request<Page<Message>>(
      'GET',
      `/api/v1/sandbox/${t.accountId}/outbox?to=${encodeURIComponent(phone)}`,
    )
    expect(outbox.status).toBe(200)
    expect(outbox.json.items.map((m) => m.id)).toEqual([res.json.id])
  })

  it('filters messages by account, phone, direction and status, and pages with a cursor', async () => {
    const phone = virtualPhone()
    const other = await t.request<{ id: string }>('POST', '/api/v1/accounts', {
      name: 'Second',
      transport: 'sandbox',
      settings: { sandbox: fastReceipts },
    })
    expect(other.status).toBe(201)

    const sent: string[] = []
    for (const [accountId, text] of [
      [t.accountId, 'one'],
      [t.accountId, 'two'],
      [t.accountId, 'three'],
      [other.json.id, 'four'],
      [other.json.id, 'five'],
    ] as const) {
      const res = await t.request<{ id: string }>('POST', '/api/v1/messages', {
        accountId,
        to: phone,
        type: 'text',
        text,
      })
      expect(res.status).toBe(202)
      sent.push(res.json.id)
    }
    await contactWrites(t, phone, 'thanks, got them')
    for (const id of sent) await waitForStatus(t, id, 'read')

    const byPhone = await listAllMessages(t, { phone })
    expect(byPhone).toHaveLength(6)
    expect(byPhone.every((m) => m.phone === phone)).toBe(true)

    const ofFirst = await listAllMessages(t, { phone, accountId: t.accountId })
    expect(ofFirst.map((m) => m.text).sort()).toEqual(['one', 'thanks, got them', 'three', 'two'])
    const ofSecond = await listAllMessages(t, { phone, accountId: other.json.id })
    expect(ofSecond.map((m) => m.text).sort()).toEqual(['five', 'four'])

    const inbound = await listAllMessages(t, { phone, direction: 'in' })
    expect(inbound.map((m) => m.text)).toEqual(['thanks, got them'])
    const read = await listAllMessages(t, { phone, status: 'read' })
    expect(read.map((m) => m.id).sort()).toEqual([...sent].sort())
    expect(await listAllMessages(t, { phone, status: 'failed' })).toEqual([])

    // The phone filter takes numbers as people type them.
    const typed = await listAllMessages(t, { phone: phone.replace(/^\+1/, '+1 ') })
    expect(typed).toHaveLength(6)

    // Newest first, two at a time: every message once, none twice.
    const paged: Message[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = `phone=${encodeURIComponent(phone)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const res = await t.request<Page<Message>>('GET', `/api/v1/messages?${query}`)
      expect(res.status).toBe(200)
      expect(res.json.items.length).toBeLessThanOrEqual(2)
      paged.push(...res.json.items)
      cursor = res.json.nextCursor
      pages++
    } while (cursor && pages < 20)
    expect(pages).toBe(3)
    const ids = paged.map((m) => m.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(byPhone.map((m) => m.id))
    expect([...ids].sort().reverse()).toEqual(ids)
  })

  it('creates, disables, re-enables and deletes an auto-reply rule', async () => {
    const created = await t.request<Rule>('POST', '/api/v1/rules', {
      name: 'Opening hours',
      accountId: null,
      match: { type: 'keyword', value: 'opening hours' },
      actions: [{ type: 'reply', text: 'We are open 9 to 5.' }],
    })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({
      id: expect.any(String),
      name: 'Opening hours',
      enabled: true,
      priority: 0,
      accountId: null,
    })
    const ruleId = created.json.id

    const listed = await t.request<Page<Rule>>('GET', '/api/v1/rules')
    expect(listed.status).toBe(200)
    expect(listed.json.items.map((r) => r.name)).toEqual(
      expect.arrayContaining(['Greeting', 'Opening hours']),
    )

    const phone = virtualPhone()
    await contactWrites(t, phone, 'What are your OPENING hours?')
    const [answer] = await waitForReplies(t, phone, (r) => r.length === 1)
    expect(answer?.text).toBe('We are open 9 to 5.')

    const disabled = await t.request<Rule>('PATCH', `/api/v1/rules/${ruleId}`, { enabled: false })
    expect(disabled.status).toBe(200)
    expect(disabled.json.enabled).toBe(false)
    expect((await t.request<Rule>('GET', `/api/v1/rules/${ruleId}`)).json.enabled).toBe(false)

    await contactWrites(t, phone, 'opening hours please')
    await waitFor(async () => {
      expect(await listAllMessages(t, { phone, direction: 'in' })).toHaveLength(2)
    })
    // Once the bot has processed the message (the queue is idle) there is still one answer.
    await waitForQueueIdle(t)
    expect(await listAllMessages(t, { phone, direction: 'out' })).toHaveLength(1)

    const enabled = await t.request<Rule>('PATCH', `/api/v1/rules/${ruleId}`, { enabled: true })
    expect(enabled.json.enabled).toBe(true)
    await contactWrites(t, phone, 'opening hours?')
    await waitForReplies(t, phone, (r) => r.length === 2)

    const deleted = await t.request('DELETE', `/api/v1/rules/${ruleId}`)
    expect(deleted.status).toBe(204)
    const gone = await t.request<Problem>('GET', `/api/v1/rules/${ruleId}`)
    expect(gone.status).toBe(404)
    expect(gone.json.code).toBe('RULE_NOT_FOUND')
    expect((await t.request<Problem>('DELETE', `/api/v1/rules/${ruleId}`)).status).toBe(404)

    await contactWrites(t, phone, 'opening hours!!')
    await waitFor(async () => {
      expect(await listAllMessages(t, { phone, direction: 'in' })).toHaveLength(4)
    })
    await waitForQueueIdle(t)
    expect(await listAllMessages(t, { phone, direction: 'out' })).toHaveLength(2)
  })

  it('stores one message for a repeated Idempotency-Key and refuses the key for another text', async () => {
    const phone = virtualPhone()
    const key = `order-42-${phone}`
    const body = { accountId: t.accountId, to: phone, type: 'text', text: 'Order 42 confirmed' }
    const first = await t.request<{ id: string; status: string }>(
      'POST',
      '/api/v1/messages',
      body,
      {
        'idempotency-key': key,
      },
    )
    expect(first.status).toBe(202)
    expect(first.json.status).toBe('queued')
    const again = await t.request<{ id: string }>('POST', '/api/v1/messages', body, {
      'idempotency-key': key,
    })
    expect(again.status).toBe(202)
    expect(again.json.id).toBe(first.json.id)

    const conflict = await t.request<Problem>(
      'POST',
      '/api/v1/messages',
      { ...body, text: 'Order 43 confirmed' },
      { 'idempotency-key': key },
    )
    expect(conflict.status).toBe(409)
    expect(conflict.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(conflict.json.code).toBe('IDEMPOTENCY_CONFLICT')

    await waitForStatus(t, first.json.id, 'read')
    await waitForQueueIdle(t)
    const stored = await listAllMessages(t, { phone })
    expect(stored.map((m) => m.id)).toEqual([first.json.id])
  })
})
