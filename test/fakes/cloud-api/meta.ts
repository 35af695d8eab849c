// Meta's side of the Cloud API, as documented: the error bodies the Graph API answers with,
// the webhook envelope Meta POSTs, its signature, and the rules a send body must follow.
// Written from Meta's documentation, independently of Linda's adapter (src/transports/cloud),
// so that a misreading on one side is caught by the other.
import { createHmac, randomBytes, randomInt } from 'node:crypto'
import { z } from 'zod'

/** A Graph API error as Meta documents it, with the HTTP status it comes with. */
export interface MetaErrorSpec {
  httpStatus: number
  title: string
  details?: string
  subcode?: number
  type?: string
}

// From "Error codes" (WhatsApp Business Platform): titles, details and HTTP statuses.
export const metaErrors: Record<number, MetaErrorSpec> = {
  0: {
    httpStatus: 401,
    title: 'AuthException',
    details: 'We were unable to authenticate the app user.',
  },
  4: {
    httpStatus: 400,
    title: 'Application request limit reached',
    details: 'The app has reached its API call rate limit.',
  },
  10: {
    httpStatus: 403,
    title: 'Permission denied',
    details: 'Permission is either not granted or has been removed.',
  },
  100: { httpStatus: 400, title: 'Invalid parameter', subcode: 2494010 },
  190: {
    httpStatus: 401,
    title: 'Error validating access token: Session has expired.',
    subcode: 463,
  },
  80007: {
    httpStatus: 400,
    title: 'Rate limit issues',
    details: 'The WhatsApp Business Account has reached its rate limit.',
  },
  130429: {
    httpStatus: 400,
    title: 'Rate limit hit',
    details:
      'Message failed to send because there were too many messages sent from this phone number in a short period of time',
    subcode: 2494055,
  },
  131000: {
    httpStatus: 500,
    title: 'Something went wrong',
    details: 'Message failed to send due to an unknown error.',
  },
  131016: {
    httpStatus: 503,
    title: 'Service unavailable',
    details: 'A service is temporarily unavailable.',
  },
  131026: {
    httpStatus: 400,
    title: 'Message undeliverable',
    details:
      'Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted the new Terms of Service.',
  },
  131047: {
    httpStatus: 400,
    title: 'Re-engagement message',
    details:
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },
  131048: {
    httpStatus: 400,
    title: 'Spam rate limit hit',
    details:
      'Message failed to send because there are restrictions on how many messages can be sent from this phone number.',
  },
  131049: {
    httpStatus: 400,
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
  },
  131056: {
    httpStatus: 400,
    title: '(Business Account, Consumer Account) pair rate limit hit',
    details:
      'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
  },
}

export function metaError(code: number): MetaErrorSpec {
  return metaErrors[code] ?? { httpStatus: 400, title: `Error ${code}` }
}

/** The JSON body of a failed Graph API call. */
export function graphErrorBody(code: number, override: Partial<MetaErrorSpec> = {}): object {
  const spec = { ...metaError(code), ...override }
  return {
    error: {
      message: `(#${code}) ${spec.title}`,
      type: spec.type ?? 'OAuthException',
      code,
      ...(spec.details
        ? { error_data: { messaging_product: 'whatsapp', details: spec.details } }
        : {}),
      ...(spec.subcode !== undefined ? { error_subcode: spec.subcode } : {}),
      fbtrace_id: randomBytes(12).toString('base64url'),
    },
  }
}

/** The error object inside a webhook (`statuses[].errors[]`). */
export function webhookErrorObject(code: number): object {
  const spec = metaError(code)
  return {
    code,
    title: spec.title,
    message: spec.title,
    ...(spec.details ? { error_data: { details: spec.details } } : {}),
    href: '/documentation/business-messaging/whatsapp/support/error-codes',
  }
}

/** `X-Hub-Signature-256` for a body: HMAC-SHA256 with the app secret, hex, `sha256=` prefix. */
export function hubSignature(body: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`
}

/** A message id in Meta's style (`wamid.` and base64). */
export function newWamid(digits: string): string {
  const inner = `HBgL${digits}FQIAERgS${randomBytes(9).toString('hex').toUpperCase()}AA==`
  return `wamid.${Buffer.from(inner).toString('base64')}`
}

/** A numeric Graph object id (media ids look like this). */
export function newGraphId(): string {
  return `${randomInt(1, 10)}${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e6)).padStart(6, '0')}`
}

export interface BusinessNumber {
  wabaId: string
  phoneNumberId: string
  displayPhoneNumber: string
}

/** Meta's webhook envelope around one `messages` change for the business number. */
export function webhookEnvelope(number: BusinessNumber, value: object): object {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: number.displayPhoneNumber,
                phone_number_id: number.phoneNumberId,
              },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  }
}

// ---------------------------------------------------------------------------------------
// What `POST /{phone-number-id}/messages` accepts ("Send messages" reference; limits from the
// interactive and media references).

const mediaObject = (extra: z.ZodRawShape) =>
  z.union([
    z.strictObject({ link: z.url({ protocol: /^https?$/ }), ...extra }),
    z.strictObject({ id: z.string().regex(/^\d+$/), ...extra }),
  ])
const captioned = { caption: z.string().max(1024).optional() }
const textObject = z.strictObject({ text: z.string().min(1).max(1024) })
const headerObject = z.object({ type: z.literal('text'), text: z.string().min(1).max(60) })

const interactiveSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('button'),
    header: headerObject.optional(),
    body: textObject,
    footer: z.strictObject({ text: z.string().min(1).max(60) }).optional(),
    action: z.strictObject({
      buttons: z
        .array(
          z.strictObject({
            type: z.literal('reply'),
            reply: z.strictObject({
              id: z.string().min(1).max(256),
              title: z.string().min(1).max(20),
            }),
          }),
        )
        .min(1)
        .max(3),
    }),
  }),
  z.object({
    type: z.literal('list'),
    header: headerObject.optional(),
    body: textObject,
    footer: z.strictObject({ text: z.string().min(1).max(60) }).optional(),
    action: z.strictObject({
      button: z.string().min(1).max(20),
      sections: z
        .array(
          z.strictObject({
            title: z.string().max(24).optional(),
            rows: z
              .array(
                z.strictObject({
                  id: z.string().min(1).max(200),
                  title: z.string().min(1).max(24),
                  description: z.string().max(72).optional(),
                }),
              )
              .min(1),
          }),
        )
        .min(1)
        .max(10)
        .refine((s) => s.reduce((n, x) => n + x.rows.length, 0) <= 10, 'at most 10 rows in all'),
    }),
  }),
])

const templateSchema = z.object({
  name: z.string().min(1).max(512),
  language: z.object({ code: z.string().min(2), policy: z.literal('deterministic').optional() }),
  components: z
    .array(
      z.object({
        type: z.enum(['header', 'body', 'button']),
        sub_type: z.string().optional(),
        index: z.union([z.string().regex(/^\d$/), z.number().int().min(0).max(9)]).optional(),
        parameters: z.array(z.object({ type: z.string() }).loose()).optional(),
      }),
    )
    .optional(),
})

const contentSchemas = {
  text: z.object({
    text: z.strictObject({
      body: z.string().min(1).max(4096),
      preview_url: z.boolean().optional(),
    }),
  }),
  image: z.object({ image: mediaObject(captioned) }),
  video: z.object({ video: mediaObject(captioned) }),
  document: z.object({
    document: mediaObject({ ...captioned, filename: z.string().max(240).optional() }),
  }),
  audio: z.object({ audio: mediaObject({}) }),
  sticker: z.object({ sticker: mediaObject({}) }),
  location: z.object({
    location: z.strictObject({
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      name: z.string().optional(),
      address: z.string().optional(),
    }),
  }),
  contacts: z.object({
    contacts: z
      .array(z.object({ name: z.object({ formatted_name: z.string().min(1) }).loose() }).loose())
      .min(1),
  }),
  reaction: z.object({
    reaction: z.strictObject({ message_id: z.string().min(1), emoji: z.string() }),
  }),
  interactive: z.object({ interactive: interactiveSchema }),
  template: z.object({ template: templateSchema }),
} as const
export type SendType = keyof typeof contentSchemas

export const sendEnvelopeSchema = z.object({
  messaging_product: z.literal('whatsapp'),
  recipient_type: z.literal('individual').optional(),
  to: z.string().regex(/^\+?\d{5,20}$/, 'a phone number or WhatsApp id'),
  type: z.enum(Object.keys(contentSchemas) as [SendType, ...SendType[]]).default('text'),
  context: z.strictObject({ message_id: z.string().min(1) }).optional(),
  biz_opaque_callback_data: z.string().max(512).optional(),
})

/** Null when Meta would accept the body; else the `error_data.details` Meta would give. */
export function sendBodyProblem(body: unknown): string | null {
  const envelope = sendEnvelopeSchema.safeParse(body)
  if (!envelope.success) return describe(envelope.error)
  const content = contentSchemas[envelope.data.type].safeParse(body)
  if (!content.success) return describe(content.error)
  return null
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'Invalid parameter'
  const path = issue.path.map((p, i) => (i === 0 ? String(p) : `['${String(p)}']`)).join('')
  return `Param ${path || '(body)'} is invalid: ${issue.message}`
}
