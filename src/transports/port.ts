/**
 * The Transport port: one kind of WhatsApp connection. Vendor shapes (Meta's, Baileys')
 * stay inside each adapter; these are Linda's own types.
 */

export const transportKinds = ['sandbox', 'cloud', 'baileys'] as const
export type TransportKind = (typeof transportKinds)[number]

export const messageTypes = ['text'] as const
export type MessageType = (typeof messageTypes)[number]

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
  /** Message types this transport can send. */
  readonly send: readonly MessageType[]
  /** Whether it reports delivered/read receipts. */
  readonly receipts: boolean
  /** How a device is linked: not at all, by QR code, or by QR or pairing code. */
  readonly pairing: 'none' | 'qr' | 'qr-or-code'
  /** Whether free-form sends need an approved template outside the 24-hour window. */
  readonly templatesRequired: boolean
}

/** A message a contact sent to the account. */
export interface InboundMessage {
  /** The provider's id; ingesting the same id twice is a no-op. */
  externalId: string
  /** Sender, E.164. */
  from: string
  type: MessageType
  text: string | null
  /** When the contact sent it, ISO 8601. */
  timestamp: string
  /** The name the contact gave themselves, when the provider tells. */
  profileName?: string
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
  type: MessageType
  text: string
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
}
