import { TransportError } from '../port.js'

export const baileysErrorCodes = [
  /** The recipient is not a phone number WhatsApp can address (`+` and 8 to 15 digits). */
  'BAILEYS_INVALID_RECIPIENT',
  /** The account's WhatsApp Web connection is not open (linking, reconnecting, stopped). */
  'BAILEYS_NOT_CONNECTED',
  /** The connection closed or timed out while sending. */
  'BAILEYS_CONNECTION_LOST',
  /** WhatsApp refused the message (a bad request, an unknown recipient). */
  'BAILEYS_SEND_REJECTED',
  /** Baileys failed for a reason it did not classify. */
  'BAILEYS_SEND_FAILED',
  /**
   * The session's worker went away while sending (it crashed, passed its memory ceiling or
   * stopped answering, and is restarted): the message may have left.
   */
  'BAILEYS_WORKER_LOST',
] as const
export type BaileysErrorCode = (typeof baileysErrorCodes)[number]

export interface BaileysErrorOptions {
  retryable: boolean
  deliveryUnknown?: boolean
  /** How long to wait before trying again, when the transport knows. */
  retryAfterMs?: number
  cause?: unknown
}

/** Whether `code` is one of the WhatsApp Web transport's error codes. */
export function isBaileysErrorCode(code: string): code is BaileysErrorCode {
  return (baileysErrorCodes as readonly string[]).includes(code)
}

/** A TransportError from the WhatsApp Web transport. */
export class BaileysError extends TransportError {
  declare readonly code: BaileysErrorCode
  declare readonly deliveryUnknown: boolean

  constructor(code: BaileysErrorCode, message: string, options: BaileysErrorOptions) {
    super(code, message, options.retryable, options.retryAfterMs)
    this.name = 'BaileysError'
    Object.assign(this, { deliveryUnknown: options.deliveryUnknown ?? false })
    if (options.cause !== undefined) this.cause = options.cause
  }
}

/** The HTTP-like status code Baileys puts on its errors (`Boom#output.statusCode`), if any. */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('output' in error)) return undefined
  const output = (error as { output?: { statusCode?: unknown } }).output
  return typeof output?.statusCode === 'number' ? output.statusCode : undefined
}

/** What a failed `sendMessage` means for Linda's sender. */
export function classifySendError(error: unknown): BaileysError {
  const status = statusCodeOf(error)
  const detail = error instanceof Error ? error.message : String(error)
  switch (status) {
    // connectionClosed, connectionLost/timedOut, unavailableService: the socket went away.
    case 428:
    case 503:
      return new BaileysError(
        'BAILEYS_CONNECTION_LOST',
        `WhatsApp Web connection lost: ${detail}`,
        {
          retryable: true,
          cause: error,
        },
      )
    case 408:
      // A timeout: the message may have left before the answer was lost.
      return new BaileysError('BAILEYS_CONNECTION_LOST', `WhatsApp Web timed out: ${detail}`, {
        retryable: true,
        deliveryUnknown: true,
        cause: error,
      })
    case 400:
    case 404:
    case 406:
      return new BaileysError('BAILEYS_SEND_REJECTED', `WhatsApp refused the message: ${detail}`, {
        retryable: false,
        cause: error,
      })
    default:
      return new BaileysError('BAILEYS_SEND_FAILED', `WhatsApp Web send failed: ${detail}`, {
        retryable: true,
        cause: error,
      })
  }
}
