/**
 * The Transport port: one kind of WhatsApp connection. Vendor shapes (Meta's, Baileys')
 * stay inside each adapter; these are Linda's own types.
 */

export const transportKinds = ['sandbox', 'cloud', 'baileys'] as const
export type TransportKind = (typeof transportKinds)[number]

/** Types a message can be sent as (what `capabilities.send` lists). */
export const outboundMessageTypes = [
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'interactive',
  'reaction',
  'template',
] as const
export type OutboundMessageType = (typeof outboundMessageTypes)[number]

/** Every type a stored message can have: what can be sent, and what only contacts send. */
export const messageTypes = [
  ...outboundMessageTypes,
  /** The contact tapped a reply button of an interactive message. */
  'button_reply',
  /** The contact picked a row of an interactive list. */
  'list_reply',
  /** The contact tapped a quick-reply button of a template. */
  'button',
  /** Something the provider cannot carry (a poll, a view-once…) or Linda does not know. */
  'unsupported',
] as const
export type MessageType = (typeof messageTypes)[number]

export const mediaTypes = ['image', 'audio', 'video', 'document', 'sticker'] as const
export type MediaType = (typeof mediaTypes)[number]

export const connectionStates = [
  'created',
  'linking',
  'connected',
  'reconnecting',
  'disconnected',
  'logged_out',
  'error',
] as const
export type ConnectionState = (typeof connectionStates)[number]

export interface TransportCapabilities {
  /** Message types this transport can send; the rest of Linda refuses the others. */
  readonly send: readonly OutboundMessageType[]
  /** Whether it reports delivered/read receipts. */
  readonly receipts: boolean
  /** How a device is linked: not at all, by QR code, or by QR or pairing code. */
  readonly pairing: 'none' | 'qr' | 'qr-or-code'
  /** Whether free-form sends need an approved template outside the 24-hour window. */
  readonly templatesRequired: boolean
}

// ---------------------------------------------------------------------------------------
// Message content: what a message carries, by type, in Linda's words. It is stored with the
// message and shown by the API as `content`; `POST /messages` takes the outbound kinds.

/**
 * Media a message carries. Outbound: by `link` (a public HTTPS URL the provider fetches)
 * or by `mediaId` (media stored in Linda). Inbound: `providerId` names it at the provider
 * until Linda has downloaded it; then `mediaId` names the stored copy.
 */
export interface MediaContent {
  /** Linda's media id (`GET /api/v1/media/{id}`). */
  mediaId?: string
  link?: string
  /** The provider's media id (inbound). */
  providerId?: string
  mimeType?: string
  /** Hex sha256 of the bytes, when known. */
  sha256?: string
  size?: number
  /** Images, videos and documents. */
  caption?: string
  /** Documents. */
  filename?: string
  /** Audio: a voice note. */
  voice?: boolean
  /** Stickers: animated. */
  animated?: boolean
}

/** A contact card (vCard-like), sent or received. */
export interface ContactCard {
  name: {
    formatted: string
    first?: string
    last?: string
    middle?: string
    prefix?: string
    suffix?: string
  }
  phones?: Array<{ phone: string; type?: string; waId?: string }>
  emails?: Array<{ email: string; type?: string }>
  urls?: Array<{ url: string; type?: string }>
  addresses?: Array<{
    street?: string
    city?: string
    state?: string
    zip?: string
    country?: string
    countryCode?: string
    type?: string
  }>
  org?: { company?: string; department?: string; title?: string }
  birthday?: string
}

export interface LocationContent {
  latitude: number
  longitude: number
  name?: string
  address?: string
  url?: string
}

export type InteractiveContent =
  /** Up to three reply buttons under a body text. */
  | {
      type: 'buttons'
      body: string
      header?: string
      footer?: string
      buttons: Array<{ id: string; title: string }>
    }
  /** A list the contact opens with `button` and picks one row of. */
  | {
      type: 'list'
      body: string
      header?: string
      footer?: string
      button: string
      sections: Array<{
        title?: string
        rows: Array<{ id: string; title: string; description?: string }>
      }>
    }

/** Media in a template parameter: a public link, or media stored in Linda. */
export type TemplateMediaRef = { link: string } | { mediaId: string }

export type TemplateParameter =
  | { type: 'text'; text: string; /** For templates with named parameters. */ name?: string }
  | { type: 'currency'; fallback: string; code: string; amount1000: number; name?: string }
  | { type: 'dateTime'; fallback: string; name?: string }
  | { type: 'image' | 'video'; media: TemplateMediaRef }
  | { type: 'document'; media: TemplateMediaRef; filename?: string }

export type TemplateComponent =
  | { type: 'header' | 'body'; parameters: TemplateParameter[] }
  | { type: 'button'; subType: 'quick_reply'; index: number; payload: string }
  | { type: 'button'; subType: 'url'; index: number; text: string }
  | { type: 'button'; subType: 'copy_code'; index: number; couponCode: string }

export interface TemplateContent {
  name: string
  /** The template's language code, e.g. `en_US`. */
  language: string
  components?: TemplateComponent[]
}

/**
 * A reaction. `messageId` is Linda's id of the message reacted to; `externalId` the
 * provider's (a transport is handed `externalId`; inbound reactions carry only it). An
 * empty or null emoji takes the reaction back.
 */
export interface ReactionContent {
  messageId?: string
  externalId?: string
  emoji: string | null
}

/** What a message carries, by type. */
export type MessageContent =
  | { type: 'text'; text: string; /** Render a preview of the first link. */ previewUrl?: boolean }
  | { type: MediaType; media: MediaContent }
  | { type: 'location'; location: LocationContent }
  | { type: 'contacts'; contacts: ContactCard[] }
  | { type: 'interactive'; interactive: InteractiveContent }
  | { type: 'reaction'; reaction: ReactionContent }
  | { type: 'template'; template: TemplateContent }
  | { type: 'button_reply'; reply: { id: string; title: string } }
  | { type: 'list_reply'; reply: { id: string; title: string; description?: string } }
  | { type: 'button'; button: { text: string; payload?: string } }
  | {
      type: 'unsupported'
      unsupported: { type?: string; error?: { code: string; message: string } }
    }

/** The content of the types a transport can send. */
export type OutboundContent = Extract<MessageContent, { type: OutboundMessageType }>

/** A message a contact sent to the account. */
export interface InboundMessage {
  /** The provider's id; ingesting the same id twice is a no-op. */
  externalId: string
  /** Sender, E.164. */
  from: string
  type: MessageType
  /** What a person reads as the message's text (the body, a caption, a button's title), or null. */
  text: string | null
  /** The message in full; absent for a plain text message. */
  content?: MessageContent
  /** The provider's id of the message this one answers. */
  replyTo?: string
  /** When the contact sent it, ISO 8601. */
  timestamp: string
  /** The name the contact gave themselves, when the provider tells. */
  profileName?: string
  /**
   * Set when the message was written in a group chat: the group's id on the provider, and
   * whether the message mentions the account (an @mention, or a reply to its message).
   */
  group?: { id: string; mentionsAccount: boolean }
}

export const receiptStatuses = ['sent', 'delivered', 'read', 'failed'] as const
export type ReceiptStatus = (typeof receiptStatuses)[number]

/** A delivery update for a message the account sent. */
export interface StatusUpdate {
  externalId: string
  status: ReceiptStatus
  timestamp: string
  error?: { code: string; message: string }
}

export interface OutboundMessage {
  /** Linda's message id (providers that accept a client reference get it). */
  messageId: string
  /** Recipient, E.164. */
  to: string
  type: OutboundMessageType
  /** The readable text (the whole message when it is a text message). */
  text: string
  /**
   * The message in full; absent means a text message of `text`. Its type is one the
   * transport's `capabilities.send` lists. A reaction carries the provider's `externalId`.
   */
  content?: OutboundContent
}

/** Linda's stored media, for transports that upload it to their provider before a send. */
export interface MediaSource {
  /** The bytes of stored media `mediaId`; rejects when there is none. */
  read(mediaId: string): Promise<{
    data: Buffer
    mimeType: string
    filename: string | null
    sha256: string
  }>
}

/** Media fetched from the provider. */
export interface DownloadedMedia {
  data: Buffer
  mimeType: string
  /** Hex sha256 of `data`. */
  sha256: string
  size: number
}

/** What a transport reports to Linda. Each returns once Linda has stored what it was told. */
export interface TransportListener {
  inbound(message: InboundMessage): Promise<{ messageId: string; duplicate: boolean }>
  /** Receipts, in the order the provider reported them (one Cloud webhook carries many). */
  statuses(updates: readonly StatusUpdate[]): Promise<void>
  state(state: ConnectionState, reason?: string): void
}

/** Why a send failed, and whether trying again may help. */
export class TransportError extends Error {
  /** The account's credentials no longer work: it needs a person, not a retry. */
  readonly authFailure: boolean = false
  /**
   * The request may have reached WhatsApp before it failed (a timeout mid-request):
   * sending again may deliver the message twice.
   */
  readonly deliveryUnknown: boolean = false

  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    /** When the provider asked to wait (rate limits), how long. */
    readonly retryAfterMs?: number,
  ) {
    super(message)
    this.name = 'TransportError'
  }
}

export interface Transport {
  readonly kind: TransportKind
  readonly capabilities: TransportCapabilities
  /** Opens the connection; reports progress through the listener's `state`. */
  connect(): Promise<void>
  /** Closes the connection, keeping the link so that `connect` resumes it. */
  disconnect(): Promise<void>
  /**
   * Hands one message to the network and returns the provider's id for it. Throws a
   * TransportError saying whether a retry may help.
   */
  send(message: OutboundMessage, signal: AbortSignal): Promise<{ externalId: string }>
  /**
   * Fetches the bytes of media a contact sent (`MediaContent.providerId`), refusing more
   * than the size limit of `type`. Only transports whose provider keeps media apart from
   * the message (the Cloud API) have it.
   */
  downloadMedia?(
    providerId: string,
    options: { type: MediaType; signal?: AbortSignal },
  ): Promise<DownloadedMedia>
}
