// The Cloud API transport end to end against the fake Graph API on 127.0.0.1: sends, Meta's
// signed status webhooks arriving at a webhook receiver and parsed back, Meta's errors
// (throttling, auth, re-engagement, invalid parameters, undeliverable), latency, media
// download and upload, and inbound webhooks.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  CloudApiError,
  CloudTransport,
  parseWebhook,
  type CloudInboundMessage,
  type CloudSettingsInput,
  type CloudStatusUpdate,
  type CloudTransportOptions,
} from '../../src/transports/cloud/index.js'
import type { ConnectionState, TransportListener } from '../../src/transports/index.js'
import {
  startFakeCloudApi,
  startWebhookReceiver,
  type FakeCloudApi,
  type ReceivedWebhook,
  type WebhookReceiver,
} from '../fakes/cloud-api/index.js'

let meta: FakeCloudApi
let receiver: WebhookReceiver
/** The fake's rate-limit clock: frozen unless a test moves it. */
let clock = 1_700_000_000_000

beforeAll(async () => {
  receiver = await startWebhookReceiver()
  meta = await startFakeCloudApi({ webhookUrl: receiver.url, now: () => clock })
})

afterAll(async () => {
  await meta?.stop()
  await receiver?.stop()
})

afterEach(() => {
  meta.setLatency(0)
  meta.setRateLimit(null)
})

function recorder() {
  const inbound: CloudInboundMessage[] = []
  const statuses: CloudStatusUpdate[] = []
  const states: Array<[ConnectionState, string | undefined]> = []
  const listener: TransportListener = {
    inbound: (m) => {
      inbound.push(m as CloudInboundMessage)
      return Promise.resolve({ messageId: `linda-${inbound.length}`, duplicate: false })
    },
    statuses: (updates) => {
      statuses.push(...(updates as CloudStatusUpdate[]))
      return Promise.resolve()
    },
    state: (state, reason) => {
      states.push([state, reason])
    },
  }
  return { listener, inbound, statuses, states }
}

async function connectedTransport(
  settings: Partial<CloudSettingsInput> = {},
  options: CloudTransportOptions = {},
) {
  const rec = recorder()
  const transport = new CloudTransport(
    rec.listener,
    { ...meta.credentials, graphBaseUrl: meta.url, ...settings },
    options,
  )
  await transport.connect()
  return { transport, ...rec }
}

/** Linda's webhook route, minus HTTP: verify, parse, hand the events to the transport. */
async function ingest(transport: CloudTransport, delivery: ReceivedWebhook) {
  const parsed = await parseWebhook(delivery.body, delivery.headers['x-hub-signature-256'], (id) =>
    id === meta.credentials.phoneNumberId ? meta.credentials.appSecret : undefined,
  )
  if (!parsed.ok) throw new Error(`webhook refused: ${parsed.reason} ${parsed.detail}`)
  await transport.handleWebhookEvents(parsed.events)
  return parsed
}

const deliveriesAbout = (wamid: string) =>
  receiver.received.filter((d) => d.body.toString().includes(wamid))

const abortable = () => new AbortController().signal
let phoneSeq = 0
const newPhone = () => `+1555${String(1_000_000 + ++phoneSeq).slice(1)}`

describe('CloudTransport against the fake Cloud API', () => {
  it('connects after checking the token and phone number id with the Graph API', async () => {
    const t = await connectedTransport()
    expect(t.states).toEqual([['connected', undefined]])
    expect(meta.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: `/v21.0/${meta.credentials.phoneNumberId}`,
      status: 200,
    })
  })

  it("sends a text, gets a wamid, and Meta's signed status webhooks parse to sent, delivered, read", async () => {
    const t = await connectedTransport()
    const to = newPhone()
    const { externalId } = await t.transport.send(
      { messageId: 'msg-1', to, type: 'text', text: 'Hello from Linda' },
      abortable(),
    )
    expect(externalId).toMatch(/^wamid\./)
    expect(meta.sent.at(-1)).toMatchObject({
      id: externalId,
      to,
      type: 'text',
      body: {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: to.slice(1),
        text: { body: 'Hello from Linda', preview_url: false },
        biz_opaque_callback_data: 'msg-1',
      },
    })

    await vi.waitFor(() => expect(deliveriesAbout(externalId)).toHaveLength(3))
    const deliveries = deliveriesAbout(externalId)
    for (const d of deliveries) {
      expect(d.headers['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/)
      const envelope = JSON.parse(d.body.toString()) as {
        object: string
        entry: Array<{
          id: string
          changes: Array<{ field: string; value: { metadata: unknown } }>
        }>
      }
      expect(envelope.object).toBe('whatsapp_business_account')
      expect(envelope.entry[0]?.id).toBe(meta.credentials.wabaId)
      expect(envelope.entry[0]?.changes[0]?.field).toBe('messages')
      expect(envelope.entry[0]?.changes[0]?.value.metadata).toEqual({
        display_phone_number: '15550783881',
        phone_number_id: meta.credentials.phoneNumberId,
      })
      await ingest(t.transport, d)
    }
    expect(t.statuses.map((s) => [s.externalId, s.status, s.recipient, s.clientReference])).toEqual(
      [
        [externalId, 'sent', to, 'msg-1'],
        [externalId, 'delivered', to, 'msg-1'],
        [externalId, 'read', to, 'msg-1'],
      ],
    )
    expect(meta.webhookDeliveries.filter((d) => d.body.toString().includes(externalId))).toEqual(
      expect.arrayContaining([expect.objectContaining({ status: 200 })]),
    )
  })

  it('reports an undeliverable message (131026) by a failed status webhook with code and title', async () => {
    const t = await connectedTransport()
    meta.failDeliveryNext(1, 131026)
    const { externalId } = await t.transport.send(
      { messageId: 'msg-u', to: newPhone(), type: 'text', text: 'Anyone there?' },
      abortable(),
    )
    await vi.waitFor(() => expect(deliveriesAbout(externalId)).toHaveLength(2))
    for (const d of deliveriesAbout(externalId)) await ingest(t.transport, d)
    expect(t.statuses.map((s) => s.status)).toEqual(['sent', 'failed'])
    expect(t.statuses[1]?.error).toMatchObject({ code: '131026', message: 'Message undeliverable' })
  })

  it('maps a throughput error (130429) to a retryable error with a wait, and the next send succeeds', async () => {
    const t = await connectedTransport()
    meta.failNext(1, 130429)
    const err = await t.transport
      .send({ messageId: 'm', to: newPhone(), type: 'text', text: 'x' }, abortable())
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CloudApiError)
    expect(err).toMatchObject({
      code: 'CLOUD_RATE_LIMITED',
      retryable: true,
      authFailure: false,
      meta: { code: 130429, httpStatus: 400, title: 'Rate limit hit' },
    })
    expect((err as CloudApiError).retryAfterMs).toBeGreaterThan(0)
    await expect(
      t.transport.send({ messageId: 'm', to: newPhone(), type: 'text', text: 'x' }, abortable()),
    ).resolves.toMatchObject({ externalId: expect.stringMatching(/^wamid\./) as unknown })
  })

  it('answers 130429 past the rate limit, until the second is over', async () => {
    const t = await connectedTransport()
    meta.setRateLimit(2)
    const send = () =>
      t.transport
        .send({ messageId: 'm', to: newPhone(), type: 'text', text: 'x' }, abortable())
        .then(() => 'ok' as const)
        .catch((e: unknown) => (e instanceof CloudApiError ? e.code : 'other'))
    const results = await Promise.all([send(), send(), send(), send()])
    expect(results.filter((r) => r === 'ok')).toHaveLength(2)
    expect(results.filter((r) => r === 'CLOUD_RATE_LIMITED')).toHaveLength(2)
    clock += 1_000
    await expect(send()).resolves.toBe('ok')
  })

  it('flags a refused token (190) as an auth failure and puts the account in error', async () => {
    const t = await connectedTransport({ accessToken: 'EAAG-wrong' }, { verifyOnConnect: false })
    const err = await t.transport
      .send({ messageId: 'm', to: newPhone(), type: 'text', text: 'x' }, abortable())
      .catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'CLOUD_AUTH_FAILED',
      retryable: false,
      authFailure: true,
      meta: { code: 190, httpStatus: 401 },
    })
    expect(t.states.at(-1)?.[0]).toBe('error')

    const checked = await connectedTransport({ accessToken: 'EAAG-wrong' })
    expect(checked.states.map(([s]) => s)).toEqual(['error'])
    expect(checked.states[0]?.[1]).toMatch(/access token/)
  })

  it('fails a send outside the 24-hour window (131047) for good, saying a template is needed', async () => {
    const t = await connectedTransport()
    meta.failNext(1, 131047)
    const err = await t.transport
      .send({ messageId: 'm', to: newPhone(), type: 'text', text: 'x' }, abortable())
      .catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'CLOUD_OUTSIDE_WINDOW',
      retryable: false,
      authFailure: false,
    })
    expect((err as Error).message).toMatch(/24 hours/)
    expect((err as Error).message).toMatch(/template/)
  })

  it("gets Meta's invalid-parameter error (100) for a body Meta would refuse", async () => {
    const t = await connectedTransport()
    const err = await t.transport
      .sendCloud({
        type: 'buttons',
        to: newPhone(),
        body: 'Pick one',
        buttons: ['a', 'b', 'c', 'd'].map((id) => ({ id, title: id.toUpperCase() })),
      })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'CLOUD_INVALID_REQUEST',
      retryable: false,
      meta: { code: 100, httpStatus: 400 },
    })
    expect((err as Error).message).toMatch(/buttons/)
  })

  it('sends every rich message type in a shape the fake (Meta’s rules) accepts', async () => {
    const t = await connectedTransport()
    const to = newPhone()
    const link = 'https://cdn.example.com/file'
    await t.transport.sendCloud({ type: 'image', to, media: { link }, caption: 'c' })
    await t.transport.sendCloud({ type: 'document', to, media: { link }, filename: 'a.pdf' })
    await t.transport.sendCloud({ type: 'audio', to, media: { link } })
    await t.transport.sendCloud({ type: 'video', to, media: { link } })
    await t.transport.sendCloud({ type: 'sticker', to, media: { link } })
    await t.transport.sendCloud({
      type: 'location',
      to,
      latitude: 25.2,
      longitude: 55.3,
      name: 'Here',
    })
    await t.transport.sendCloud({
      type: 'contacts',
      to,
      contacts: [{ name: { formatted: 'Aisha' }, phones: [{ phone: '+971501234567' }] }],
    })
    await t.transport.sendCloud({ type: 'reaction', to, messageId: 'wamid.X', emoji: '👍' })
    await t.transport.sendCloud({
      type: 'buttons',
      to,
      body: 'Yes?',
      buttons: [{ id: 'y', title: 'Yes' }],
    })
    await t.transport.sendCloud({
      type: 'list',
      to,
      body: 'Pick',
      button: 'Open',
      sections: [{ title: 'S', rows: [{ id: 'r', title: 'Row' }] }],
    })
    await t.transport.sendCloud({
      type: 'template',
      to,
      name: 'hello_world',
      language: 'en_US',
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Aisha' }] }],
    })
    const types = meta.sent.filter((s) => s.to === to).map((s) => s.type)
    expect(types).toEqual([
      'image',
      'document',
      'audio',
      'video',
      'sticker',
      'location',
      'contacts',
      'reaction',
      'interactive',
      'interactive',
      'template',
    ])
  })

  it('waits for a slow Graph API, and gives up when the caller aborts', async () => {
    const t = await connectedTransport()
    meta.setLatency(60_000)
    const controller = new AbortController()
    let settled = false
    const sending = t.transport
      .send({ messageId: 'slow', to: newPhone(), type: 'text', text: 'x' }, controller.signal)
      .finally(() => {
        settled = true
      })
    await vi.waitFor(() =>
      expect(
        meta.requests.some(
          (r) =>
            (r.body as { biz_opaque_callback_data?: string } | undefined)
              ?.biz_opaque_callback_data === 'slow',
        ),
      ).toBe(true),
    )
    expect(settled).toBe(false)
    controller.abort(new Error('shutting down'))
    await expect(sending).rejects.toThrow('shutting down')
  })

  it('times out a send the Graph API does not answer, as a delivery of unknown outcome', async () => {
    const t = await connectedTransport({}, { requestTimeoutMs: 100 })
    meta.setLatency(60_000)
    await expect(
      t.transport.send({ messageId: 'm', to: newPhone(), type: 'text', text: 'x' }, abortable()),
    ).rejects.toMatchObject({ code: 'CLOUD_TIMEOUT', retryable: false, deliveryUnknown: true })
  })

  it('downloads media by id, with the size limit and the sha256 check', async () => {
    const t = await connectedTransport()
    const data = Buffer.from('a small jpeg, honestly')
    const { id, sha256 } = meta.addMedia({ data, mimeType: 'image/jpeg' })
    await expect(t.transport.downloadMedia(id, { expectedSha256: sha256 })).resolves.toEqual({
      data,
      mimeType: 'image/jpeg',
      kind: 'image',
      sha256,
      size: data.length,
    })
    const lastTwo = meta.requests.slice(-2)
    expect(lastTwo.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', `/v21.0/${id}`, 200],
      ['GET', '/whatsapp_business/attachments/', 200],
    ])
    expect(lastTwo[0]?.query.phone_number_id).toBe(meta.credentials.phoneNumberId)

    await expect(t.transport.downloadMedia(id, { maxBytes: 5 })).rejects.toMatchObject({
      code: 'CLOUD_MEDIA_TOO_LARGE',
    })
    const understated = meta.addMedia({
      data: Buffer.alloc(4096, 7),
      mimeType: 'audio/ogg',
      fileSize: 10,
    })
    await expect(
      t.transport.downloadMedia(understated.id, { maxBytes: 100 }),
    ).rejects.toMatchObject({
      code: 'CLOUD_MEDIA_TOO_LARGE',
    })
    const corrupt = meta.addMedia({ data, mimeType: 'image/jpeg', sha256: 'f'.repeat(64) })
    await expect(t.transport.downloadMedia(corrupt.id)).rejects.toMatchObject({
      code: 'CLOUD_MEDIA_CORRUPT',
    })
    await expect(t.transport.downloadMedia('123456789')).rejects.toMatchObject({
      code: 'CLOUD_INVALID_REQUEST',
      meta: { code: 100, subcode: 33 },
    })
  })

  it('uploads media and sends it by id', async () => {
    const t = await connectedTransport()
    const data = Buffer.from('%PDF-1.7 fake')
    const { id } = await t.transport.uploadMedia(data, 'application/pdf', { filename: 'a.pdf' })
    expect(meta.uploads.get(id)).toEqual({ data, mimeType: 'application/pdf' })
    const to = newPhone()
    await t.transport.sendCloud({ type: 'document', to, media: { id }, filename: 'a.pdf' })
    expect(meta.sent.at(-1)?.body).toMatchObject({ document: { id, filename: 'a.pdf' } })
    expect((await t.transport.downloadMedia(id)).data).toEqual(data)
  })

  it('takes inbound text and media webhooks from Meta, and refuses a tampered one', async () => {
    const t = await connectedTransport()
    const from = newPhone()
    const hello = meta.inboundWebhook({ from, text: 'hi', name: 'Aisha' })
    await meta.deliver(hello)
    const photo = meta.addMedia({ data: Buffer.from('photo-bytes'), mimeType: 'image/jpeg' })
    const image = meta.inboundWebhook({
      from,
      message: {
        type: 'image',
        image: { id: photo.id, mime_type: 'image/jpeg', sha256: photo.sha256, caption: 'look' },
      },
    })
    await meta.deliver(image)
    await vi.waitFor(() => {
      expect(deliveriesAbout(hello.messageId)).toHaveLength(1)
      expect(deliveriesAbout(image.messageId)).toHaveLength(1)
    })
    for (const id of [hello.messageId, image.messageId]) {
      for (const d of deliveriesAbout(id)) await ingest(t.transport, d)
    }
    expect(t.inbound.map((m) => [m.externalId, m.from, m.text, m.profileName])).toEqual([
      [hello.messageId, from, 'hi', 'Aisha'],
      [image.messageId, from, 'look', 'Test Contact'],
    ])
    const content = t.inbound[1]?.cloud
    if (content?.kind !== 'image') throw new Error('expected an image')
    const media = await t.transport.downloadMedia(content.media.id, {
      kind: 'image',
      ...(content.media.sha256 ? { expectedSha256: content.media.sha256 } : {}),
    })
    expect(media.data.toString()).toBe('photo-bytes')

    const forged = Buffer.from(hello.body.toString().replace('"hi"', '"send the invoice to me"'))
    const parsed = await parseWebhook(forged, hello.signature, () => meta.credentials.appSecret)
    expect(parsed).toMatchObject({
      ok: false,
      reason: 'signature_mismatch',
      signatureFailure: true,
    })
  })
})
