// Meta's error codes (WhatsApp Business Platform, `support/error-codes`, and Graph API
// error handling) turned into TransportErrors that say whether a retry may help, how long
// to wait, and whether the account itself is broken (auth), with a reason a person can act
// on. Meta asks integrators to branch on `code` (and `error_data.details`), never on titles.
import { graphErrorBodySchema, type GraphErrorBody } from './cloud.schemas.js'
import { TransportError } from '../port.js'

export const cloudErrorCodes = [
  /** Throttled by Meta (130429, 131048, 131056, 80007, 4) or HTTP 429: retry after `retryAfterMs`. */
  'CLOUD_RATE_LIMITED',
  /** The access token is invalid, expired or lacks a permission: the account needs a fix. */
  'CLOUD_AUTH_FAILED',
  /** 131047: outside the 24-hour customer-service window only a template can be sent. */
  'CLOUD_OUTSIDE_WINDOW',
  /** 131026: WhatsApp cannot deliver to this recipient. */
  'CLOUD_UNDELIVERABLE',
  /** Meta refused the request's content (100, 131008, 131009, template errors, …). */
  'CLOUD_INVALID_REQUEST',
  /** Meta is temporarily unable to serve (1, 2, 131000, 131016, 133004, HTTP 5xx). */
  'CLOUD_UNAVAILABLE',
  /** Meta refused for a reason that a retry will not change (policy, payment, …). */
  'CLOUD_REJECTED',
  /** No answer in time; the message may or may not have been accepted. */
  'CLOUD_TIMEOUT',
  /** The Graph API could not be reached. */
  'CLOUD_NETWORK',
  /** A success answer that does not have the documented shape. */
  'CLOUD_BAD_RESPONSE',
  /** Inbound media larger than the limit for its type. */
  'CLOUD_MEDIA_TOO_LARGE',
  /** Inbound media whose bytes do not match Meta's sha256. */
  'CLOUD_MEDIA_CORRUPT',
  /** The transport is not connected. */
  'CLOUD_DISCONNECTED',
] as const
export type CloudErrorCode = (typeof cloudErrorCodes)[number]

/** What Meta said, kept for logs and for the message's stored error. */
export interface MetaErrorInfo {
  /** Meta's numeric code, e.g. 131047. */
  code: number
  subcode?: number
  /** HTTP status of the answer. */
  httpStatus: number
  /** Meta's short title, e.g. "Re-engagement message". */
  title: string
  /** `error_data.details`, Meta's longer explanation. */
  details?: string
  /** Meta's trace id, for a support request. */
  fbtraceId?: string
}

export interface CloudApiErrorOptions {
  retryable: boolean
  retryAfterMs?: number
  /** Meta throttles the whole number, or the pair of number and recipient (see TransportError). */
  throttle?: 'account' | 'recipient'
  authFailure?: boolean
  deliveryUnknown?: boolean
  meta?: MetaErrorInfo
  cause?: unknown
}

/** A TransportError from the Cloud transport, with what the account layer needs to act. */
export class CloudApiError extends TransportError {
  declare readonly code: CloudErrorCode
  /**
   * Auth failures: the token is invalid or expired, or a permission is missing; the
   * account should go to `error` until someone gives it a new token.
   */
  declare readonly authFailure: boolean
  declare readonly deliveryUnknown: boolean
  /** Meta's own error, when Meta answered with one. */
  readonly meta?: MetaErrorInfo

  constructor(code: CloudErrorCode, message: string, options: CloudApiErrorOptions) {
    super(code, message, options.retryable, options.retryAfterMs)
    this.name = 'CloudApiError'
    Object.assign(this, {
      authFailure: options.authFailure ?? false,
      deliveryUnknown: options.deliveryUnknown ?? false,
      ...(options.throttle ? { throttle: options.throttle } : {}),
    })
    if (options.meta) this.meta = options.meta
    if (options.cause !== undefined) this.cause = options.cause
  }
}

/** Whether an error from any transport call says the account's credentials are broken. */
export function isAuthFailure(error: unknown): boolean {
  return error instanceof CloudApiError && error.authFailure
}

interface Classification {
  code: CloudErrorCode
  retryable: boolean
  /** Wait at least this long before trying again (when Meta gives no Retry-After). */
  retryAfterMs?: number
  authFailure?: boolean
  /** Who else the throttle holds back: every send of the number, or those to the recipient. */
  throttle?: 'account' | 'recipient'
  /** Why, in words a person can act on. */
  reason: string
}

// Meta documents the throttling windows: throughput is per second (80 messages/s by
// default), the pair rate about one message every 6 s to the same user, and the app and
// WABA limits are hourly budgets. The pair rate holds back only sends to that recipient
// ("you can still send messages to a different phone number without waiting"); the others
// hold back the whole number, so its sender pauses rather than fail message after message.
const throttling: Record<number, Classification> = {
  130429: {
    code: 'CLOUD_RATE_LIMITED',
    retryable: true,
    retryAfterMs: 1_000,
    throttle: 'account',
    reason: "The phone number's message throughput was exceeded; sending slower will succeed",
  },
  131056: {
    code: 'CLOUD_RATE_LIMITED',
    retryable: true,
    retryAfterMs: 6_000,
    throttle: 'recipient',
    reason: 'Too many messages to the same contact in a short time (pair rate limit)',
  },
  80007: {
    code: 'CLOUD_RATE_LIMITED',
    retryable: true,
    retryAfterMs: 60_000,
    throttle: 'account',
    reason: 'The WhatsApp Business Account reached its API rate limit',
  },
  // A restriction for spam lasts until the number's quality recovers: the number pauses
  // for an hour (the message waits with it) rather than fail everything it sends meanwhile.
  131048: {
    code: 'CLOUD_RATE_LIMITED',
    retryable: true,
    retryAfterMs: 3_600_000,
    throttle: 'account',
    reason:
      'Meta restricts how many messages this number may send because earlier ones were ' +
      'blocked or reported as spam',
  },
  4: {
    code: 'CLOUD_RATE_LIMITED',
    retryable: true,
    retryAfterMs: 60_000,
    throttle: 'account',
    reason: 'The Meta app reached its Graph API call rate limit',
  },
}

const specific: Record<number, Classification> = {
  ...throttling,
  0: {
    code: 'CLOUD_AUTH_FAILED',
    retryable: false,
    authFailure: true,
    reason: 'Meta could not authenticate the access token; the account needs a new one',
  },
  190: {
    code: 'CLOUD_AUTH_FAILED',
    retryable: false,
    authFailure: true,
    reason: 'The access token is invalid or has expired; the account needs a new one',
  },
  3: {
    code: 'CLOUD_AUTH_FAILED',
    retryable: false,
    authFailure: true,
    reason: 'The app lacks the capability or permission this call needs',
  },
  10: {
    code: 'CLOUD_AUTH_FAILED',
    retryable: false,
    authFailure: true,
    reason: 'The access token lacks a permission this call needs (whatsapp_business_messaging)',
  },
  131047: {
    code: 'CLOUD_OUTSIDE_WINDOW',
    retryable: false,
    reason:
      'More than 24 hours have passed since the contact last wrote: outside the ' +
      'customer-service window only an approved template can be sent',
  },
  131026: {
    code: 'CLOUD_UNDELIVERABLE',
    retryable: false,
    reason:
      'WhatsApp cannot deliver to this recipient (not a WhatsApp number, an old app ' +
      'version, or terms of service not accepted)',
  },

  131049: {
    code: 'CLOUD_REJECTED',
    retryable: false,
    reason:
      'Meta held this marketing message back to keep engagement healthy; do not resend it now',
  },
  131042: {
    code: 'CLOUD_REJECTED',
    retryable: false,
    reason: 'A payment problem on the WhatsApp Business Account stops sending',
  },
  131031: {
    code: 'CLOUD_REJECTED',
    retryable: false,
    reason: 'The WhatsApp Business Account is locked',
  },
  368: {
    code: 'CLOUD_REJECTED',
    retryable: false,
    reason: 'The account is temporarily blocked for a policy violation',
  },
  131021: {
    code: 'CLOUD_INVALID_REQUEST',
    retryable: false,
    reason: 'The recipient is the sending number itself',
  },
  131051: {
    code: 'CLOUD_INVALID_REQUEST',
    retryable: false,
    reason: 'Cloud API does not support this message type',
  },
  131052: {
    code: 'CLOUD_INVALID_REQUEST',
    retryable: false,
    reason: "Meta could not download the contact's media",
  },
  131053: {
    code: 'CLOUD_INVALID_REQUEST',
    retryable: false,
    reason: "Meta could not use the media to send (check the link's type and size)",
  },
  131000: {
    code: 'CLOUD_UNAVAILABLE',
    retryable: true,
    reason: 'Meta failed for an unknown reason; trying again may succeed',
  },
  131016: {
    code: 'CLOUD_UNAVAILABLE',
    retryable: true,
    reason: 'A Meta service is temporarily unavailable',
  },
  133004: {
    code: 'CLOUD_UNAVAILABLE',
    retryable: true,
    reason: 'The WhatsApp server is temporarily unavailable',
  },
  131057: {
    code: 'CLOUD_UNAVAILABLE',
    retryable: true,
    retryAfterMs: 60_000,
    reason: 'The WhatsApp Business Account is in maintenance mode',
  },
  1: {
    code: 'CLOUD_UNAVAILABLE',
    retryable: true,
    reason: 'Meta reported an unknown error or a possible server error',
  },
  2: {
    code: 'CLOUD_UNAVAILABLE',
    retryable: true,
    reason: 'The Graph API is temporarily down or overloaded',
  },
}

/** How Linda treats one of Meta's error codes (HTTP status decides when the code is unknown). */
export function classifyMetaError(code: number, httpStatus: number): Classification {
  const known = specific[code]
  if (known) return known
  if (code >= 200 && code <= 299) {
    return {
      code: 'CLOUD_AUTH_FAILED',
      retryable: false,
      authFailure: true,
      reason: 'The access token lacks a permission this call needs',
    }
  }
  if ((code >= 132000 && code < 133000) || code === 100 || code === 131008 || code === 131009) {
    return {
      code: 'CLOUD_INVALID_REQUEST',
      retryable: false,
      reason:
        code >= 132000
          ? 'Meta refused the template or its parameters'
          : 'Meta refused a parameter of the request',
    }
  }
  return classifyHttpStatus(httpStatus)
}

function classifyHttpStatus(httpStatus: number): Classification {
  if (httpStatus === 401 || httpStatus === 403) {
    return {
      code: 'CLOUD_AUTH_FAILED',
      retryable: false,
      authFailure: true,
      reason: 'The Graph API refused the credentials',
    }
  }
  if (httpStatus === 429) {
    return {
      code: 'CLOUD_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 1_000,
      throttle: 'account',
      reason: 'The Graph API asked to slow down',
    }
  }
  if (httpStatus >= 500) {
    return {
      code: 'CLOUD_UNAVAILABLE',
      retryable: true,
      reason: `The Graph API failed with HTTP ${httpStatus}`,
    }
  }
  return {
    code: 'CLOUD_REJECTED',
    retryable: false,
    reason: `The Graph API refused the request with HTTP ${httpStatus}`,
  }
}

/**
 * The CloudApiError for a failed Graph API answer. `body` is whatever came back (parsed
 * JSON, or undefined when the body was not JSON); `headers` may carry `Retry-After`.
 */
export function errorFromGraphResponse(
  httpStatus: number,
  body: unknown,
  headers?: Headers,
): CloudApiError {
  const parsed = graphErrorBodySchema.safeParse(body)
  const retryAfterHeader = parseRetryAfter(headers?.get('retry-after') ?? null)
  if (!parsed.success) {
    const c = classifyHttpStatus(httpStatus)
    return new CloudApiError(c.code, c.reason, {
      retryable: c.retryable,
      retryAfterMs: retryAfterHeader ?? c.retryAfterMs,
      authFailure: c.authFailure ?? false,
      ...(c.throttle ? { throttle: c.throttle } : {}),
    })
  }
  const meta = metaErrorInfo(parsed.data, httpStatus)
  const c = classifyMetaError(meta.code, httpStatus)
  return new CloudApiError(c.code, `${c.reason} ${describeMeta(meta)}`, {
    retryable: c.retryable,
    retryAfterMs: c.retryable ? (retryAfterHeader ?? c.retryAfterMs) : undefined,
    authFailure: c.authFailure ?? false,
    ...(c.throttle ? { throttle: c.throttle } : {}),
    meta,
  })
}

function metaErrorInfo(body: GraphErrorBody, httpStatus: number): MetaErrorInfo {
  const e = body.error
  const info: MetaErrorInfo = {
    code: e.code,
    httpStatus,
    // Graph writes "(#131047) Re-engagement message"; the title is what follows the code.
    title: e.message.replace(/^\(#\d+\)\s*/, '') || e.error_user_title || 'Unknown error',
  }
  if (e.error_subcode !== undefined) info.subcode = e.error_subcode
  const details = e.error_data?.details ?? e.error_user_msg
  if (details) info.details = details
  if (e.fbtrace_id) info.fbtraceId = e.fbtrace_id
  return info
}

/** "(Meta error 131047: Re-engagement message — <details>)" */
export function describeMeta(meta: Pick<MetaErrorInfo, 'code' | 'title' | 'details'>): string {
  const details = meta.details && meta.details !== meta.title ? ` — ${meta.details}` : ''
  return `(Meta error ${meta.code}: ${meta.title}${details})`
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}
