import { describe, expect, it } from 'vitest'
import { CloudApiError } from './cloud.errors.js'
import {
  buildSendPayload,
  cloudOutboundOf,
  mapWebhookValue,
  type CloudInboundMessage,
  type CloudStatusUpdate,
} from './cloud.mapping.js'
import { webhookValueSchema } from './cloud.schemas.js'

// Payloads follow the examples of Meta's webhook references (`webhooks/reference/messages/*`).
const phoneNumberId = '106540352242922'
const from = '16505551234'
const ts = '1739321024'
const tsIso = new Date(1739321024 * 1000).toISOString()

function value(extra: Record<string, unknown>) {
  return webhookValueSchema.parse({
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
    ...extra,
  })
}

function inbound(message: Record<string, unknown>, profile = 'Sheena Nelson') {
  const v = value({
    contacts: [{ profile: { name: profile }, wa_id: from }],
    messages: [{ from, id: 'wamid.IN1', timestamp: ts, ...message }],
  })
  const { events, skipped } = mapWebhookValue(v)
  expect(skipped).toEqual([])
  expect(events).toHaveLength(1)
  const m = events[0]?.inbound
  if (!m) throw new Error('no inbound event')
  return m
}

function status(s: Record<string, unknown>): CloudStatusUpdate {
  const { events, skipped } = mapWebhookValue(value({ statuses: [s] }))
  expect(skipped).toEqual([])
  const u = events[0]?.status
  if (!u) throw new Error('no status event')
  return u
}

const base: Omit<CloudInboundMessage, 'text' | 'content' | 'cloud' | 'type'> = {
  externalId: 'wamid.IN1',
  from: `+${from}`,
  timestamp: tsIso,
  profileName: 'Sheena Nelson',
}

describe(mapWebhookValue.name, () => {
  describe('inbound messages', () => {
    it('maps a text message: E.164 sender, ISO time, profile name', () => {
      expect(inbound({ type: 'text', text: { body: 'hi there' } })).toEqual({
        ...base,
        type: 'text',
        text: 'hi there',
        content: { type: 'text', text: 'hi there' },
        cloud: { kind: 'text', body: 'hi there' },
      })
    })

    it('maps an image with its media id, MIME type, sha256 and caption', () => {
      const m = inbound({
        type: 'image',
        image: {
          caption: 'This is a caption',
          mime_type: 'image/jpeg',
          sha256: '81d3bd8a8db4868c9520ed47186e8b7c5789e61ff79f7f834be6950b808a90d3',
          id: '2754859441498128',
        },
      })
      expect(m).toEqual({
        ...base,
        type: 'image',
        text: 'This is a caption',
        content: {
          type: 'image',
          media: {
            providerId: '2754859441498128',
            mimeType: 'image/jpeg',
            sha256: '81d3bd8a8db4868c9520ed47186e8b7c5789e61ff79f7f834be6950b808a90d3',
            caption: 'This is a caption',
          },
        },
        cloud: {
          kind: 'image',
          media: {
            id: '2754859441498128',
            mimeType: 'image/jpeg',
            sha256: '81d3bd8a8db4868c9520ed47186e8b7c5789e61ff79f7f834be6950b808a90d3',
            caption: 'This is a caption',
          },
        },
      })
    })

    it('maps audio (a voice note), video, a document with its filename, and a sticker', () => {
      const sha256 = 'a'.repeat(64)
      expect(
        inbound({
          type: 'audio',
          audio: { mime_type: 'audio/ogg; codecs=opus', sha256, id: '1', voice: true },
        }).cloud,
      ).toEqual({
        kind: 'audio',
        media: { id: '1', mimeType: 'audio/ogg; codecs=opus', sha256, voice: true },
      })
      const video = inbound({
        type: 'video',
        video: { mime_type: 'video/mp4', sha256, id: '2', caption: 'clip' },
      })
      expect(video.text).toBe('clip')
      expect(video.cloud).toEqual({
        kind: 'video',
        media: { id: '2', mimeType: 'video/mp4', sha256, caption: 'clip' },
      })
      const doc = inbound({
        type: 'document',
        document: { filename: 'invoice.pdf', mime_type: 'application/pdf', sha256, id: '3' },
      })
      expect(doc.text).toBeNull()
      expect(doc.cloud).toEqual({
        kind: 'document',
        media: { id: '3', mimeType: 'application/pdf', sha256, filename: 'invoice.pdf' },
      })
      expect(
        inbound({
          type: 'sticker',
          sticker: { mime_type: 'image/webp', sha256, id: '4', animated: false },
        }).cloud,
      ).toEqual({
        kind: 'sticker',
        media: { id: '4', mimeType: 'image/webp', sha256, animated: false },
      })
    })

    it('maps a location', () => {
      const m = inbound({
        type: 'location',
        location: {
          address: '101 Forest Ave, Palo Alto, CA 94301',
          latitude: 37.44221496582,
          longitude: -122.16155242919,
          name: 'Philz Coffee',
          url: 'https://philzcoffee.com/',
        },
      })
      expect(m.text).toBeNull()
      expect(m.cloud).toEqual({
        kind: 'location',
        latitude: 37.44221496582,
        longitude: -122.16155242919,
        name: 'Philz Coffee',
        address: '101 Forest Ave, Palo Alto, CA 94301',
        url: 'https://philzcoffee.com/',
      })
    })

    it('maps shared contacts, keeping what the sender chose to share', () => {
      const m = inbound({
        type: 'contacts',
        contacts: [
          {
            addresses: [{ city: 'Menlo Park', country_code: 'US', type: 'HOME' }],
            birthday: '1999-01-23',
            emails: [{ email: 'bjohnson@example.com', type: 'WORK' }],
            name: {
              formatted_name: 'Barbara J. Johnson',
              first_name: 'Barbara',
              last_name: 'Johnson',
            },
            org: { company: 'Lucky Shrub', title: 'Lead' },
            phones: [{ phone: '+1 (415) 555-0123', wa_id: '14155550123', type: 'MOBILE' }],
            urls: [{ url: 'https://www.luckyshrub.com', type: 'WORK' }],
          },
          { name: { first_name: 'Ann' } },
        ],
      })
      expect(m.cloud).toEqual({
        kind: 'contacts',
        contacts: [
          {
            name: { formatted: 'Barbara J. Johnson', first: 'Barbara', last: 'Johnson' },
            phones: [{ phone: '+1 (415) 555-0123', waId: '14155550123', type: 'MOBILE' }],
            emails: [{ email: 'bjohnson@example.com', type: 'WORK' }],
            urls: [{ url: 'https://www.luckyshrub.com', type: 'WORK' }],
            addresses: [{ city: 'Menlo Park', countryCode: 'US', type: 'HOME' }],
            org: { company: 'Lucky Shrub', title: 'Lead' },
            birthday: '1999-01-23',
          },
          { name: { formatted: 'Ann', first: 'Ann' } },
        ],
      })
    })

    it('maps a reply-button tap to its id and title, with the message it answers', () => {
      const m = inbound({
        context: { from: '15550783881', id: 'wamid.OUT1' },
        type: 'interactive',
        interactive: {
          type: 'button_reply',
          button_reply: { id: 'cancel-button', title: 'Cancel' },
        },
      })
      expect(m).toEqual({
        ...base,
        type: 'button_reply',
        text: 'Cancel',
        replyTo: 'wamid.OUT1',
        content: { type: 'button_reply', reply: { id: 'cancel-button', title: 'Cancel' } },
        cloud: { kind: 'button_reply', id: 'cancel-button', title: 'Cancel' },
      })
    })

    it('maps a list pick', () => {
      const m = inbound({
        type: 'interactive',
        interactive: {
          type: 'list_reply',
          list_reply: {
            id: 'priority_express',
            title: 'Priority Mail Express',
            description: 'Next Day to 2 Days',
          },
        },
      })
      expect(m.text).toBe('Priority Mail Express')
      expect(m.cloud).toEqual({
        kind: 'list_reply',
        id: 'priority_express',
        title: 'Priority Mail Express',
        description: 'Next Day to 2 Days',
      })
    })

    it("maps a template's quick-reply button", () => {
      const m = inbound({
        context: { from: '15550783881', id: 'wamid.TPL' },
        type: 'button',
        button: { payload: 'unsubscribe', text: 'Unsubscribe' },
      })
      expect(m.text).toBe('Unsubscribe')
      expect(m.replyTo).toBe('wamid.TPL')
      expect(m.cloud).toEqual({ kind: 'button', text: 'Unsubscribe', payload: 'unsubscribe' })
    })

    it('maps a reaction, and a removed reaction to a null emoji', () => {
      const added = inbound({
        type: 'reaction',
        reaction: { message_id: 'wamid.OUT2', emoji: '👍' },
      })
      expect(added.text).toBe('👍')
      expect(added.replyTo).toBe('wamid.OUT2')
      expect(added.cloud).toEqual({ kind: 'reaction', messageId: 'wamid.OUT2', emoji: '👍' })
      const removed = inbound({ type: 'reaction', reaction: { message_id: 'wamid.OUT2' } })
      expect(removed.text).toBeNull()
      expect(removed.cloud).toEqual({ kind: 'reaction', messageId: 'wamid.OUT2', emoji: null })
    })

    it("reports Meta's unsupported messages with their type and error", () => {
      const m = inbound({
        type: 'unsupported',
        errors: [
          {
            code: 131051,
            title: 'Message type unknown',
            message: 'Message type unknown',
            error_data: { details: 'Message type is currently not supported.' },
          },
        ],
        unsupported: { type: 'poll_update' },
      })
      expect(m.text).toBeNull()
      expect(m.cloud).toEqual({
        kind: 'unsupported',
        unsupportedType: 'poll_update',
        error: {
          code: '131051',
          message: 'Message type unknown',
          details: 'Message type is currently not supported.',
        },
      })
    })

    it('tolerates a type it does not know, reporting it as unsupported', () => {
      const m = inbound({ type: 'order', order: { catalog_id: '1', product_items: [] } })
      expect(m.cloud).toEqual({ kind: 'unsupported', unsupportedType: 'order' })
    })

    it('marks forwarded messages and leaves profileName out when Meta gives none', () => {
      const v = value({
        messages: [
          {
            from,
            id: 'wamid.F',
            timestamp: ts,
            type: 'text',
            text: { body: 'fwd' },
            context: { forwarded: true },
          },
        ],
      })
      const m = mapWebhookValue(v).events[0]?.inbound
      expect(m?.forwarded).toBe(true)
      expect(m).not.toHaveProperty('profileName')
    })

    it('skips a message without the fields its type needs, keeping the rest of the delivery', () => {
      const v = value({
        messages: [
          { from, id: 'wamid.BAD', timestamp: ts, type: 'image', image: { caption: 'no id' } },
          { from, id: 'wamid.GOOD', timestamp: ts, type: 'text', text: { body: 'ok' } },
          { id: 'wamid.NOFROM', timestamp: ts, type: 'text', text: { body: 'who?' } },
          'not even an object',
        ],
      })
      const { events, skipped } = mapWebhookValue(v)
      expect(events.map((e) => e.inbound?.externalId)).toEqual(['wamid.GOOD'])
      expect(skipped.map((s) => [s.what, s.id])).toEqual([
        ['message', 'wamid.BAD'],
        ['message', 'wamid.NOFROM'],
        ['message', undefined],
      ])
      expect(skipped[0]?.reason).toContain('image')
    })
  })

  describe('statuses', () => {
    const recipient = '16505551234'

    it('maps sent, delivered and read, with the client reference Linda sent', () => {
      for (const s of ['sent', 'delivered', 'read'] as const) {
        expect(
          status({
            id: 'wamid.OUT1',
            status: s,
            timestamp: ts,
            recipient_id: recipient,
            biz_opaque_callback_data: 'msg-123',
            pricing: { billable: true, pricing_model: 'PMP', category: 'utility' },
          }),
        ).toEqual({
          externalId: 'wamid.OUT1',
          status: s,
          timestamp: tsIso,
          recipient: `+${recipient}`,
          clientReference: 'msg-123',
        })
      }
    })

    it("maps failed with Meta's error code, title and details", () => {
      expect(
        status({
          id: 'wamid.OUT1',
          status: 'failed',
          timestamp: ts,
          recipient_id: recipient,
          errors: [
            {
              code: 131026,
              title: 'Message undeliverable',
              message: 'Message undeliverable',
              error_data: { details: 'Message Undeliverable.' },
              href: '/docs/whatsapp/cloud-api/support/error-codes/',
            },
          ],
        }),
      ).toEqual({
        externalId: 'wamid.OUT1',
        status: 'failed',
        timestamp: tsIso,
        recipient: `+${recipient}`,
        error: {
          code: '131026',
          message: 'Message undeliverable',
          details: 'Message Undeliverable.',
        },
      })
    })

    it('skips statuses Linda does not track (deleted, warning) and malformed ones', () => {
      const { events, skipped } = mapWebhookValue(
        value({
          statuses: [
            { id: 'wamid.A', status: 'deleted', timestamp: ts, recipient_id: recipient },
            { id: 'wamid.B', status: 'read', recipient_id: recipient },
            { id: 'wamid.C', status: 'read', timestamp: ts, recipient_id: recipient },
          ],
        }),
      )
      expect(events.map((e) => e.status?.externalId)).toEqual(['wamid.C'])
      expect(skipped.map((s) => s.id)).toEqual(['wamid.A', 'wamid.B'])
    })

    it('reports value-level errors as account events', () => {
      const { events } = mapWebhookValue(
        value({
          errors: [{ code: 130429, title: 'Rate limit hit', error_data: { details: 'Too many' } }],
        }),
      )
      expect(events).toEqual([
        {
          phoneNumberId,
          error: { code: '130429', message: 'Rate limit hit', details: 'Too many' },
        },
      ])
    })

    it('keeps messages before statuses, each in delivery order', () => {
      const { events } = mapWebhookValue(
        value({
          messages: [{ from, id: 'wamid.M', timestamp: ts, type: 'text', text: { body: 'x' } }],
          statuses: [
            { id: 'wamid.S1', status: 'sent', timestamp: ts, recipient_id: recipient },
            { id: 'wamid.S2', status: 'delivered', timestamp: ts, recipient_id: recipient },
          ],
        }),
      )
      expect(events.map((e) => e.inbound?.externalId ?? e.status?.externalId)).toEqual([
        'wamid.M',
        'wamid.S1',
        'wamid.S2',
      ])
    })
  })
})

describe(buildSendPayload.name, () => {
  const envelope = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: '971501234567',
  }
  const to = '+971501234567'

  it('builds a text message: digits without +, preview_url, context and callback data', () => {
    expect(
      buildSendPayload({
        type: 'text',
        to,
        text: 'Hello https://x.io',
        previewUrl: true,
        replyTo: 'wamid.IN',
        clientReference: 'm-1',
      }),
    ).toStrictEqual({
      ...envelope,
      type: 'text',
      text: { body: 'Hello https://x.io', preview_url: true },
      context: { message_id: 'wamid.IN' },
      biz_opaque_callback_data: 'm-1',
    })
    expect(buildSendPayload({ type: 'text', to, text: 'Hi' })).toStrictEqual({
      ...envelope,
      type: 'text',
      text: { body: 'Hi', preview_url: false },
    })
  })

  it('builds media by link and by uploaded id, with captions and filenames where Meta takes them', () => {
    expect(
      buildSendPayload({
        type: 'image',
        to,
        media: { link: 'https://cdn.example/a.jpg' },
        caption: 'A',
      }),
    ).toStrictEqual({
      ...envelope,
      type: 'image',
      image: { link: 'https://cdn.example/a.jpg', caption: 'A' },
    })
    expect(
      buildSendPayload({ type: 'video', to, media: { id: '1013859600285441' } }),
    ).toStrictEqual({
      ...envelope,
      type: 'video',
      video: { id: '1013859600285441' },
    })
    expect(
      buildSendPayload({
        type: 'document',
        to,
        media: { link: 'https://cdn.example/i.pdf' },
        caption: 'Invoice',
        filename: 'invoice.pdf',
      }),
    ).toStrictEqual({
      ...envelope,
      type: 'document',
      document: { link: 'https://cdn.example/i.pdf', caption: 'Invoice', filename: 'invoice.pdf' },
    })
    expect(
      buildSendPayload({ type: 'audio', to, media: { link: 'https://cdn.example/a.ogg' } }),
    ).toStrictEqual({
      ...envelope,
      type: 'audio',
      audio: { link: 'https://cdn.example/a.ogg' },
    })
    expect(
      buildSendPayload({ type: 'sticker', to, media: { id: '798882015472548' } }),
    ).toStrictEqual({
      ...envelope,
      type: 'sticker',
      sticker: { id: '798882015472548' },
    })
  })

  it('builds a location', () => {
    expect(
      buildSendPayload({
        type: 'location',
        to,
        latitude: 25.2,
        longitude: 55.27,
        name: 'Office',
        address: 'Dubai',
      }),
    ).toStrictEqual({
      ...envelope,
      type: 'location',
      location: { latitude: 25.2, longitude: 55.27, name: 'Office', address: 'Dubai' },
    })
  })

  it('builds contacts in Meta’s field names', () => {
    expect(
      buildSendPayload({
        type: 'contacts',
        to,
        contacts: [
          {
            name: { formatted: 'Aisha K', first: 'Aisha', last: 'K' },
            phones: [{ phone: '+971501234567', type: 'CELL', waId: '971501234567' }],
            emails: [{ email: 'a@example.com' }],
            addresses: [{ city: 'Dubai', countryCode: 'AE' }],
            org: { company: 'Linda' },
          },
        ],
      }),
    ).toStrictEqual({
      ...envelope,
      type: 'contacts',
      contacts: [
        {
          name: { formatted_name: 'Aisha K', first_name: 'Aisha', last_name: 'K' },
          phones: [{ phone: '+971501234567', type: 'CELL', wa_id: '971501234567' }],
          emails: [{ email: 'a@example.com' }],
          addresses: [{ city: 'Dubai', country_code: 'AE' }],
          org: { company: 'Linda' },
        },
      ],
    })
  })

  it('builds a reaction (no context even when asked to reply)', () => {
    expect(
      buildSendPayload({
        type: 'reaction',
        to,
        messageId: 'wamid.IN',
        emoji: '❤️',
        replyTo: 'wamid.X',
      }),
    ).toStrictEqual({
      ...envelope,
      type: 'reaction',
      reaction: { message_id: 'wamid.IN', emoji: '❤️' },
    })
  })

  it('builds interactive reply buttons', () => {
    expect(
      buildSendPayload({
        type: 'buttons',
        to,
        header: 'Order 42',
        body: 'Confirm your order?',
        footer: 'Reply within a day',
        buttons: [
          { id: 'yes', title: 'Yes' },
          { id: 'no', title: 'No' },
        ],
      }),
    ).toStrictEqual({
      ...envelope,
      type: 'interactive',
      interactive: {
        type: 'button',
        header: { type: 'text', text: 'Order 42' },
        body: { text: 'Confirm your order?' },
        footer: { text: 'Reply within a day' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'yes', title: 'Yes' } },
            { type: 'reply', reply: { id: 'no', title: 'No' } },
          ],
        },
      },
    })
  })

  it('builds an interactive list', () => {
    expect(
      buildSendPayload({
        type: 'list',
        to,
        body: 'Pick a shipping option',
        button: 'Options',
        sections: [
          {
            title: 'Fast',
            rows: [
              { id: 'priority_express', title: 'Priority Mail Express', description: 'Next day' },
            ],
          },
          { rows: [{ id: 'ground', title: 'Ground' }] },
        ],
      }),
    ).toStrictEqual({
      ...envelope,
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Pick a shipping option' },
        action: {
          button: 'Options',
          sections: [
            {
              title: 'Fast',
              rows: [
                { id: 'priority_express', title: 'Priority Mail Express', description: 'Next day' },
              ],
            },
            { rows: [{ id: 'ground', title: 'Ground' }] },
          ],
        },
      },
    })
  })

  it('builds a template with header, body and button components', () => {
    expect(
      buildSendPayload({
        type: 'template',
        to,
        name: 'order_update',
        language: 'en_US',
        components: [
          {
            type: 'header',
            parameters: [{ type: 'image', media: { link: 'https://cdn.example/h.png' } }],
          },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Aisha' },
              { type: 'text', text: '42', name: 'order_id' },
              { type: 'currency', fallback: 'AED 10.50', code: 'AED', amount1000: 10_500 },
              { type: 'dateTime', fallback: 'May 1, 2026' },
            ],
          },
          { type: 'button', subType: 'quick_reply', index: 0, payload: 'stop' },
          { type: 'button', subType: 'url', index: 1, text: 'orders/42' },
          { type: 'button', subType: 'copy_code', index: 2, couponCode: 'SAVE10' },
        ],
      }),
    ).toStrictEqual({
      ...envelope,
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en_US' },
        components: [
          {
            type: 'header',
            parameters: [{ type: 'image', image: { link: 'https://cdn.example/h.png' } }],
          },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Aisha' },
              { type: 'text', parameter_name: 'order_id', text: '42' },
              {
                type: 'currency',
                currency: { fallback_value: 'AED 10.50', code: 'AED', amount_1000: 10_500 },
              },
              { type: 'date_time', date_time: { fallback_value: 'May 1, 2026' } },
            ],
          },
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '0',
            parameters: [{ type: 'payload', payload: 'stop' }],
          },
          {
            type: 'button',
            sub_type: 'url',
            index: '1',
            parameters: [{ type: 'text', text: 'orders/42' }],
          },
          {
            type: 'button',
            sub_type: 'copy_code',
            index: '2',
            parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }],
          },
        ],
      },
    })
    expect(
      buildSendPayload({ type: 'template', to, name: 'hello_world', language: 'en_US' }),
    ).toStrictEqual({
      ...envelope,
      type: 'template',
      template: { name: 'hello_world', language: { code: 'en_US' } },
    })
  })

  it('refuses a recipient that is not an E.164 number, before any request', () => {
    for (const bad of ['', '+', 'abc', '+1 555 0100', '0097150;drop']) {
      expect(() => buildSendPayload({ type: 'text', to: bad, text: 'x' })).toThrow(CloudApiError)
    }
  })
})

describe(cloudOutboundOf.name, () => {
  const to = '+15550001111'
  const noUpload = () => Promise.reject(new Error('no upload expected'))

  it('sends plain text, with a link preview when it has a link', async () => {
    expect(
      await cloudOutboundOf({ messageId: 'm1', to, type: 'text', text: 'hi' }, noUpload),
    ).toEqual({ to, clientReference: 'm1', type: 'text', text: 'hi', previewUrl: false })
    const linked = await cloudOutboundOf(
      { messageId: 'm1', to, type: 'text', text: 'see https://e.com' },
      noUpload,
    )
    expect(linked).toMatchObject({ previewUrl: true })
  })

  it("uploads Linda's media and sends it by Meta's id, links as links", async () => {
    const uploads: string[] = []
    const upload = (id: string) => {
      uploads.push(id)
      return Promise.resolve(`meta-${id}`)
    }
    const doc = await cloudOutboundOf(
      {
        messageId: 'm2',
        to,
        type: 'document',
        text: 'Invoice',
        content: {
          type: 'document',
          media: { mediaId: 'lm1', caption: 'Invoice', filename: 'inv.pdf' },
        },
      },
      upload,
    )
    expect(doc).toEqual({
      to,
      clientReference: 'm2',
      type: 'document',
      media: { id: 'meta-lm1' },
      caption: 'Invoice',
      filename: 'inv.pdf',
    })
    const template = await cloudOutboundOf(
      {
        messageId: 'm3',
        to,
        type: 'template',
        text: '',
        content: {
          type: 'template',
          template: {
            name: 'receipt',
            language: 'en',
            components: [
              {
                type: 'header',
                parameters: [{ type: 'image', media: { mediaId: 'lm2' } }],
              },
              { type: 'body', parameters: [{ type: 'text', text: 'Aisha' }] },
            ],
          },
        },
      },
      upload,
    )
    expect(buildSendPayload(template)).toMatchObject({
      template: {
        components: [
          { type: 'header', parameters: [{ type: 'image', image: { id: 'meta-lm2' } }] },
          { type: 'body', parameters: [{ type: 'text', text: 'Aisha' }] },
        ],
      },
    })
    expect(uploads).toEqual(['lm1', 'lm2'])
  })

  it('maps interactive buttons and lists, locations and reactions', async () => {
    const buttons = await cloudOutboundOf(
      {
        messageId: 'm4',
        to,
        type: 'interactive',
        text: 'Pick',
        content: {
          type: 'interactive',
          interactive: { type: 'buttons', body: 'Pick', buttons: [{ id: 'y', title: 'Yes' }] },
        },
      },
      noUpload,
    )
    expect(buildSendPayload(buttons)).toMatchObject({
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'Pick' },
        action: { buttons: [{ type: 'reply', reply: { id: 'y', title: 'Yes' } }] },
      },
    })
    const reaction = await cloudOutboundOf(
      {
        messageId: 'm5',
        to,
        type: 'reaction',
        text: '',
        content: {
          type: 'reaction',
          reaction: { messageId: 'm4', externalId: 'wamid.X', emoji: null },
        },
      },
      noUpload,
    )
    expect(buildSendPayload(reaction)).toMatchObject({
      type: 'reaction',
      reaction: { message_id: 'wamid.X', emoji: '' },
    })
    await expect(
      cloudOutboundOf(
        {
          messageId: 'm6',
          to,
          type: 'reaction',
          text: '',
          content: { type: 'reaction', reaction: { messageId: 'm4', emoji: '👍' } },
        },
        noUpload,
      ),
    ).rejects.toThrow(CloudApiError)
  })
})
