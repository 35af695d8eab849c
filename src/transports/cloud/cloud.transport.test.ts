import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { ConnectionState, InboundMessage, StatusUpdate, TransportListener } from '../port.js'
import { CloudApiError } from './cloud.errors.js'
import type { CloudWebhookEvent } from './cloud.mapping.js'
import { CloudTransport, type CloudTransportOptions } from './cloud.transport.js'

const settings = {
  phoneNumberId: '106540352242922',
  accessToken: 'EAAG-secret-token',
  appSecret: 'app-secret',
  verifyToken: 'verify',
  graphBaseUrl: 'https://graph.example.test/',
  apiVersion: 'v21.0',
}

interface Call {
  url: string
  method: string
  headers: Headers
  body: unknown
}

type Handler = (call: Call, signal: AbortSignal | undefined) => Response | Promise<Response>

function stubFetch(handler: Handler) {
  const calls: Call[] = []
  const fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers)
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : init?.body
    const call = { url: String(input), method: init?.method ?? 'GET', headers, body }
    calls.push(call)
    return handler(call, init?.signal ?? undefined)
  }
  return { fetch, calls }
}

function recordingListener() {
  const states: Array<[ConnectionState, string | undefined]> = []
  const inbound: InboundMessage[] = []
  const statusBatches: StatusUpdate[][] = []
  const listener: TransportListener = {
    inbound: (m) => {
      inbound.push(m)
      return Promise.resolve({ messageId: `linda-${inbound.length}`, duplicate: false })
    },
    statuses: (u) => {
      statusBatches.push([...u])
      return Promise.resolve()
    },
    state: (s, reason) => {
      states.push([s, reason])
    },
  }
  return { listener, states, inbound, statusBatches }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })

const sendOk = (id = 'wamid.OK') =>
  json(200, {
    messaging_product: 'whatsapp',
    contacts: [{ input: '971501234567', wa_id: '971501234567' }],
    messages: [{ id }],
  })

const phoneNode = () =>
  json(200, { id: settings.phoneNumberId, display_phone_number: '+1 555 0100' })

const graphError = (code: number, title: string) => ({
  error: { message: `(#${code}) ${title}`, type: 'OAuthException', code, fbtrace_id: 'X' },
})

async function connected(handler: Handler, options: CloudTransportOptions = {}) {
  const stub = stubFetch(handler)
  const rec = recordingListener()
  const transport = new CloudTransport(rec.listener, settings, {
    fetch: stub.fetch,
    verifyOnConnect: false,
    ...options,
  })
  await transport.connect()
  return { transport, ...stub, ...rec }
}

const signal = () => new AbortController().signal
const text = { messageId: 'msg-1', to: '+971501234567', type: 'text' as const, text: 'Hello' }

describe(CloudTransport.name, () => {
  describe('send', () => {
    it('POSTs the text to /{version}/{phone-number-id}/messages with the bearer token and returns the wamid', async () => {
      const t = await connected(() => sendOk('wamid.HBgL123'))
      await expect(t.transport.send(text, signal())).resolves.toEqual({
        externalId: 'wamid.HBgL123',
      })
      expect(t.calls).toHaveLength(1)
      const [call] = t.calls
      expect(call?.url).toBe('https://graph.example.test/v21.0/106540352242922/messages')
      expect(call?.method).toBe('POST')
      expect(call?.headers.get('authorization')).toBe('Bearer EAAG-secret-token')
      expect(call?.headers.get('content-type')).toBe('application/json')
      expect(call?.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '971501234567',
        type: 'text',
        text: { body: 'Hello', preview_url: false },
        biz_opaque_callback_data: 'msg-1',
      })
    })

    it('asks for a link preview when the text has a link', async () => {
      const t = await connected(() => sendOk())
      await t.transport.send({ ...text, text: 'See https://example.com/x' }, signal())
      expect(t.calls[0]?.body).toMatchObject({ text: { preview_url: true } })
    })

    it('sends richer messages through sendCloud and reports the WhatsApp id', async () => {
      const t = await connected(() => sendOk('wamid.R'))
      await expect(
        t.transport.sendCloud({
          type: 'reaction',
          to: '+971501234567',
          messageId: 'wamid.IN',
          emoji: '👍',
        }),
      ).resolves.toEqual({ externalId: 'wamid.R', waId: '971501234567' })
    })

    it('throws a retryable CLOUD_DISCONNECTED before connect and after disconnect, without a request', async () => {
      const stub = stubFetch(() => sendOk())
      const rec = recordingListener()
      const transport = new CloudTransport(rec.listener, settings, {
        fetch: stub.fetch,
        verifyOnConnect: false,
      })
      await expect(transport.send(text, signal())).rejects.toMatchObject({
        code: 'CLOUD_DISCONNECTED',
        retryable: true,
      })
      await transport.connect()
      await transport.disconnect()
      await expect(transport.send(text, signal())).rejects.toMatchObject({
        code: 'CLOUD_DISCONNECTED',
      })
      expect(stub.calls).toHaveLength(0)
      expect(rec.states.map(([s]) => s)).toEqual(['connected', 'disconnected'])
    })

    it('maps a Meta error answer to a CloudApiError', async () => {
      const t = await connected(() => json(400, graphError(131047, 'Re-engagement message')))
      const err = await t.transport.send(text, signal()).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(CloudApiError)
      expect(err).toMatchObject({ code: 'CLOUD_OUTSIDE_WINDOW', retryable: false })
    })

    it('puts the account in error on an auth failure and then fails sends without calling Meta', async () => {
      const t = await connected(() => json(401, graphError(190, 'Error validating access token')))
      await expect(t.transport.send(text, signal())).rejects.toMatchObject({
        code: 'CLOUD_AUTH_FAILED',
        authFailure: true,
        retryable: false,
      })
      expect(t.states.at(-1)?.[0]).toBe('error')
      expect(t.states.at(-1)?.[1]).toMatch(/token/)
      expect(t.transport.state).toBe('error')
      await expect(t.transport.send(text, signal())).rejects.toMatchObject({
        code: 'CLOUD_AUTH_FAILED',
      })
      expect(t.calls).toHaveLength(1)
    })

    it("propagates the caller's abort as is", async () => {
      const t = await connected(
        (_call, s) =>
          new Promise<Response>((_resolve, reject) => {
            s?.addEventListener('abort', () => reject(s.reason as Error))
          }),
      )
      const controller = new AbortController()
      const sending = t.transport.send(text, controller.signal)
      controller.abort(new Error('worker stopping'))
      await expect(sending).rejects.toThrow('worker stopping')
    })

    it('times out a send as CLOUD_TIMEOUT, not retried blindly since Meta may have sent it', async () => {
      const t = await connected(
        (_call, s) =>
          new Promise<Response>((_resolve, reject) => {
            s?.addEventListener('abort', () => reject(s.reason as Error))
          }),
        { requestTimeoutMs: 20 },
      )
      await expect(t.transport.send(text, signal())).rejects.toMatchObject({
        code: 'CLOUD_TIMEOUT',
        retryable: false,
        deliveryUnknown: true,
      })
    })

    it('retries when the Graph API cannot be reached, but not when the connection drops mid-request', async () => {
      const refused = await connected(() => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
        })
      })
      await expect(refused.transport.send(text, signal())).rejects.toMatchObject({
        code: 'CLOUD_NETWORK',
        retryable: true,
        deliveryUnknown: false,
      })
      const reset = await connected(() => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('socket'), { code: 'ECONNRESET' }),
        })
      })
      await expect(reset.transport.send(text, signal())).rejects.toMatchObject({
        code: 'CLOUD_NETWORK',
        retryable: false,
        deliveryUnknown: true,
      })
    })

    it('refuses a success answer without a message id', async () => {
      const t = await connected(() => json(200, { messaging_product: 'whatsapp', messages: [] }))
      await expect(t.transport.send(text, signal())).rejects.toMatchObject({
        code: 'CLOUD_BAD_RESPONSE',
        deliveryUnknown: true,
      })
    })

    it('refuses a recipient that is not E.164 without calling Meta', async () => {
      const t = await connected(() => sendOk())
      await expect(
        t.transport.send({ ...text, to: 'not-a-number' }, signal()),
      ).rejects.toMatchObject({
        code: 'CLOUD_INVALID_REQUEST',
      })
      expect(t.calls).toHaveLength(0)
    })
  })

  describe('connect', () => {
    it('checks the phone number with the token, then reports connected', async () => {
      const stub = stubFetch(() => phoneNode())
      const rec = recordingListener()
      const transport = new CloudTransport(rec.listener, settings, { fetch: stub.fetch })
      await transport.connect()
      expect(stub.calls[0]?.url).toMatch(
        /^https:\/\/graph\.example\.test\/v21\.0\/106540352242922\?fields=/,
      )
      expect(stub.calls[0]?.headers.get('authorization')).toBe('Bearer EAAG-secret-token')
      expect(rec.states).toEqual([['connected', undefined]])
    })

    it('reports error with the reason when the token is refused', async () => {
      const stub = stubFetch(() => json(401, graphError(190, 'Invalid OAuth access token')))
      const rec = recordingListener()
      const transport = new CloudTransport(rec.listener, settings, { fetch: stub.fetch })
      await transport.connect()
      expect(rec.states).toHaveLength(1)
      expect(rec.states[0]?.[0]).toBe('error')
      expect(rec.states[0]?.[1]).toMatch(/access token/)
    })

    it('reports reconnecting while Meta is unreachable, and connected once a call succeeds', async () => {
      let up = false
      const stub = stubFetch((call) => {
        if (!up) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })
        return call.method === 'POST' ? sendOk() : phoneNode()
      })
      const rec = recordingListener()
      const transport = new CloudTransport(rec.listener, settings, { fetch: stub.fetch })
      await transport.connect()
      expect(rec.states[0]?.[0]).toBe('reconnecting')
      expect(rec.states[0]?.[1]).toMatch(/ECONNREFUSED/)
      up = true
      // Sends are not held back while reconnecting; a success shows the API is back.
      await transport.sendCloud({ type: 'text', to: '+15550001111', text: 'x' })
      expect(transport.state).toBe('connected')
      await transport.disconnect()
      expect(rec.states.map(([s]) => s)).toEqual(['reconnecting', 'connected', 'disconnected'])
    })
  })

  describe('downloadMedia', () => {
    const bytes = Buffer.from('fake-jpeg-bytes')
    const sha = createHash('sha256').update(bytes).digest('hex')
    const mediaInfo = (over: Record<string, unknown> = {}) =>
      json(200, {
        messaging_product: 'whatsapp',
        url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1',
        mime_type: 'image/jpeg',
        sha256: sha,
        file_size: String(bytes.length),
        id: '1',
        ...over,
      })

    it('asks Meta for the URL, downloads with the token and checks the sha256', async () => {
      const t = await connected((call) =>
        call.url.includes('lookaside')
          ? new Response(bytes, { headers: { 'content-type': 'image/jpeg' } })
          : mediaInfo(),
      )
      const media = await t.transport.downloadMedia('1', { expectedSha256: sha })
      expect(media).toEqual({
        data: bytes,
        mimeType: 'image/jpeg',
        kind: 'image',
        sha256: sha,
        size: bytes.length,
      })
      expect(t.calls.map((c) => c.url)).toEqual([
        'https://graph.example.test/v21.0/1?phone_number_id=106540352242922',
        'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1',
      ])
      expect(t.calls[1]?.headers.get('authorization')).toBe('Bearer EAAG-secret-token')
    })

    it('refuses media over the limit for its type before downloading it', async () => {
      const t = await connected(() => mediaInfo({ file_size: 6 * 1024 * 1024 }))
      await expect(t.transport.downloadMedia('1')).rejects.toMatchObject({
        code: 'CLOUD_MEDIA_TOO_LARGE',
        retryable: false,
      })
      expect(t.calls).toHaveLength(1)
    })

    it('stops reading when the bytes exceed the limit whatever Meta announced', async () => {
      const big = Buffer.alloc(64 * 1024, 1)
      const t = await connected((call) =>
        call.url.includes('lookaside')
          ? new Response(new Blob([big]).stream())
          : mediaInfo({ file_size: 10 }),
      )
      await expect(t.transport.downloadMedia('1', { maxBytes: 1000 })).rejects.toMatchObject({
        code: 'CLOUD_MEDIA_TOO_LARGE',
      })
    })

    it('refuses bytes that do not match the announced sha256', async () => {
      const t = await connected((call) =>
        call.url.includes('lookaside') ? new Response(Buffer.from('tampered')) : mediaInfo(),
      )
      await expect(t.transport.downloadMedia('1')).rejects.toMatchObject({
        code: 'CLOUD_MEDIA_CORRUPT',
      })
      const t2 = await connected((call) =>
        call.url.includes('lookaside') ? new Response(bytes) : mediaInfo(),
      )
      await expect(
        t2.transport.downloadMedia('1', { expectedSha256: 'b'.repeat(64) }),
      ).rejects.toMatchObject({
        code: 'CLOUD_MEDIA_CORRUPT',
      })
    })

    it('never sends the token to a media URL outside Meta', async () => {
      const t = await connected(() => mediaInfo({ url: 'https://attacker.example/steal' }))
      await expect(t.transport.downloadMedia('1')).rejects.toMatchObject({
        code: 'CLOUD_BAD_RESPONSE',
      })
      expect(t.calls.map((c) => c.url)).not.toContain('https://attacker.example/steal')
    })

    it('refuses an id that is not a media id (no path tricks)', async () => {
      const t = await connected(() => mediaInfo())
      await expect(t.transport.downloadMedia('../106540352242922/messages')).rejects.toMatchObject({
        code: 'CLOUD_INVALID_REQUEST',
      })
      expect(t.calls).toHaveLength(0)
    })
  })

  describe('uploadMedia', () => {
    it('POSTs a multipart form to /{phone-number-id}/media', async () => {
      const t = await connected(() => json(200, { id: '1013859600285441' }))
      await expect(
        t.transport.uploadMedia(Buffer.from('x'), 'image/png', { filename: 'a.png' }),
      ).resolves.toEqual({
        id: '1013859600285441',
      })
      const body = t.calls[0]?.body
      expect(t.calls[0]?.url).toBe('https://graph.example.test/v21.0/106540352242922/media')
      expect(body).toBeInstanceOf(FormData)
      const form = body as FormData
      expect(form.get('messaging_product')).toBe('whatsapp')
      expect(form.get('type')).toBe('image/png')
      expect(form.get('file')).toBeInstanceOf(Blob)
    })
  })

  describe('handleWebhookEvent(s)', () => {
    const inbound: CloudWebhookEvent = {
      phoneNumberId: settings.phoneNumberId,
      inbound: {
        externalId: 'wamid.IN',
        from: '+15550001111',
        type: 'text',
        text: 'hi',
        timestamp: '2026-01-01T00:00:00.000Z',
        content: { type: 'text', text: 'hi' },
        cloud: { kind: 'text', body: 'hi' },
      },
    }
    const status = (id: string): CloudWebhookEvent => ({
      phoneNumberId: settings.phoneNumberId,
      status: {
        externalId: id,
        status: 'read',
        timestamp: '2026-01-01T00:00:00.000Z',
        recipient: '+1',
      },
    })

    it('feeds an inbound message to the listener and returns its answer, and a status as a batch of one', async () => {
      const t = await connected(() => sendOk())
      await expect(t.transport.handleWebhookEvent(inbound)).resolves.toEqual({
        messageId: 'linda-1',
        duplicate: false,
      })
      await t.transport.handleWebhookEvent(status('wamid.S'))
      expect(t.inbound).toHaveLength(1)
      expect(t.statusBatches).toEqual([[expect.objectContaining({ externalId: 'wamid.S' })]])
    })

    it('batches consecutive statuses, keeping their order around inbound messages', async () => {
      const t = await connected(() => sendOk())
      await t.transport.handleWebhookEvents([status('a'), status('b'), inbound, status('c')])
      expect(t.statusBatches.map((b) => b.map((s) => s.externalId))).toEqual([['a', 'b'], ['c']])
      expect(t.inbound).toHaveLength(1)
    })

    it("refuses an event for another account's phone number", async () => {
      const t = await connected(() => sendOk())
      await expect(
        t.transport.handleWebhookEvent({ ...inbound, phoneNumberId: '999' }),
      ).rejects.toThrow(/phone number id 999/)
      expect(t.inbound).toHaveLength(0)
    })
  })

  it('keeps the access token out of inspection and serialisation', () => {
    const transport = new CloudTransport(recordingListener().listener, settings)
    expect(inspect(transport, { depth: 5, showHidden: true })).not.toContain(settings.accessToken)
    expect(JSON.stringify(transport)).not.toContain(settings.accessToken)
  })

  it('marks what a contact sent read with one call naming the newest message', async () => {
    const { transport, calls } = await connected(() => json(200, { success: true }))
    await transport.markRead('+971501234567', ['wamid.A', 'wamid.B'], signal())
    expect(calls).toHaveLength(1)
    expect(calls[0]?.url).toBe(
      `https://graph.example.test/v21.0/${settings.phoneNumberId}/messages`,
    )
    expect(calls[0]?.body).toEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.B',
    })
    await transport.markRead('+971501234567', [], signal())
    expect(calls).toHaveLength(1)
  })

  it('says which throttles hold back the number and which only the recipient', async () => {
    for (const [code, throttle] of [
      [131048, 'account'],
      [80007, 'account'],
      [130429, 'account'],
      [131056, 'recipient'],
    ] as const) {
      const { transport } = await connected(() => json(400, graphError(code, 'throttled')))
      await expect(transport.send(text, signal())).rejects.toMatchObject({
        code: 'CLOUD_RATE_LIMITED',
        retryable: true,
        throttle,
      })
    }
    const { transport } = await connected(() => json(400, graphError(131026, 'undeliverable')))
    const err = await transport.send(text, signal()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CloudApiError)
    expect((err as CloudApiError).throttle).toBeUndefined()
  })
})
