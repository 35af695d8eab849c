// A fake of Meta's Graph API for the WhatsApp Cloud API, on 127.0.0.1 and a random port.
// It answers the requests Linda makes the way Meta documents them (bearer token, send
// bodies, `wamid` ids, media retrieval, Meta's error bodies and codes) and then plays
// Meta's part in the webhooks: it POSTs signed `sent`, `delivered` and `read` statuses to
// Linda's webhook URL. Tests steer it: failures, latency, a rate limit, media to serve,
// inbound messages to deliver. Every request is recorded.
//
//   const meta = await startFakeCloudApi({ webhookUrl })
//   const transport = new CloudTransport(listener, { ...meta.credentials, graphBaseUrl: meta.url })
//   meta.failNext(1, 130429)
//   await meta.stop()
import { createHash } from 'node:crypto'
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  graphErrorBody,
  hubSignature,
  metaError,
  newGraphId,
  newWamid,
  sendBodyProblem,
  webhookEnvelope,
  webhookErrorObject,
  type BusinessNumber,
} from './meta.js'

export interface FakeCloudApiOptions {
  phoneNumberId?: string
  displayPhoneNumber?: string
  wabaId?: string
  /** The only token the fake accepts. */
  accessToken?: string
  /** The app secret the fake signs webhooks with. */
  appSecret?: string
  /** Where status webhooks go; none are sent while unset. */
  webhookUrl?: string
  /** Wait between the statuses of one message; default 0. */
  statusDelayMs?: number
  /**
   * The HTTP status of a 130429 from the rate limit. Meta's error-code table gives 400 for
   * its throttling codes; some gateways answer 429. Default 400.
   */
  rateLimitHttpStatus?: number
  /** The clock of the rate limit (ms); default Date.now. A test freezes it to be exact. */
  now?: () => number
  /** Called for each send the fake accepts (benchmarks time replies with it). */
  onSent?: (message: SentMessage) => void
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  /** The parsed JSON body, the raw text when not JSON, or undefined when empty. */
  body: unknown
  /** The status the fake answered with; undefined while the answer is pending. */
  status?: number
}

export interface SentMessage {
  /** The wamid the fake answered with. */
  id: string
  to: string
  type: string
  /** The request body as Linda sent it. */
  body: Record<string, unknown>
}

export interface WebhookDelivery {
  /** The raw JSON Meta would send. */
  body: Buffer
  signature: string
  /** Linda's answer, or undefined when the POST itself failed. */
  status?: number
  error?: string
}

export interface SignedWebhook {
  body: Buffer
  signature: string
  /** The headers Meta sends with it. */
  headers: Record<string, string>
  /** The wamid of the message (inbound) or the status's message id. */
  messageId: string
}

export interface FakeInbound {
  /** The contact's number, E.164 or digits. */
  from: string
  /** A text message; ignored when `message` is given. */
  text?: string
  /** The type-specific part of a Meta message, e.g. `{ type: 'image', image: {…} }`. */
  message?: { type: string } & Record<string, unknown>
  /** The contact's profile name; default "Test Contact". */
  name?: string
  id?: string
  /** Unix seconds; default now. */
  timestamp?: number
  /** The wamid the message replies to. */
  contextId?: string
}

export interface FakeStatus {
  id: string
  status: 'sent' | 'delivered' | 'read' | 'failed'
  recipient: string
  /** Unix seconds; default now. */
  timestamp?: number
  clientReference?: string
  /** For `failed`: Meta's error code. */
  errorCode?: number
}

export interface FakeCloudApi {
  /** The Graph base URL to give Linda (`graphBaseUrl`). */
  readonly url: string
  /** The credentials the fake accepts, as a Cloud account's settings. */
  readonly credentials: {
    phoneNumberId: string
    wabaId: string
    accessToken: string
    appSecret: string
    verifyToken: string
  }
  readonly requests: RecordedRequest[]
  /** Sends the fake accepted, in order. */
  readonly sent: SentMessage[]
  /** The wamids Linda marked read (`{"status": "read", "message_id": …}`), in order. */
  readonly reads: string[]
  readonly webhookDeliveries: WebhookDelivery[]
  /** The next `n` sends fail at once with Meta's error `code`. */
  failNext(n: number, code: number): void
  /** The next `n` sends are accepted, then reported `failed` with `code` by webhook. */
  failDeliveryNext(n: number, code: number): void
  /** Every Graph API answer waits this long first. */
  setLatency(ms: number): void
  /** More than `perSecond` sends in a second fail with 130429; null lifts the limit. */
  setRateLimit(perSecond: number | null): void
  setWebhookUrl(url: string | null): void
  /** Media the fake serves; returns its media id and the real sha256. */
  addMedia(media: {
    data: Buffer
    mimeType: string
    /** Announce this sha256 instead of the real one (a corrupt download). */
    sha256?: string
    /** Announce this size instead of the real one. */
    fileSize?: number
  }): { id: string; sha256: string }
  /** Media uploaded through `POST /{phone-number-id}/media`, by id. */
  readonly uploads: ReadonlyMap<string, { data: Buffer; mimeType: string }>
  /** An inbound-message webhook, signed, ready to POST to Linda. */
  inboundWebhook(input: FakeInbound): SignedWebhook
  /** A status webhook, signed. */
  statusWebhook(input: FakeStatus): SignedWebhook
  /** Signs any body with the app secret. */
  sign(body: Buffer | string): string
  /** POSTs a webhook to the webhook URL as Meta would; returns Linda's status. */
  deliver(webhook: SignedWebhook): Promise<number>
  stop(): Promise<void>
}

export async function startFakeCloudApi(options: FakeCloudApiOptions = {}): Promise<FakeCloudApi> {
  const number: BusinessNumber = {
    phoneNumberId: options.phoneNumberId ?? '106540352242922',
    displayPhoneNumber: options.displayPhoneNumber ?? '15550783881',
    wabaId: options.wabaId ?? '102290129340398',
  }
  const accessToken = options.accessToken ?? 'EAAG-fake-access-token'
  const appSecret = options.appSecret ?? 'fake-app-secret'
  const now = options.now ?? Date.now
  const rateLimitHttpStatus = options.rateLimitHttpStatus ?? 400
  const statusDelayMs = options.statusDelayMs ?? 0

  let webhookUrl = options.webhookUrl ?? null
  let latencyMs = 0
  let rateLimit: number | null = null
  const sendTimes: number[] = []
  const failures: number[] = []
  const deliveryFailures: number[] = []
  const media = new Map<
    string,
    { data: Buffer; mimeType: string; sha256: string; fileSize: number }
  >()
  const uploads = new Map<string, { data: Buffer; mimeType: string }>()
  const requests: RecordedRequest[] = []
  const sent: SentMessage[] = []
  const reads: string[] = []
  const webhookDeliveries: WebhookDelivery[] = []
  // Pending waits: stop() ends them at once, so nothing outlives the fake.
  const timers = new Map<NodeJS.Timeout, () => void>()
  const pending = new Set<Promise<unknown>>()
  let stopped = false
  let baseUrl = ''

  const wait = (ms: number) =>
    ms <= 0 || stopped
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t)
            resolve()
          }, ms)
          timers.set(t, resolve)
        })

  const sign = (body: Buffer | string) => hubSignature(body, appSecret)

  const signed = (payload: object, messageId: string): SignedWebhook => {
    const body = Buffer.from(JSON.stringify(payload))
    const signature = sign(body)
    return {
      body,
      signature,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      messageId,
    }
  }

  const nowSeconds = () => Math.floor(Date.now() / 1000)

  const statusWebhook = (input: FakeStatus): SignedWebhook => {
    const status: Record<string, unknown> = {
      id: input.id,
      status: input.status,
      timestamp: String(input.timestamp ?? nowSeconds()),
      recipient_id: input.recipient.replace(/^\+/, ''),
    }
    if (input.clientReference) status.biz_opaque_callback_data = input.clientReference
    if (input.status === 'failed') status.errors = [webhookErrorObject(input.errorCode ?? 131026)]
    else {
      status.pricing = { billable: true, pricing_model: 'PMP', category: 'service' }
    }
    return signed(webhookEnvelope(number, { statuses: [status] }), input.id)
  }

  const inboundWebhook = (input: FakeInbound): SignedWebhook => {
    const digits = input.from.replace(/^\+/, '')
    const id = input.id ?? newWamid(digits)
    const message: Record<string, unknown> = {
      from: digits,
      id,
      timestamp: String(input.timestamp ?? nowSeconds()),
      ...(input.contextId
        ? { context: { from: number.displayPhoneNumber, id: input.contextId } }
        : {}),
      ...(input.message ?? { type: 'text', text: { body: input.text ?? '' } }),
    }
    const value = {
      contacts: [{ profile: { name: input.name ?? 'Test Contact' }, wa_id: digits }],
      messages: [message],
    }
    return signed(webhookEnvelope(number, value), id)
  }

  const deliver = async (webhook: SignedWebhook): Promise<number> => {
    if (!webhookUrl) throw new Error('The fake Cloud API has no webhook URL')
    const record: WebhookDelivery = { body: webhook.body, signature: webhook.signature }
    webhookDeliveries.push(record)
    try {
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: webhook.headers,
        body: webhook.body,
      })
      await res.arrayBuffer()
      record.status = res.status
      return res.status
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err)
      throw err
    }
  }

  /** Meta's receipts for an accepted message, one after the other. */
  const playStatuses = (
    message: SentMessage,
    clientReference: string | undefined,
    failCode?: number,
  ) => {
    if (!webhookUrl) return
    const steps: FakeStatus['status'][] =
      failCode === undefined ? ['sent', 'delivered', 'read'] : ['sent', 'failed']
    const run = async () => {
      for (const status of steps) {
        await wait(statusDelayMs)
        if (stopped || !webhookUrl) return
        const webhook = statusWebhook({
          id: message.id,
          status,
          recipient: message.to,
          ...(clientReference ? { clientReference } : {}),
          ...(status === 'failed' && failCode !== undefined ? { errorCode: failCode } : {}),
        })
        await deliver(webhook).catch(() => undefined)
      }
    }
    const p = run()
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }

  const json = (res: ServerResponse, record: RecordedRequest, status: number, body: unknown) => {
    record.status = status
    const text = JSON.stringify(body)
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
    })
    res.end(text)
  }

  const fail = (
    res: ServerResponse,
    record: RecordedRequest,
    code: number,
    details?: string,
    httpStatus?: number,
  ) => {
    const spec = metaError(code)
    json(
      res,
      record,
      httpStatus ?? spec.httpStatus,
      graphErrorBody(code, details ? { details } : {}),
    )
  }

  const noSuchObject = (res: ServerResponse, record: RecordedRequest, method: string, id: string) =>
    json(
      res,
      record,
      400,
      graphErrorBody(100, {
        title: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        subcode: 33,
      }),
    )

  const authorized = (req: IncomingMessage) => req.headers.authorization === `Bearer ${accessToken}`

  const handleSend = (res: ServerResponse, record: RecordedRequest) => {
    const marking = record.body as { status?: unknown; message_id?: unknown } | null
    if (typeof marking === 'object' && marking !== null && marking.status === 'read') {
      // Marking a message read is not a send: no throughput budget, no statuses.
      if (typeof marking.message_id !== 'string' || marking.message_id === '') {
        fail(res, record, 100, 'Param message_id is required')
        return
      }
      reads.push(marking.message_id)
      json(res, record, 200, { success: true })
      return
    }
    const at = now()
    while (sendTimes.length > 0 && (sendTimes[0] ?? 0) <= at - 1000) sendTimes.shift()
    if (rateLimit !== null && sendTimes.length >= rateLimit) {
      fail(
        res,
        record,
        130429,
        'Cloud API message throughput has been reached.',
        rateLimitHttpStatus,
      )
      return
    }
    sendTimes.push(at)
    const injected = failures.shift()
    if (injected !== undefined) {
      fail(res, record, injected)
      return
    }
    if (typeof record.body !== 'object' || record.body === null) {
      fail(res, record, 100, 'The request body is not JSON')
      return
    }
    const problem = sendBodyProblem(record.body)
    if (problem) {
      fail(res, record, 100, problem)
      return
    }
    const body = record.body as Record<string, unknown>
    const input = String(body.to)
    const digits = input.replace(/^\+/, '')
    const message: SentMessage = {
      id: newWamid(digits),
      to: `+${digits}`,
      type: String(body.type ?? 'text'),
      body,
    }
    sent.push(message)
    options.onSent?.(message)
    json(res, record, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input, wa_id: digits }],
      messages: [{ id: message.id }],
    })
    const reference =
      typeof body.biz_opaque_callback_data === 'string' ? body.biz_opaque_callback_data : undefined
    playStatuses(message, reference, deliveryFailures.shift())
  }

  const handleUpload = async (
    req: IncomingMessage,
    raw: Buffer,
    res: ServerResponse,
    record: RecordedRequest,
  ) => {
    const contentType = req.headers['content-type'] ?? ''
    if (!contentType.startsWith('multipart/form-data')) {
      fail(res, record, 100, 'Media upload expects multipart/form-data')
      return
    }
    let form: FormData
    try {
      form = await new Response(raw, { headers: { 'content-type': contentType } }).formData()
    } catch {
      fail(res, record, 100, 'The multipart body cannot be read')
      return
    }
    const file = form.get('file')
    const type = form.get('type')
    if (form.get('messaging_product') !== 'whatsapp') {
      fail(res, record, 100, 'Param messaging_product is required')
      return
    }
    if (!(file instanceof Blob) || typeof type !== 'string' || type === '') {
      fail(res, record, 100, 'Params file and type are required')
      return
    }
    const data = Buffer.from(await file.arrayBuffer())
    const id = newGraphId()
    uploads.set(id, { data, mimeType: type })
    media.set(id, { data, mimeType: type, sha256: sha256(data), fileSize: data.length })
    record.body = { messaging_product: 'whatsapp', type, file: { size: data.length } }
    json(res, record, 200, { id })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', baseUrl)
    const raw = await readBody(req)
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: parseBody(raw, req.headers['content-type']),
    }
    requests.push(record)
    await wait(latencyMs)
    if (stopped) {
      res.destroy()
      return
    }

    // Media bytes, at the URL `GET /{media-id}` gave out (Meta's CDN path, with the token).
    if (url.pathname === '/whatsapp_business/attachments/') {
      const item = media.get(url.searchParams.get('mid') ?? '')
      if (!authorized(req)) return fail(res, record, 190)
      if (!item) return fail(res, record, 100, 'Unknown media')
      record.status = 200
      res.writeHead(200, { 'content-type': item.mimeType, 'content-length': item.data.length })
      res.end(item.data)
      return
    }

    const parts = url.pathname.split('/').filter((p) => p !== '')
    const [version, node, edge, ...more] = parts
    if (!version || !/^v\d+\.\d+$/.test(version) || !node || more.length > 0) {
      return json(
        res,
        record,
        400,
        graphErrorBody(2500, {
          title: `Unknown path components: ${url.pathname}`,
          type: 'OAuthException',
        }),
      )
    }
    if (!authorized(req)) {
      return json(
        res,
        record,
        401,
        graphErrorBody(190, {
          title: 'Invalid OAuth access token - Cannot parse access token',
          subcode: undefined,
        }),
      )
    }
    const method = record.method
    if (node === number.phoneNumberId) {
      if (method === 'POST' && edge === 'messages') return handleSend(res, record)
      if (method === 'POST' && edge === 'media') return handleUpload(req, raw, res, record)
      if (method === 'GET' && edge === undefined) {
        return json(res, record, 200, {
          verified_name: 'Linda Test',
          display_phone_number: `+${number.displayPhoneNumber}`,
          quality_rating: 'GREEN',
          id: number.phoneNumberId,
        })
      }
      return noSuchObject(res, record, method, `${node}/${edge ?? ''}`)
    }
    const item = media.get(node)
    if (item && edge === undefined && method === 'GET') {
      const owner = url.searchParams.get('phone_number_id')
      if (owner !== null && owner !== number.phoneNumberId)
        return noSuchObject(res, record, method, node)
      return json(res, record, 200, {
        messaging_product: 'whatsapp',
        url: `${baseUrl}/whatsapp_business/attachments/?mid=${node}&ext=${Date.now()}`,
        mime_type: item.mimeType,
        sha256: item.sha256,
        file_size: item.fileSize,
        id: node,
      })
    }
    if (item && edge === undefined && method === 'DELETE') {
      media.delete(node)
      return json(res, record, 200, { success: true })
    }
    return noSuchObject(res, record, method, node)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(err instanceof Error ? err.message : String(err))
      } else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: baseUrl,
    credentials: {
      phoneNumberId: number.phoneNumberId,
      wabaId: number.wabaId,
      accessToken,
      appSecret,
      verifyToken: 'fake-verify-token',
    },
    requests,
    sent,
    reads,
    webhookDeliveries,
    uploads,
    failNext(n, code) {
      for (let i = 0; i < n; i++) failures.push(code)
    },
    failDeliveryNext(n, code) {
      for (let i = 0; i < n; i++) deliveryFailures.push(code)
    },
    setLatency(ms) {
      latencyMs = ms
    },
    setRateLimit(perSecond) {
      rateLimit = perSecond
      sendTimes.length = 0
    },
    setWebhookUrl(url) {
      webhookUrl = url
    },
    addMedia({ data, mimeType, sha256: announced, fileSize }) {
      const id = newGraphId()
      const real = sha256(data)
      media.set(id, {
        data,
        mimeType,
        sha256: announced ?? real,
        fileSize: fileSize ?? data.length,
      })
      return { id, sha256: real }
    },
    inboundWebhook,
    statusWebhook,
    sign,
    deliver,
    async stop() {
      stopped = true
      for (const [t, resolve] of timers) {
        clearTimeout(t)
        resolve()
      }
      timers.clear()
      await Promise.allSettled([...pending])
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined
  if (contentType?.startsWith('multipart/')) return undefined
  const text = raw.toString('utf8')
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}
