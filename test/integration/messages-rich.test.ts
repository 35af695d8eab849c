// Rich messages through POST /api/v1/messages: every type through the sandbox and through
// the fake Cloud API (Meta's JSON shapes), refusals that name the field, the transport's
// capabilities, and the Cloud API's 24-hour customer-service window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Account } from '../../src/accounts/index.js'
import type { Message } from '../../src/messages/index.js'
import type { TransportCapabilities } from '../../src/transports/index.js'
import { startFakeCloudApi, type FakeCloudApi } from '../fakes/cloud-api/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  contactWrites,
  getMessage,
  listAllMessages,
  connectCloudAccount,
  startTestLinda,
  tableCounts,
  virtualPhone,
  waitFor,
  waitForQueueIdle,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

/** The content of one send of each type (the body without accountId and to). */
const samples = {
  image: { type: 'image', media: { link: 'https://example.com/cat.jpg', caption: 'A cat' } },
  video: { type: 'video', media: { link: 'https://example.com/clip.mp4' } },
  audio: { type: 'audio', media: { link: 'https://example.com/note.ogg' } },
  sticker: { type: 'sticker', media: { link: 'https://example.com/s.webp' } },
  document: {
    type: 'document',
    media: { link: 'https://example.com/inv.pdf', caption: 'Invoice', filename: 'inv-42.pdf' },
  },
  location: {
    type: 'location',
    location: { latitude: 25.2048, longitude: 55.2708, name: 'Dubai Mall', address: 'Dubai' },
  },
  contacts: {
    type: 'contacts',
    contacts: [
      {
        name: { formatted: 'Aisha Khan', first: 'Aisha' },
        phones: [{ phone: '+971501234567', type: 'CELL' }],
      },
    ],
  },
  buttons: {
    type: 'interactive',
    interactive: {
      type: 'buttons',
      body: 'Shall we confirm your order?',
      footer: 'Reply with a button',
      buttons: [
        { id: 'yes', title: 'Yes' },
        { id: 'no', title: 'No' },
      ],
    },
  },
  list: {
    type: 'interactive',
    interactive: {
      type: 'list',
      body: 'Pick a branch',
      button: 'Branches',
      sections: [{ title: 'UAE', rows: [{ id: 'dxb', title: 'Dubai', description: 'Mall' }] }],
    },
  },
  template: {
    type: 'template',
    template: {
      name: 'order_update',
      language: 'en_US',
      components: [
        { type: 'body', parameters: [{ type: 'text', text: 'Aisha' }] },
        { type: 'button', subType: 'quick_reply', index: 0, payload: 'track' },
      ],
    },
  },
} as const

describe.each(testDialects())('rich messages on %s', (dialect) => {
  let t: TestLinda
  let meta: FakeCloudApi
  let cloud: Account

  beforeAll(async () => {
    meta = await startFakeCloudApi()
    t = await startTestLinda(dialect)
    cloud = (await connectCloudAccount(t, meta)).account
  })

  afterAll(async () => {
    await t?.stop()
    await meta?.stop()
  })

  const send = (body: Record<string, unknown>, headers?: Record<string, string>) =>
    t.request<{ id: string; status: string } & Problem>('POST', '/api/v1/messages', body, headers)

  /** Row counts once the queue has settled (so that finished jobs do not count as changes). */
  const settledCounts = async () => {
    await waitForQueueIdle(t)
    return tableCounts(t)
  }

  /** Waits until the message went out (Meta's receipts may have moved it on already). */
  const waitForSent = (id: string) =>
    waitFor(async () => {
      const message = await getMessage(t, id)
      expect(['sent', 'delivered', 'read']).toContain(message.status)
      return message
    })

  /** A contact writes to the Cloud account (opening the 24-hour window). */
  async function cloudContactWrites(from: string, text = 'start'): Promise<void> {
    expect(await meta.deliver(meta.inboundWebhook({ from, text }))).toBe(200)
    await waitFor(async () => {
      const inbound = await listAllMessages(t, {
        accountId: cloud.id,
        phone: from,
        direction: 'in',
      })
      expect(inbound.length).toBeGreaterThan(0)
    })
  }

  describe('through the sandbox', () => {
    it('keeps the canonical text body working, with its content', async () => {
      const to = virtualPhone()
      const res = await send({ accountId: t.accountId, to, type: 'text', text: 'Hello' })
      expect(res.status).toBe(202)
      const sent = await waitForSent(res.json.id)
      expect(sent).toMatchObject({
        type: 'text',
        text: 'Hello',
        content: { type: 'text', text: 'Hello' },
      })
    })

    it('sends every rich type and shows its content and readable text', async () => {
      const to = virtualPhone()
      const readable: Record<string, string | null> = {
        image: 'A cat',
        video: null,
        audio: null,
        sticker: null,
        document: 'Invoice',
        location: 'Dubai Mall',
        contacts: 'Aisha Khan',
        buttons: 'Shall we confirm your order?',
        list: 'Pick a branch',
        template: '[template order_update]',
      }
      for (const [name, sample] of Object.entries(samples)) {
        const res = await send({ accountId: t.accountId, to, ...sample })
        expect(res.status, `${name}: ${res.body}`).toBe(202)
        const message = await waitForSent(res.json.id)
        expect(message.type).toBe(sample.type)
        expect(message.content).toEqual(sample)
        expect(message.text, name).toBe(readable[name])
      }
    })

    it('sends a reaction to a sent message, and takes it back', async () => {
      const to = virtualPhone()
      const first = await send({ accountId: t.accountId, to, type: 'text', text: 'Deal?' })
      await waitForSent(first.json.id)
      const like = await send({
        accountId: t.accountId,
        to,
        type: 'reaction',
        reaction: { messageId: first.json.id, emoji: '👍' },
      })
      expect(like.status).toBe(202)
      const sent = await waitForSent(like.json.id)
      expect(sent).toMatchObject({ type: 'reaction', text: '👍' })
      const back = await send({
        accountId: t.accountId,
        to,
        type: 'reaction',
        reaction: { messageId: first.json.id, emoji: '' },
      })
      expect(back.status).toBe(202)
    })

    it('refuses bad bodies naming each failing field, and stores nothing', async () => {
      const to = virtualPhone()
      const before = await settledCounts()
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ type: 'carrier-pigeon', text: 'x' }, 'body.type'],
        [{ type: 'image', media: {} }, 'body.media.link'],
        [
          { type: 'image', media: { link: 'https://e.com/a.jpg', mediaId: 'm1' } },
          'body.media.mediaId',
        ],
        [{ type: 'image', media: { link: 'ftp://e.com/a.jpg' } }, 'body.media.link'],
        [{ type: 'audio', media: { link: 'https://e.com/a.ogg', caption: 'no' } }, 'body.media'],
        [{ type: 'location', location: { latitude: 91, longitude: 0 } }, 'body.location.latitude'],
        [{ type: 'contacts', contacts: [] }, 'body.contacts'],
        [
          {
            type: 'interactive',
            interactive: {
              type: 'buttons',
              body: 'Pick',
              buttons: ['a', 'b', 'c', 'd'].map((id) => ({ id, title: id })),
            },
          },
          'body.interactive.buttons',
        ],
        [
          {
            type: 'interactive',
            interactive: {
              type: 'buttons',
              body: 'Pick',
              buttons: [{ id: 'a', title: 'x'.repeat(21) }],
            },
          },
          'body.interactive.buttons.0.title',
        ],
        [
          { type: 'interactive', interactive: { type: 'carousel', body: 'x' } },
          'body.interactive.type',
        ],
        [{ type: 'template', template: { name: 'order_update' } }, 'body.template.language'],
        [
          { type: 'template', template: { name: 'Order Update!', language: 'en' } },
          'body.template.name',
        ],
        [{ type: 'reaction', reaction: { emoji: '👍' } }, 'body.reaction.messageId'],
        [{ type: 'text', text: '' }, 'body.text'],
      ]
      for (const [body, path] of cases) {
        const res = await send({ accountId: t.accountId, to, ...body })
        expect(res.status, JSON.stringify(body)).toBe(400)
        expect(res.json.code).toBe('VALIDATION_FAILED')
        expect(
          res.json.errors?.map((e) => e.path),
          JSON.stringify(body),
        ).toContain(path)
      }
      expect(await settledCounts()).toEqual(before)
    })

    it('refuses a reaction to a message the account does not have', async () => {
      const res = await send({
        accountId: t.accountId,
        to: virtualPhone(),
        type: 'reaction',
        reaction: { messageId: '0190aaaa-0000-7000-8000-000000000000', emoji: '👍' },
      })
      expect(res.status).toBe(404)
      expect(res.json.code).toBe('MESSAGE_NOT_FOUND')
      expect(res.json.errors?.[0]?.path).toBe('body.reaction.messageId')
    })

    it("refuses a type the account's transport cannot send, before queueing", async () => {
      const { transport } = t.linda.accounts.transport(t.accountId)
      const original = transport.capabilities
      const textOnly: TransportCapabilities = { ...original, send: ['text'] }
      Object.defineProperty(transport, 'capabilities', { value: textOnly, configurable: true })
      try {
        const before = await settledCounts()
        const res = await send({ accountId: t.accountId, to: virtualPhone(), ...samples.image })
        expect(res.status).toBe(422)
        expect(res.json.code).toBe('MESSAGE_TYPE_NOT_SUPPORTED')
        expect(res.json.detail).toContain('cannot send image')
        expect(res.json.errors?.[0]?.path).toBe('body.type')
        expect(await settledCounts()).toEqual(before)
      } finally {
        Object.defineProperty(transport, 'capabilities', { value: original, configurable: true })
      }
    })

    it('answers a repeated Idempotency-Key with the first message, and refuses other content', async () => {
      const to = virtualPhone()
      const headers = { 'idempotency-key': `rich-${to}` }
      const first = await send({ accountId: t.accountId, to, ...samples.buttons }, headers)
      const again = await send({ accountId: t.accountId, to, ...samples.buttons }, headers)
      expect(again.status).toBe(202)
      expect(again.json.id).toBe(first.json.id)
      const other = await send({ accountId: t.accountId, to, ...samples.list }, headers)
      expect(other.status).toBe(409)
    })
  })

  describe('through the Cloud API', () => {
    const sentTo = (phone: string) => meta.sent.filter((s) => s.to === phone).map((s) => s.body)

    it("sends every type in Meta's documented JSON", async () => {
      const to = '+971501110001'
      await cloudContactWrites(to)
      const ids: string[] = []
      for (const sample of Object.values(samples)) {
        const res = await send({ accountId: cloud.id, to, ...sample })
        expect(res.status, res.body).toBe(202)
        ids.push(res.json.id)
      }
      for (const id of ids) await waitForSent(id)
      const bodies = sentTo(to)
      const common = {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '971501110001',
      }
      const byType = (type: string) => bodies.filter((b) => b.type === type)
      expect(byType('image')[0]).toMatchObject({
        ...common,
        type: 'image',
        image: { link: 'https://example.com/cat.jpg', caption: 'A cat' },
      })
      expect(byType('document')[0]).toMatchObject({
        document: {
          link: 'https://example.com/inv.pdf',
          caption: 'Invoice',
          filename: 'inv-42.pdf',
        },
      })
      expect(byType('audio')[0]).toMatchObject({ audio: { link: 'https://example.com/note.ogg' } })
      expect(byType('sticker')[0]).toMatchObject({
        sticker: { link: 'https://example.com/s.webp' },
      })
      expect(byType('video')[0]).toMatchObject({ video: { link: 'https://example.com/clip.mp4' } })
      expect(byType('location')[0]).toMatchObject({
        location: { latitude: 25.2048, longitude: 55.2708, name: 'Dubai Mall', address: 'Dubai' },
      })
      expect(byType('contacts')[0]).toMatchObject({
        contacts: [
          {
            name: { formatted_name: 'Aisha Khan', first_name: 'Aisha' },
            phones: [{ phone: '+971501234567', type: 'CELL' }],
          },
        ],
      })
      // Sends go out concurrently: tell the two interactive ones apart by their kind.
      const kindOf = (b: Record<string, unknown>) =>
        (b.interactive as { type?: string } | undefined)?.type
      const buttons = byType('interactive').find((b) => kindOf(b) === 'button')
      const list = byType('interactive').find((b) => kindOf(b) === 'list')
      expect(buttons).toMatchObject({
        interactive: {
          type: 'button',
          body: { text: 'Shall we confirm your order?' },
          footer: { text: 'Reply with a button' },
          action: {
            buttons: [
              { type: 'reply', reply: { id: 'yes', title: 'Yes' } },
              { type: 'reply', reply: { id: 'no', title: 'No' } },
            ],
          },
        },
      })
      expect(list).toMatchObject({
        interactive: {
          type: 'list',
          body: { text: 'Pick a branch' },
          action: {
            button: 'Branches',
            sections: [
              { title: 'UAE', rows: [{ id: 'dxb', title: 'Dubai', description: 'Mall' }] },
            ],
          },
        },
      })
      expect(byType('template')[0]).toMatchObject({
        template: {
          name: 'order_update',
          language: { code: 'en_US' },
          components: [
            { type: 'body', parameters: [{ type: 'text', text: 'Aisha' }] },
            {
              type: 'button',
              sub_type: 'quick_reply',
              index: '0',
              parameters: [{ type: 'payload', payload: 'track' }],
            },
          ],
        },
      })
      // Every send carries Linda's message id back in the status webhooks.
      for (const body of bodies) expect(typeof body.biz_opaque_callback_data).toBe('string')
    })

    it("reacts with the message's wamid", async () => {
      const to = '+971501110002'
      await cloudContactWrites(to)
      const first = await send({ accountId: cloud.id, to, type: 'text', text: 'Deal?' })
      const sentFirst = await waitForSent(first.json.id)
      const like = await send({
        accountId: cloud.id,
        to,
        type: 'reaction',
        reaction: { messageId: first.json.id, emoji: '🎉' },
      })
      await waitForSent(like.json.id)
      expect(sentTo(to).find((b) => b.type === 'reaction')).toMatchObject({
        reaction: { message_id: sentFirst.externalId, emoji: '🎉' },
      })
    })

    it('refuses a free-form send to a contact who never wrote, and lets a template through', async () => {
      const to = '+971501110003'
      const before = await settledCounts()
      const text = await send({ accountId: cloud.id, to, type: 'text', text: 'Hi!' })
      expect(text.status).toBe(422)
      expect(text.json.code).toBe('OUTSIDE_SERVICE_WINDOW')
      expect(text.json.detail).toMatch(/template/)
      expect(await settledCounts()).toEqual(before)
      expect(sentTo(to)).toEqual([])
      const template = await send({ accountId: cloud.id, to, ...samples.template })
      expect(template.status).toBe(202)
      await waitForSent(template.json.id)
      expect(sentTo(to).map((b) => b.type)).toEqual(['template'])
    })

    it('closes the window 24 hours after the contact last wrote', async () => {
      const to = '+971501110004'
      await cloudContactWrites(to)
      const inside = await send({ accountId: cloud.id, to, type: 'text', text: 'Inside' })
      expect(inside.status).toBe(202)
      const [conversationId] = (
        await listAllMessages(t, { accountId: cloud.id, phone: to, direction: 'in' })
      ).map((m: Message) => m.conversationId)
      const dayAgo = new Date(Date.now() - 25 * 3600 * 1000).toISOString()
      await t.linda.db.db
        .updateTable('conversations')
        .set({ last_inbound_at: dayAgo })
        .where('id', '=', conversationId!)
        .execute()
      const before = await settledCounts()
      for (const sample of [{ type: 'text', text: 'Outside' }, samples.image, samples.buttons]) {
        const res = await send({ accountId: cloud.id, to, ...sample })
        expect(res.status).toBe(422)
        expect(res.json.code).toBe('OUTSIDE_SERVICE_WINDOW')
      }
      expect(await settledCounts()).toEqual(before)
      const template = await send({ accountId: cloud.id, to, ...samples.template })
      expect(template.status).toBe(202)
      // The contact writing again reopens it.
      await cloudContactWrites(to, 'again')
      await waitFor(async () => {
        const res = await send({ accountId: cloud.id, to, type: 'text', text: 'Welcome back' })
        expect(res.status).toBe(202)
      })
    })

    it('shows inbound interactive replies with their content', async () => {
      const from = '+971501110005'
      const webhook = meta.inboundWebhook({
        from,
        message: {
          type: 'interactive',
          interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } },
        },
      })
      expect(await meta.deliver(webhook)).toBe(200)
      const [message] = await waitFor(async () => {
        const found = await listAllMessages(t, {
          accountId: cloud.id,
          phone: from,
          direction: 'in',
        })
        expect(found).toHaveLength(1)
        return found
      })
      expect(await getMessage(t, message!.id)).toMatchObject({
        type: 'button_reply',
        text: 'Yes',
        content: { type: 'button_reply', reply: { id: 'yes', title: 'Yes' } },
      })
    })
  })

  it('keeps a sandbox inbound text message plain', async () => {
    const from = virtualPhone()
    const { id } = await contactWrites(t, from, 'plain words')
    expect(await getMessage(t, id)).toMatchObject({
      type: 'text',
      text: 'plain words',
      content: { type: 'text', text: 'plain words' },
    })
  })
})
