// Meta's shapes ⇄ Linda's. Inbound: a webhook `value` becomes InboundMessages and
// StatusUpdates (with the extra detail of each message type in `content`). Outbound: a
// CloudOutbound becomes the JSON body of `POST /{phone-number-id}/messages`.
import type { ZodError } from 'zod'
import type {
  ContactCard,
  InteractiveContent,
  InboundMessage,
  MediaContent,
  MessageContent,
  OutboundMessage,
  TemplateComponent,
  TemplateMediaRef,
  TemplateParameter,
  MessageType,
  ReceiptStatus,
  StatusUpdate,
} from '../port.js'
import { receiptStatuses } from '../port.js'
import { CloudApiError } from './cloud.errors.js'
import {
  isKnownMessageType,
  messageContentSchemas,
  messageEnvelopeSchema,
  statusSchema,
  type KnownMessageType,
  type MetaContactCard,
  type MetaMedia,
  type MetaMessageEnvelope,
  type MetaWebhookError,
  type MetaWebhookValue,
} from './cloud.schemas.js'

// ---------------------------------------------------------------------------------------
// Linda-shaped types.

export const cloudMediaKinds = ['image', 'audio', 'video', 'document', 'sticker'] as const
export type CloudMediaKind = (typeof cloudMediaKinds)[number]

/** An error Meta reported in a webhook. */
export interface CloudWebhookError {
  /** Meta's numeric code as a string, e.g. "131026". */
  code: string
  /** Meta's title, e.g. "Message undeliverable". */
  message: string
  /** Meta's `error_data.details`, when given. */
  details?: string
}

/** A contact card (vCard-like), sent or received: Linda's own shape. */
export type CloudContactCard = ContactCard

/** Media a contact sent: fetch the bytes with `CloudTransport.downloadMedia(id)`. */
export interface CloudInboundMedia {
  /** Meta's media id. */
  id: string
  mimeType: string
  /** Hex sha256 of the bytes, as Meta reports it. */
  sha256?: string
  caption?: string
  /** Documents only. */
  filename?: string
  /** Audio only: a voice note recorded in WhatsApp. */
  voice?: boolean
  /** Stickers only. */
  animated?: boolean
}

/** What an inbound message carries, by kind. */
export type CloudInboundContent =
  | { kind: 'text'; body: string }
  | { kind: CloudMediaKind; media: CloudInboundMedia }
  | {
      kind: 'location'
      latitude: number
      longitude: number
      name?: string
      address?: string
      url?: string
    }
  | { kind: 'contacts'; contacts: CloudContactCard[] }
  /** The contact tapped a reply button of an interactive message. */
  | { kind: 'button_reply'; id: string; title: string }
  /** The contact picked a row of an interactive list. */
  | { kind: 'list_reply'; id: string; title: string; description?: string }
  /** The contact tapped a quick-reply button of a template. */
  | { kind: 'button'; text: string; payload?: string }
  /** A reaction to `messageId`; `emoji` null when the contact took their reaction back. */
  | { kind: 'reaction'; messageId: string; emoji: string | null }
  /** A message Cloud API cannot carry (a poll, a view-once, …), or of a type Linda does not know. */
  | { kind: 'unsupported'; unsupportedType?: string; error?: CloudWebhookError }

export type CloudInboundKind = CloudInboundContent['kind']

/**
 * An inbound message with the Cloud API's detail. It is a port InboundMessage: `type` and
 * `content` say what it is in Linda's words (`lindaContent`), `text` is what a person would
 * read as the message's text (the body, a caption, a button's title, a reaction's emoji), or
 * null; `cloud` keeps the Cloud API's view of it.
 */
export interface CloudInboundMessage extends InboundMessage {
  content: MessageContent
  cloud: CloudInboundContent
  /** The wamid of the message this one answers or reacts to. */
  replyTo?: string
  /** WhatsApp marked the message as forwarded. */
  forwarded?: boolean
}

/** A status update with the Cloud API's detail. */
export interface CloudStatusUpdate extends StatusUpdate {
  /** Who the message went to, E.164. */
  recipient: string
  /** The `biz_opaque_callback_data` the send carried: Linda's message id. */
  clientReference?: string
  error?: CloudWebhookError
}

/** One thing a webhook delivery reported, for the account with `phoneNumberId`. */
export type CloudWebhookEvent =
  | { phoneNumberId: string; inbound: CloudInboundMessage; status?: never; error?: never }
  | { phoneNumberId: string; status: CloudStatusUpdate; inbound?: never; error?: never }
  /** An error about the account rather than one message (`value.errors[]`). */
  | { phoneNumberId: string; error: CloudWebhookError; inbound?: never; status?: never }

/** Something in a delivery that was left out, and why (for the log; Meta is still answered 200). */
export interface WebhookSkip {
  phoneNumberId?: string
  what: 'change' | 'message' | 'status'
  /** The message's id, when it had one. */
  id?: string
  reason: string
}

// ---------------------------------------------------------------------------------------
// Inbound.

/** Unix seconds (Meta's `timestamp`) as ISO 8601. */
export function unixToIso(seconds: string | number): string {
  return new Date(Number(seconds) * 1000).toISOString()
}

/** Meta's digits as E.164. */
export function digitsToE164(digits: string): string {
  return `+${digits}`
}

function webhookError(e: MetaWebhookError): CloudWebhookError {
  const out: CloudWebhookError = { code: String(e.code), message: e.title || e.message || '' }
  const details = e.error_data?.details
  if (details) out.details = details
  return out
}

function mediaOf(m: MetaMedia): CloudInboundMedia {
  return defined({
    id: m.id,
    mimeType: m.mime_type,
    sha256: m.sha256,
    caption: m.caption,
    filename: m.filename,
    voice: m.voice,
    animated: m.animated,
  })
}

function contactCardOf(c: MetaContactCard): CloudContactCard {
  const n = c.name ?? {}
  const formatted =
    n.formatted_name ?? [n.first_name, n.last_name].filter((p) => p !== undefined).join(' ')
  return defined({
    name: defined({
      formatted,
      first: n.first_name,
      last: n.last_name,
      middle: n.middle_name,
      prefix: n.prefix,
      suffix: n.suffix,
    }),
    phones: c.phones?.flatMap((p) =>
      p.phone === undefined ? [] : [defined({ phone: p.phone, type: p.type, waId: p.wa_id })],
    ),
    emails: c.emails?.flatMap((e) =>
      e.email === undefined ? [] : [defined({ email: e.email, type: e.type })],
    ),
    urls: c.urls?.flatMap((u) =>
      u.url === undefined ? [] : [defined({ url: u.url, type: u.type })],
    ),
    addresses: c.addresses?.map((a) =>
      defined({
        street: a.street,
        city: a.city,
        state: a.state,
        zip: a.zip,
        country: a.country,
        countryCode: a.country_code,
        type: a.type,
      }),
    ),
    org: c.org ? defined({ ...c.org }) : undefined,
    birthday: c.birthday,
  })
}

/** The content of a message of a known type, or the zod error that refused it. */
function contentOf(
  type: KnownMessageType,
  raw: unknown,
  envelope: MetaMessageEnvelope,
): { content: CloudInboundContent; text: string | null } | { error: ZodError } {
  switch (type) {
    case 'text': {
      const r = messageContentSchemas.text.safeParse(raw)
      if (!r.success) return { error: r.error }
      return { content: { kind: 'text', body: r.data.text.body }, text: r.data.text.body }
    }
    case 'image':
    case 'audio':
    case 'video':
    case 'document':
    case 'sticker': {
      const r = messageContentSchemas[type].safeParse(raw)
      if (!r.success) return { error: r.error }
      const media = mediaOf((r.data as Record<typeof type, MetaMedia>)[type])
      return { content: { kind: type, media }, text: media.caption ?? null }
    }
    case 'location': {
      const r = messageContentSchemas.location.safeParse(raw)
      if (!r.success) return { error: r.error }
      return { content: defined({ kind: 'location' as const, ...r.data.location }), text: null }
    }
    case 'contacts': {
      const r = messageContentSchemas.contacts.safeParse(raw)
      if (!r.success) return { error: r.error }
      return {
        content: { kind: 'contacts', contacts: r.data.contacts.map(contactCardOf) },
        text: null,
      }
    }
    case 'interactive': {
      const r = messageContentSchemas.interactive.safeParse(raw)
      if (!r.success) return { error: r.error }
      const i = r.data.interactive
      if (i.type === 'button_reply') {
        const { id, title } = i.button_reply
        return { content: { kind: 'button_reply', id, title }, text: title }
      }
      const { id, title, description } = i.list_reply
      return {
        content: defined({ kind: 'list_reply' as const, id, title, description }),
        text: title,
      }
    }
    case 'button': {
      const r = messageContentSchemas.button.safeParse(raw)
      if (!r.success) return { error: r.error }
      const { text, payload } = r.data.button
      return { content: defined({ kind: 'button' as const, text, payload }), text }
    }
    case 'reaction': {
      const r = messageContentSchemas.reaction.safeParse(raw)
      if (!r.success) return { error: r.error }
      const emoji = r.data.reaction.emoji || null
      return {
        content: { kind: 'reaction', messageId: r.data.reaction.message_id, emoji },
        text: emoji,
      }
    }
    case 'unsupported': {
      const r = messageContentSchemas.unsupported.safeParse(raw)
      if (!r.success) return { error: r.error }
      return { content: unsupported(r.data.unsupported?.type, envelope), text: null }
    }
  }
}

function unsupported(type: string | undefined, envelope: MetaMessageEnvelope): CloudInboundContent {
  const first = envelope.errors?.[0]
  return defined({
    kind: 'unsupported' as const,
    unsupportedType: type,
    error: first ? webhookError(first) : undefined,
  })
}

function mapMessage(
  raw: unknown,
  phoneNumberId: string,
  profiles: ReadonlyMap<string, string>,
): { inbound: CloudInboundMessage } | { skip: WebhookSkip } {
  const env = messageEnvelopeSchema.safeParse(raw)
  if (!env.success) {
    const id = idOf(raw)
    return {
      skip: defined({
        phoneNumberId,
        what: 'message' as const,
        id,
        reason: `not a Cloud API message: ${summarize(env.error)}`,
      }),
    }
  }
  const e = env.data
  let mapped: { content: CloudInboundContent; text: string | null }
  if (isKnownMessageType(e.type)) {
    const r = contentOf(e.type, raw, e)
    if ('error' in r) {
      return {
        skip: {
          phoneNumberId,
          what: 'message',
          id: e.id,
          reason: `a ${e.type} message without the documented fields: ${summarize(r.error)}`,
        },
      }
    }
    mapped = r
  } else {
    // A type this adapter does not know yet: kept, so the conversation shows that the
    // contact wrote something, and reported as unsupported.
    mapped = { content: unsupported(e.type, e), text: null }
  }
  const linda = lindaContent(mapped.content)
  const inbound: CloudInboundMessage = {
    externalId: e.id,
    from: digitsToE164(e.from),
    type: linda.type,
    text: mapped.text,
    timestamp: unixToIso(e.timestamp),
    content: linda,
    cloud: mapped.content,
  }
  const profileName = profiles.get(e.from)
  if (profileName) inbound.profileName = profileName
  // A reaction names the message it reacts to in the reaction itself; a reply in `context`.
  const replyTo = mapped.content.kind === 'reaction' ? mapped.content.messageId : e.context?.id
  if (replyTo) inbound.replyTo = replyTo
  if (e.context?.forwarded || e.context?.frequently_forwarded) inbound.forwarded = true
  return { inbound }
}

/** The Cloud API's view of inbound content, in Linda's words. */
export function lindaContent(c: CloudInboundContent): MessageContent & { type: MessageType } {
  switch (c.kind) {
    case 'text':
      return { type: 'text', text: c.body }
    case 'image':
    case 'audio':
    case 'video':
    case 'document':
    case 'sticker': {
      const { id, ...rest } = c.media
      return { type: c.kind, media: { providerId: id, ...rest } }
    }
    case 'location': {
      const { kind: _kind, ...location } = c
      return { type: 'location', location }
    }
    case 'contacts':
      return { type: 'contacts', contacts: c.contacts }
    case 'button_reply':
      return { type: 'button_reply', reply: { id: c.id, title: c.title } }
    case 'list_reply':
      return {
        type: 'list_reply',
        reply: defined({ id: c.id, title: c.title, description: c.description }),
      }
    case 'button':
      return { type: 'button', button: defined({ text: c.text, payload: c.payload }) }
    case 'reaction':
      return { type: 'reaction', reaction: { externalId: c.messageId, emoji: c.emoji } }
    case 'unsupported':
      return {
        type: 'unsupported',
        unsupported: defined({
          type: c.unsupportedType,
          error: c.error && { code: c.error.code, message: c.error.message },
        }),
      }
  }
}

function isReceiptStatus(s: string): s is ReceiptStatus {
  return (receiptStatuses as readonly string[]).includes(s)
}

function mapStatus(
  raw: unknown,
  phoneNumberId: string,
): { status: CloudStatusUpdate } | { skip: WebhookSkip } {
  const r = statusSchema.safeParse(raw)
  if (!r.success) {
    return {
      skip: defined({
        phoneNumberId,
        what: 'status' as const,
        id: idOf(raw),
        reason: `not a Cloud API status: ${summarize(r.error)}`,
      }),
    }
  }
  const s = r.data
  if (!isReceiptStatus(s.status)) {
    return {
      skip: {
        phoneNumberId,
        what: 'status',
        id: s.id,
        reason: `status "${s.status}" is not tracked`,
      },
    }
  }
  const status: CloudStatusUpdate = {
    externalId: s.id,
    status: s.status,
    timestamp: unixToIso(s.timestamp),
    recipient: /^\d+$/.test(s.recipient_id) ? digitsToE164(s.recipient_id) : s.recipient_id,
  }
  if (s.biz_opaque_callback_data) status.clientReference = s.biz_opaque_callback_data
  const firstError = s.errors?.[0]
  if (firstError) status.error = webhookError(firstError)
  else if (s.status === 'failed')
    status.error = { code: 'unknown', message: 'Meta reported a failure without an error' }
  return { status }
}

/**
 * The events of one `changes[].value` whose `field` is `messages`, already checked against
 * webhookValueSchema. Messages and statuses that do not parse are skipped, not fatal.
 */
export function mapWebhookValue(value: MetaWebhookValue): {
  events: CloudWebhookEvent[]
  skipped: WebhookSkip[]
} {
  const phoneNumberId = value.metadata.phone_number_id
  const events: CloudWebhookEvent[] = []
  const skipped: WebhookSkip[] = []
  const profiles = new Map<string, string>()
  for (const c of value.contacts ?? []) {
    if (c.wa_id && c.profile?.name) profiles.set(c.wa_id, c.profile.name)
  }
  for (const raw of value.messages ?? []) {
    const r = mapMessage(raw, phoneNumberId, profiles)
    if ('inbound' in r) events.push({ phoneNumberId, inbound: r.inbound })
    else skipped.push(r.skip)
  }
  for (const raw of value.statuses ?? []) {
    const r = mapStatus(raw, phoneNumberId)
    if ('status' in r) events.push({ phoneNumberId, status: r.status })
    else skipped.push(r.skip)
  }
  for (const e of value.errors ?? []) events.push({ phoneNumberId, error: webhookError(e) })
  return { events, skipped }
}

function idOf(raw: unknown): string | undefined {
  if (typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string') {
    return raw.id.slice(0, 200)
  }
  return undefined
}

/** A short, single-line account of what failed validation (for logs). */
export function summarize(error: ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ')
}

// ---------------------------------------------------------------------------------------
// Outbound.

/** Media to send: a public HTTPS link Meta fetches, or the id of media uploaded before. */
export type CloudMediaRef = { link: string } | { id: string }

export type CloudTemplateParameter =
  | { type: 'text'; text: string; /** For templates with named parameters. */ name?: string }
  | { type: 'currency'; fallback: string; code: string; amount1000: number; name?: string }
  | { type: 'dateTime'; fallback: string; name?: string }
  | { type: 'image' | 'video'; media: CloudMediaRef }
  | { type: 'document'; media: CloudMediaRef; filename?: string }

export type CloudTemplateComponent =
  | { type: 'header' | 'body'; parameters: CloudTemplateParameter[] }
  | { type: 'button'; subType: 'quick_reply'; index: number; payload: string }
  | { type: 'button'; subType: 'url'; index: number; text: string }
  | { type: 'button'; subType: 'copy_code'; index: number; couponCode: string }

interface CloudOutboundCommon {
  /** Recipient, E.164. */
  to: string
  /** Answer this wamid (shown as a quoted reply). */
  replyTo?: string
  /** Echoed in every status webhook of the message (`biz_opaque_callback_data`, ≤ 512 chars). */
  clientReference?: string
}

/** Everything the Cloud API can send, in Linda's words. */
export type CloudOutbound = CloudOutboundCommon &
  (
    | {
        type: 'text'
        text: string
        /** Render a preview of the first link. */ previewUrl?: boolean
      }
    | { type: 'image' | 'video'; media: CloudMediaRef; caption?: string }
    | { type: 'document'; media: CloudMediaRef; caption?: string; filename?: string }
    | { type: 'audio' | 'sticker'; media: CloudMediaRef }
    | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string }
    | { type: 'contacts'; contacts: CloudContactCard[] }
    /** React to `messageId`; an empty emoji takes the reaction back. */
    | { type: 'reaction'; messageId: string; emoji: string }
    /** Reply buttons or a list (Linda's own shape: Meta's is built by buildSendPayload). */
    | InteractiveContent
    /** An approved template: the only kind of message allowed outside the 24-hour window. */
    | { type: 'template'; name: string; language: string; components?: CloudTemplateComponent[] }
  )

export type CloudOutboundType = CloudOutbound['type']

/**
 * Where media Linda holds goes before a send: its id at Meta (uploaded through the media
 * endpoint), given Linda's media id.
 */
export type UploadLindaMedia = (mediaId: string) => Promise<string>

async function mediaRefOf(
  m: Pick<MediaContent, 'link' | 'mediaId'>,
  upload: UploadLindaMedia,
): Promise<CloudMediaRef> {
  if (m.link !== undefined) return { link: m.link }
  if (m.mediaId !== undefined) return { id: await upload(m.mediaId) }
  throw new CloudApiError('CLOUD_INVALID_REQUEST', 'The media has neither a link nor a media id', {
    retryable: false,
  })
}

async function templateParameterOf(
  p: TemplateParameter,
  upload: UploadLindaMedia,
): Promise<CloudTemplateParameter> {
  if (p.type === 'text' || p.type === 'currency' || p.type === 'dateTime') return p
  const ref: TemplateMediaRef = p.media
  const media = await mediaRefOf(
    'link' in ref ? { link: ref.link } : { mediaId: ref.mediaId },
    upload,
  )
  return p.type === 'document'
    ? defined({ type: 'document' as const, media, filename: p.filename })
    : { type: p.type, media }
}

async function templateComponentOf(
  c: TemplateComponent,
  upload: UploadLindaMedia,
): Promise<CloudTemplateComponent> {
  if (c.type === 'button') return c
  const parameters: CloudTemplateParameter[] = []
  for (const p of c.parameters) parameters.push(await templateParameterOf(p, upload))
  return { type: c.type, parameters }
}

/**
 * A port message as a Cloud API send: Linda's content in Meta's terms, media Linda holds
 * uploaded first (through `upload`), Linda's message id as the client reference.
 */
export async function cloudOutboundOf(
  message: OutboundMessage,
  upload: UploadLindaMedia,
): Promise<CloudOutbound> {
  const common = { to: message.to, clientReference: message.messageId }
  const c = message.content ?? { type: 'text', text: message.text }
  switch (c.type) {
    case 'text':
      return {
        ...common,
        type: 'text',
        text: c.text,
        previewUrl: c.previewUrl ?? /https?:\/\/\S/i.test(c.text),
      }
    case 'image':
    case 'video':
      return defined({
        ...common,
        type: c.type,
        media: await mediaRefOf(c.media, upload),
        caption: c.media.caption,
      })
    case 'document':
      return defined({
        ...common,
        type: c.type,
        media: await mediaRefOf(c.media, upload),
        caption: c.media.caption,
        filename: c.media.filename,
      })
    case 'audio':
    case 'sticker':
      return { ...common, type: c.type, media: await mediaRefOf(c.media, upload) }
    case 'location':
      return defined({
        ...common,
        type: 'location' as const,
        latitude: c.location.latitude,
        longitude: c.location.longitude,
        name: c.location.name,
        address: c.location.address,
      })
    case 'contacts':
      return { ...common, type: 'contacts', contacts: c.contacts }
    case 'reaction': {
      const target = c.reaction.externalId
      if (target === undefined) {
        throw new CloudApiError(
          'CLOUD_INVALID_REQUEST',
          'The message reacted to has no WhatsApp id (it was never sent)',
          { retryable: false },
        )
      }
      return { ...common, type: 'reaction', messageId: target, emoji: c.reaction.emoji ?? '' }
    }
    case 'interactive': {
      const i = c.interactive
      const frame = { ...common, body: i.body, header: i.header, footer: i.footer }
      return i.type === 'buttons'
        ? defined({ ...frame, type: 'buttons' as const, buttons: i.buttons })
        : defined({ ...frame, type: 'list' as const, button: i.button, sections: i.sections })
    }
    case 'template': {
      const t = c.template
      const components: CloudTemplateComponent[] = []
      for (const component of t.components ?? [])
        components.push(await templateComponentOf(component, upload))
      return defined({
        ...common,
        type: 'template' as const,
        name: t.name,
        language: t.language,
        components: t.components ? components : undefined,
      })
    }
  }
}

/** The JSON body of `POST /{phone-number-id}/messages`. */
export interface MetaSendPayload {
  messaging_product: 'whatsapp'
  recipient_type: 'individual'
  to: string
  type: string
  context?: { message_id: string }
  biz_opaque_callback_data?: string
  [content: string]: unknown
}

/** E.164 → the digits Meta takes in `to`. */
export function toWaDigits(e164: string): string {
  const digits = e164.trim().replace(/^\+/, '')
  if (!/^\d{5,20}$/.test(digits)) {
    throw new CloudApiError(
      'CLOUD_INVALID_REQUEST',
      `"${e164.slice(0, 40)}" is not an E.164 number`,
      {
        retryable: false,
      },
    )
  }
  return digits
}

function mediaRef(ref: CloudMediaRef): { link: string } | { id: string } {
  return 'link' in ref ? { link: ref.link } : { id: ref.id }
}

function templateParameter(p: CloudTemplateParameter): Record<string, unknown> {
  switch (p.type) {
    case 'text':
      return defined({ type: 'text', parameter_name: p.name, text: p.text })
    case 'currency':
      return defined({
        type: 'currency',
        parameter_name: p.name,
        currency: { fallback_value: p.fallback, code: p.code, amount_1000: p.amount1000 },
      })
    case 'dateTime':
      return defined({
        type: 'date_time',
        parameter_name: p.name,
        date_time: { fallback_value: p.fallback },
      })
    case 'image':
    case 'video':
      return { type: p.type, [p.type]: mediaRef(p.media) }
    case 'document':
      return { type: 'document', document: defined({ ...mediaRef(p.media), filename: p.filename }) }
  }
}

function templateComponent(c: CloudTemplateComponent): Record<string, unknown> {
  if (c.type !== 'button') return { type: c.type, parameters: c.parameters.map(templateParameter) }
  const base = { type: 'button', sub_type: c.subType, index: String(c.index) }
  switch (c.subType) {
    case 'quick_reply':
      return { ...base, parameters: [{ type: 'payload', payload: c.payload }] }
    case 'url':
      return { ...base, parameters: [{ type: 'text', text: c.text }] }
    case 'copy_code':
      return { ...base, parameters: [{ type: 'coupon_code', coupon_code: c.couponCode }] }
  }
}

function contactCardPayload(c: CloudContactCard): Record<string, unknown> {
  return defined({
    name: defined({
      formatted_name: c.name.formatted,
      first_name: c.name.first,
      last_name: c.name.last,
      middle_name: c.name.middle,
      prefix: c.name.prefix,
      suffix: c.name.suffix,
    }),
    phones: c.phones?.map((p) => defined({ phone: p.phone, type: p.type, wa_id: p.waId })),
    emails: c.emails?.map((e) => defined({ email: e.email, type: e.type })),
    urls: c.urls?.map((u) => defined({ url: u.url, type: u.type })),
    addresses: c.addresses?.map((a) =>
      defined({
        street: a.street,
        city: a.city,
        state: a.state,
        zip: a.zip,
        country: a.country,
        country_code: a.countryCode,
        type: a.type,
      }),
    ),
    org: c.org ? defined({ ...c.org }) : undefined,
    birthday: c.birthday,
  })
}

function textHeader(header: string | undefined): { type: 'text'; text: string } | undefined {
  return header === undefined ? undefined : { type: 'text', text: header }
}

function content(m: CloudOutbound): { type: string; body: Record<string, unknown> } {
  switch (m.type) {
    case 'text':
      return {
        type: 'text',
        body: { text: { body: m.text, preview_url: m.previewUrl ?? false } },
      }
    case 'image':
    case 'video':
      return {
        type: m.type,
        body: { [m.type]: defined({ ...mediaRef(m.media), caption: m.caption }) },
      }
    case 'document':
      return {
        type: 'document',
        body: {
          document: defined({ ...mediaRef(m.media), caption: m.caption, filename: m.filename }),
        },
      }
    case 'audio':
    case 'sticker':
      return { type: m.type, body: { [m.type]: mediaRef(m.media) } }
    case 'location':
      return {
        type: 'location',
        body: {
          location: defined({
            latitude: m.latitude,
            longitude: m.longitude,
            name: m.name,
            address: m.address,
          }),
        },
      }
    case 'contacts':
      return { type: 'contacts', body: { contacts: m.contacts.map(contactCardPayload) } }
    case 'reaction':
      return { type: 'reaction', body: { reaction: { message_id: m.messageId, emoji: m.emoji } } }
    case 'buttons':
      return {
        type: 'interactive',
        body: {
          interactive: defined({
            type: 'button',
            header: textHeader(m.header),
            body: { text: m.body },
            footer: m.footer === undefined ? undefined : { text: m.footer },
            action: {
              buttons: m.buttons.map((b) => ({
                type: 'reply',
                reply: { id: b.id, title: b.title },
              })),
            },
          }),
        },
      }
    case 'list':
      return {
        type: 'interactive',
        body: {
          interactive: defined({
            type: 'list',
            header: textHeader(m.header),
            body: { text: m.body },
            footer: m.footer === undefined ? undefined : { text: m.footer },
            action: {
              button: m.button,
              sections: m.sections.map((s) =>
                defined({
                  title: s.title,
                  rows: s.rows.map((r) =>
                    defined({ id: r.id, title: r.title, description: r.description }),
                  ),
                }),
              ),
            },
          }),
        },
      }
    case 'template':
      return {
        type: 'template',
        body: {
          template: defined({
            name: m.name,
            language: { code: m.language },
            components: m.components?.map(templateComponent),
          }),
        },
      }
  }
}

/**
 * The request body Meta documents for sending `message` ("Send messages" in the Cloud API
 * reference). Throws a CloudApiError when the recipient is not an E.164 number; the rest
 * (lengths, counts) Meta checks and answers with error 100.
 */
export function buildSendPayload(message: CloudOutbound): MetaSendPayload {
  const { type, body } = content(message)
  const payload: MetaSendPayload = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: toWaDigits(message.to),
    type,
    ...body,
  }
  if (message.replyTo && message.type !== 'reaction')
    payload.context = { message_id: message.replyTo }
  if (message.clientReference)
    payload.biz_opaque_callback_data = message.clientReference.slice(0, 512)
  return payload
}

/** T with its possibly-undefined properties made optional instead. */
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>
}

/** The object without its undefined properties (so that payloads are exactly Meta's shape). */
function defined<T extends object>(o: T): Defined<T> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return out as Defined<T>
}
