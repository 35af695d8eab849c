/**
 * The catalogue of Linda's domain errors. Each code has one HTTP status and one title;
 * services throw `AppError`s with these codes, and the one Fastify error handler maps
 * them to problem+json. `docs/errors.md` lists the same codes (a test keeps them equal).
 */
export const errorCatalogue = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The body is not valid JSON' },
  UNAUTHORIZED: { status: 401, title: 'Authentication required' },
  LOGIN_FAILED: { status: 401, title: 'Sign-in failed' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  CSRF_FAILED: {
    status: 403,
    title: 'The request is missing its CSRF token or comes from another site',
  },
  NOT_FOUND: { status: 404, title: 'Not found' },
  ACCOUNT_NOT_FOUND: { status: 404, title: 'Account not found' },
  MESSAGE_NOT_FOUND: { status: 404, title: 'Message not found' },
  RULE_NOT_FOUND: { status: 404, title: 'Rule not found' },
  MEDIA_NOT_FOUND: { status: 404, title: 'Media not found' },
  FLOW_NOT_FOUND: { status: 404, title: 'Flow not found' },
  FLOW_READ_ONLY: { status: 409, title: 'The flow is defined in code and cannot be changed here' },
  FLOW_DISABLED: { status: 409, title: 'The flow is disabled' },
  CONTACT_NOT_FOUND: { status: 404, title: 'Contact not found' },
  TEMPLATE_NOT_FOUND: { status: 404, title: 'Template not found' },
  USER_NOT_FOUND: { status: 404, title: 'User not found' },
  USER_EMAIL_TAKEN: { status: 409, title: 'Another user already has this email' },
  USER_LAST_OWNER: {
    status: 409,
    title: 'The last owner cannot be demoted or disabled',
  },
  USER_DISABLED: { status: 409, title: 'The user is disabled' },
  LINK_INVALID: { status: 410, title: 'The link was used, has expired or never existed' },
  CONTACT_ATTRIBUTE_NOT_FOUND: { status: 404, title: 'Contact attribute not found' },
  SEGMENT_NOT_FOUND: { status: 404, title: 'Segment not found' },
  CAMPAIGN_NOT_FOUND: { status: 404, title: 'Campaign not found' },
  SCHEDULE_NOT_FOUND: { status: 404, title: 'Schedule not found' },
  ACCOUNT_NOT_SANDBOX: { status: 409, title: 'The account is not a sandbox account' },
  ACCOUNT_NOT_CONNECTED: { status: 409, title: 'The account is not connected' },
  ACCOUNT_PHONE_NUMBER_ID_TAKEN: {
    status: 409,
    title: 'Another account already uses this Cloud API phone number id',
  },
  ACCOUNT_PHONE_TAKEN: { status: 409, title: 'Another account already links this phone number' },
  ACCOUNT_CREDENTIALS_UNREADABLE: {
    status: 409,
    title: "The account's credentials cannot be decrypted with this instance's key",
  },
  TEMPLATE_NAME_TAKEN: { status: 409, title: 'Another template already has this name' },
  TRANSLATION_OFF: { status: 409, title: 'Translation is not configured' },
  CONTACT_PHONE_TAKEN: { status: 409, title: 'Another contact already has this phone number' },
  CONTACT_LID_TAKEN: { status: 409, title: 'Another contact already has this WhatsApp LID' },
  CONTACT_ATTRIBUTE_TAKEN: {
    status: 409,
    title: 'The contact attribute is already declared with another type',
  },
  CAMPAIGN_STATE_CONFLICT: {
    status: 409,
    title: 'The campaign cannot do this in its current status',
  },
  SCHEDULE_STATE_CONFLICT: {
    status: 409,
    title: 'The schedule cannot do this in its current status',
  },
  IDEMPOTENCY_CONFLICT: {
    status: 409,
    title: 'The Idempotency-Key was already used with another request',
  },
  MESSAGE_NOT_RETRYABLE: {
    status: 409,
    title: 'Only a failed or uncertain outbound message can be sent again',
  },
  PHONE_INVALID: { status: 422, title: 'The phone number is not valid' },
  PASSWORD_TOO_WEAK: { status: 422, title: 'The password is too weak' },
  CONTACT_OPTED_OUT: {
    status: 422,
    title: 'The contact opted out: this message may not be sent to them',
  },
  MESSAGE_TYPE_NOT_SUPPORTED: {
    status: 422,
    title: "The account's transport cannot send this type of message",
  },
  WHATSAPP_CHECK_NOT_SUPPORTED: {
    status: 422,
    title: "The account's transport cannot tell whether a number is on WhatsApp",
  },
  OUTSIDE_SERVICE_WINDOW: {
    status: 422,
    title: 'Outside the 24-hour customer-service window: send a template',
  },
  TEMPLATE_RENDER_FAILED: {
    status: 422,
    title: 'The template cannot be rendered with these values',
  },
  MESSAGE_HAS_NO_TEXT: { status: 422, title: 'The message has no text' },
  AUDIENCE_NOT_SUPPORTED: {
    status: 422,
    title: 'This kind of audience cannot be resolved by this version',
  },
  MEDIA_TOO_LARGE: { status: 413, title: 'The media is larger than WhatsApp allows for its type' },
  BODY_TOO_LARGE: { status: 413, title: 'The body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  LOGIN_THROTTLED: { status: 429, title: 'Too many failed sign-ins' },
  INTERNAL: { status: 500, title: 'Internal error' },
  TRANSLATION_FAILED: { status: 502, title: 'The translation provider failed' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof errorCatalogue

export interface FieldError {
  /** Dotted path of the failing field, e.g. `body.to` or `query.limit`. */
  path: string
  message: string
}

export class AppError extends Error {
  readonly status: number
  readonly title: string

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly errors?: FieldError[],
    /** Response headers that belong to the error, e.g. `retry-after`. */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    const entry = errorCatalogue[code]
    super(detail ?? entry.title)
    this.name = 'AppError'
    this.status = entry.status
    this.title = entry.title
  }
}
