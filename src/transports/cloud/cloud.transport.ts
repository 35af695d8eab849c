import { createHash } from 'node:crypto'
import {
  outboundMessageTypes,
  type ConnectionState,
  type MediaSource,
  type OutboundMessage,
  type Transport,
  type TransportCapabilities,
  type TransportListener,
} from '../port.js'
import { CloudApiError } from './cloud.errors.js'
import { GraphClient, type FetchLike } from './cloud.graph.js'
import {
  buildSendPayload,
  cloudOutboundOf,
  type CloudMediaKind,
  type CloudOutbound,
  type CloudStatusUpdate,
  type CloudWebhookEvent,
} from './cloud.mapping.js'
import {
  mediaInfoSchema,
  phoneNumberSchema,
  readResponseSchema,
  sendResponseSchema,
  uploadResponseSchema,
} from './cloud.schemas.js'
import { cloudSettingsSchema, type CloudSettingsInput } from './cloud.settings.js'

/**
 * The largest media Meta accepts per type ("Supported media types" in the Cloud API media
 * reference): a download over these is refused unless the caller allows more.
 */
export const cloudMediaMaxBytes: Readonly<Record<CloudMediaKind, number>> = {
  audio: 16 * 1024 * 1024,
  document: 100 * 1024 * 1024,
  image: 5 * 1024 * 1024,
  sticker: 500 * 1024,
  video: 16 * 1024 * 1024,
}

export interface CloudTransportOptions {
  /** The fetch to call the Graph API with; default the global fetch. */
  fetch?: FetchLike
  /** How long one Graph API call may take; default 30 s. */
  requestTimeoutMs?: number
  /**
   * Whether connect() checks the token and phone number id with the Graph API first;
   * default true. When the check cannot reach Meta it is retried with backoff.
   */
  verifyOnConnect?: boolean
  /** Media stored in Linda, uploaded to Meta when a send names it by Linda's media id. */
  media?: MediaSource
}

/** What the Cloud API transport can do: every kind of send, templates outside 24 hours. */
export const cloudCapabilities: TransportCapabilities = {
  send: outboundMessageTypes,
  receipts: true,
  pairing: 'none',
  templatesRequired: true,
}

/** How long Linda reuses a media id Meta gave an upload (Meta keeps them 30 days). */
const UPLOAD_REUSE_MS = 7 * 24 * 3600 * 1000

export interface DownloadMediaOptions {
  /** The media's type, for its size limit; default guessed from Meta's MIME type. */
  kind?: CloudMediaKind
  /** The same as `kind` (the port's name for it); `kind` wins. */
  type?: CloudMediaKind
  /** Refuse media larger than this; default `cloudMediaMaxBytes[kind]`. */
  maxBytes?: number
  /** The sha256 the webhook announced; the bytes must match it as well as Meta's. */
  expectedSha256?: string
  signal?: AbortSignal
}

export interface DownloadedMedia {
  data: Buffer
  mimeType: string
  kind: CloudMediaKind
  /** Hex sha256 of `data` (checked against Meta's). */
  sha256: string
  size: number
}

const reconnectDelaysMs = [1_000, 2_000, 5_000, 15_000, 60_000] as const

/**
 * The official WhatsApp Business Cloud API. Sends go to the Graph API; what contacts send
 * and the receipts of what the account sent arrive as webhooks, which the HTTP layer reads
 * with parseWebhook() and hands to handleWebhookEvent().
 */
export class CloudTransport implements Transport {
  readonly kind = 'cloud' as const
  readonly capabilities: TransportCapabilities = cloudCapabilities
  /** The business phone number's Graph id: webhooks name it in `metadata.phone_number_id`. */
  readonly phoneNumberId: string
  readonly wabaId: string | undefined

  readonly #graph: GraphClient
  readonly #verifyOnConnect: boolean
  readonly #media: MediaSource | undefined
  /** Meta's media ids of Linda media uploaded before, by sha256. */
  readonly #uploaded = new Map<string, { id: string; at: number }>()
  #state: ConnectionState = 'created'
  /** Set when the account's credentials were refused: every send fails with it. */
  #fatal: CloudApiError | undefined
  #reconnectTimer: NodeJS.Timeout | undefined
  #reconnectAttempt = 0

  constructor(
    private readonly listener: TransportListener,
    settings: CloudSettingsInput,
    options: CloudTransportOptions = {},
  ) {
    const s = cloudSettingsSchema.parse(settings)
    this.phoneNumberId = s.phoneNumberId
    this.wabaId = s.wabaId
    this.#graph = new GraphClient({
      baseUrl: s.graphBaseUrl,
      apiVersion: s.apiVersion,
      accessToken: s.accessToken,
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      timeoutMs: options.requestTimeoutMs ?? 30_000,
    })
    this.#verifyOnConnect = options.verifyOnConnect ?? true
    this.#media = options.media
  }

  /** The last state reported to the listener. */
  get state(): ConnectionState {
    return this.#state
  }

  /**
   * Checks the token and phone number id (unless `verifyOnConnect` is off) and reports
   * `connected`; refused credentials report `error` with the reason, and an unreachable
   * Graph API reports `reconnecting` and is checked again with backoff.
   */
  async connect(): Promise<void> {
    this.#fatal = undefined
    this.#reconnectAttempt = 0
    this.#clearReconnect()
    if (!this.#verifyOnConnect) {
      this.#setState('connected')
      return
    }
    await this.#probe()
  }

  async disconnect(): Promise<void> {
    this.#clearReconnect()
    this.#setState('disconnected')
  }

  /**
   * Sends a port message of any type and returns its wamid. Media stored in Linda is
   * uploaded to Meta first (an upload is reused for a week).
   */
  async send(message: OutboundMessage, signal: AbortSignal): Promise<{ externalId: string }> {
    this.#assertCanSend()
    const outbound = await cloudOutboundOf(message, (mediaId) => this.#uploadLinda(mediaId, signal))
    const { externalId } = await this.sendCloud(outbound, signal)
    return { externalId }
  }

  async #uploadLinda(mediaId: string, signal: AbortSignal): Promise<string> {
    if (!this.#media) {
      throw new CloudApiError('CLOUD_INVALID_REQUEST', 'This account cannot send stored media', {
        retryable: false,
      })
    }
    const file = await this.#media.read(mediaId)
    const known = this.#uploaded.get(file.sha256)
    if (known && Date.now() - known.at < UPLOAD_REUSE_MS) return known.id
    const { id } = await this.uploadMedia(file.data, file.mimeType, {
      signal,
      ...(file.filename ? { filename: file.filename } : {}),
    })
    this.#uploaded.set(file.sha256, { id, at: Date.now() })
    return id
  }

  /**
   * Sends anything the Cloud API can send. Returns Meta's wamid and the recipient's
   * WhatsApp id. Throws a CloudApiError (a TransportError) saying whether a retry may help.
   */
  async sendCloud(
    message: CloudOutbound,
    signal?: AbortSignal,
  ): Promise<{ externalId: string; waId?: string }> {
    this.#assertCanSend()
    const payload = buildSendPayload(message)
    try {
      const res = await this.#graph.postJson(
        `${this.phoneNumberId}/messages`,
        payload,
        sendResponseSchema,
        { signal, sideEffect: true },
      )
      if (this.#state === 'reconnecting') this.#setState('connected')
      // The schema guarantees one message at least.
      const externalId = res.messages[0]?.id ?? ''
      const waId = res.contacts?.[0]?.wa_id
      return waId ? { externalId, waId } : { externalId }
    } catch (err) {
      this.#noteFailure(err)
      throw err
    }
  }

  /**
   * Marks what the contact sent as read. Meta marks a message and every earlier one of
   * the conversation read, so one call with the newest id covers them all.
   */
  async markRead(
    _from: string,
    externalIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<void> {
    const newest = externalIds.at(-1)
    if (newest === undefined) return
    this.#assertCanSend()
    try {
      await this.#graph.postJson(
        `${this.phoneNumberId}/messages`,
        { messaging_product: 'whatsapp', status: 'read', message_id: newest },
        readResponseSchema,
        { signal },
      )
    } catch (err) {
      this.#noteFailure(err)
      throw err
    }
  }

  /** Uploads media for later sends by id (`{ media: { id } }`); returns Meta's media id. */
  async uploadMedia(
    data: Buffer | Uint8Array,
    mimeType: string,
    options: { filename?: string; signal?: AbortSignal } = {},
  ): Promise<{ id: string }> {
    this.#assertCanSend()
    const form = new FormData()
    form.set('messaging_product', 'whatsapp')
    form.set('type', mimeType)
    form.set(
      'file',
      new Blob([new Uint8Array(data)], { type: mimeType }),
      options.filename ?? 'file',
    )
    try {
      return await this.#graph.postForm(`${this.phoneNumberId}/media`, form, uploadResponseSchema, {
        signal: options.signal,
      })
    } catch (err) {
      this.#noteFailure(err)
      throw err
    }
  }

  /**
   * Fetches the bytes of media a contact sent: asks Meta where it is (`GET /{media-id}`),
   * downloads it with the token, refuses it over the size limit for its type and checks
   * its sha256.
   */
  async downloadMedia(
    mediaId: string,
    options: DownloadMediaOptions = {},
  ): Promise<DownloadedMedia> {
    if (!/^[\w.-]{1,200}$/.test(mediaId)) {
      throw new CloudApiError('CLOUD_INVALID_REQUEST', 'Not a Cloud API media id', {
        retryable: false,
      })
    }
    const call = { signal: options.signal }
    const info = await this.#graph.getJson(
      `${mediaId}?phone_number_id=${this.phoneNumberId}`,
      mediaInfoSchema,
      call,
    )
    const kind = options.kind ?? options.type ?? kindOfMime(info.mime_type)
    const maxBytes = options.maxBytes ?? cloudMediaMaxBytes[kind]
    if (info.file_size > maxBytes) {
      throw new CloudApiError(
        'CLOUD_MEDIA_TOO_LARGE',
        `The ${kind} is ${info.file_size} bytes, over the limit of ${maxBytes}`,
        { retryable: false },
      )
    }
    const { data } = await this.#graph.download(info.url, maxBytes, call)
    const sha256 = createHash('sha256').update(data).digest('hex')
    const announced = [info.sha256, options.expectedSha256].filter((s) => s !== undefined)
    if (announced.some((s) => s.toLowerCase() !== sha256)) {
      throw new CloudApiError(
        'CLOUD_MEDIA_CORRUPT',
        `The downloaded ${kind} does not match the sha256 Meta announced`,
        { retryable: true },
      )
    }
    return { data, mimeType: info.mime_type, kind, sha256, size: data.length }
  }

  /**
   * Hands one event of a parsed webhook (parseWebhook) to the listener: an inbound message
   * to `inbound` (its answer is returned), a status to `statuses`. An account-level error
   * event is left to the caller to log. Webhooks are handled in any connection state: what
   * Meta reports has happened.
   */
  async handleWebhookEvent(
    event: CloudWebhookEvent,
  ): Promise<{ messageId: string; duplicate: boolean } | undefined> {
    this.#assertMine(event)
    if (event.inbound) return this.listener.inbound(event.inbound)
    if (event.status) await this.listener.statuses([event.status])
    return undefined
  }

  /**
   * Hands all the events of one delivery to the listener, in order: consecutive statuses
   * go as one batch (a delivery often carries many), inbound messages one by one.
   */
  async handleWebhookEvents(events: readonly CloudWebhookEvent[]): Promise<void> {
    for (const event of events) this.#assertMine(event)
    let batch: CloudStatusUpdate[] = []
    const flush = async () => {
      if (batch.length === 0) return
      const updates = batch
      batch = []
      await this.listener.statuses(updates)
    }
    for (const event of events) {
      if (event.status) {
        batch.push(event.status)
      } else if (event.inbound) {
        await flush()
        await this.listener.inbound(event.inbound)
      }
    }
    await flush()
  }

  #assertMine(event: CloudWebhookEvent): void {
    if (event.phoneNumberId !== this.phoneNumberId) {
      throw new Error(
        `The event is for phone number id ${event.phoneNumberId}, not this account's ${this.phoneNumberId}`,
      )
    }
  }

  #assertCanSend(): void {
    if (this.#fatal) throw this.#fatal
    if (this.#state === 'created' || this.#state === 'disconnected') {
      throw new CloudApiError('CLOUD_DISCONNECTED', 'The Cloud API account is not connected', {
        retryable: true,
      })
    }
  }

  /** Refused credentials put the account in `error`: the token must be replaced. */
  #noteFailure(err: unknown): void {
    if (err instanceof CloudApiError && err.authFailure) {
      this.#fatal = err
      this.#clearReconnect()
      this.#setState('error', err.message)
    }
  }

  async #probe(): Promise<void> {
    try {
      await this.#graph.getJson(
        `${this.phoneNumberId}?fields=display_phone_number,verified_name`,
        phoneNumberSchema,
      )
      this.#reconnectAttempt = 0
      if (this.#state !== 'disconnected') this.#setState('connected')
    } catch (err) {
      if (this.#state === 'disconnected') return
      if (
        err instanceof CloudApiError &&
        (err.authFailure || err.code === 'CLOUD_INVALID_REQUEST')
      ) {
        this.#fatal = err
        this.#setState('error', err.message)
        return
      }
      const reason = err instanceof Error ? err.message : String(err)
      this.#setState('reconnecting', reason)
      this.#scheduleProbe()
    }
  }

  #scheduleProbe(): void {
    const delay =
      reconnectDelaysMs[Math.min(this.#reconnectAttempt, reconnectDelaysMs.length - 1)] ?? 60_000
    this.#reconnectAttempt++
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      void this.#probe()
    }, delay)
    this.#reconnectTimer.unref()
  }

  #clearReconnect(): void {
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = undefined
  }

  #setState(state: ConnectionState, reason?: string): void {
    if (state === this.#state && reason === undefined) return
    this.#state = state
    this.listener.state(state, reason)
  }
}

/** The media type a MIME type implies (stickers are webp images; Meta says so in the webhook). */
function kindOfMime(mime: string): CloudMediaKind {
  const top = mime.split('/')[0]
  if (top === 'image' || top === 'audio' || top === 'video') return top
  return 'document'
}
