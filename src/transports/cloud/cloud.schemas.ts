// Meta's Cloud API shapes, as documented in the WhatsApp Business Platform references
// (webhooks: `webhooks/reference/messages/*`; sending: `reference/messages`; media:
// `reference/media`; errors: `support/error-codes`). They stay in this folder: everything
// outside it sees Linda's own types (cloud.mapping.ts).
//
// Meta adds fields over time, so objects are parsed loosely (unknown keys are dropped, not
// refused). A message of a type this file does not know is not an error: it is mapped to
// `unsupported`, as Meta itself does for types Cloud API cannot carry.
import { z } from 'zod'

/** Unix seconds as Meta sends them: a string of digits (a few payloads use a number). */
export const unixSecondsSchema = z.union([
  z.string().regex(/^\d{1,12}$/, 'unix seconds'),
  z.number().int().nonnegative(),
])

/** A WhatsApp user's number as Meta writes it: digits, no `+`. */
export const waDigitsSchema = z.string().regex(/^\d{5,20}$/, 'digits without +')

// ---------------------------------------------------------------------------------------
// Errors: the Graph API error body, and the error objects webhooks carry.

/** `{ error: { … } }`, the body of every failed Graph API call. */
export const graphErrorBodySchema = z.object({
  error: z.object({
    message: z.string().default(''),
    type: z.string().optional(),
    code: z.coerce.number().int(),
    error_subcode: z.coerce.number().int().optional(),
    error_user_title: z.string().optional(),
    error_user_msg: z.string().optional(),
    error_data: z
      .object({ messaging_product: z.string().optional(), details: z.string().optional() })
      .optional(),
    fbtrace_id: z.string().optional(),
  }),
})
export type GraphErrorBody = z.output<typeof graphErrorBodySchema>

/** An error inside a webhook (`statuses[].errors[]`, `messages[].errors[]`, `value.errors[]`). */
export const webhookErrorSchema = z.object({
  code: z.coerce.number().int(),
  title: z.string().default(''),
  message: z.string().optional(),
  error_data: z.object({ details: z.string().optional() }).optional(),
  href: z.string().optional(),
})
export type MetaWebhookError = z.output<typeof webhookErrorSchema>

// ---------------------------------------------------------------------------------------
// Webhook: inbound messages.

const mediaSchema = z.object({
  id: z.string().min(1),
  mime_type: z.string().min(1),
  sha256: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  /** Audio only: true for a voice note. */
  voice: z.boolean().optional(),
  /** Sticker only. */
  animated: z.boolean().optional(),
})
export type MetaMedia = z.output<typeof mediaSchema>

/** Meta's `type` of a phone, email, URL or address (HOME, WORK, …). */
const typed = { type: z.string().optional() }

/** A contact card, as inbound `contacts` messages carry and outbound ones send. */
export const contactCardSchema = z.object({
  name: z
    .object({
      formatted_name: z.string().optional(),
      first_name: z.string().optional(),
      last_name: z.string().optional(),
      middle_name: z.string().optional(),
      suffix: z.string().optional(),
      prefix: z.string().optional(),
    })
    .optional(),
  phones: z
    .array(z.object({ phone: z.string().optional(), wa_id: z.string().optional(), ...typed }))
    .optional(),
  emails: z.array(z.object({ email: z.string().optional(), ...typed })).optional(),
  urls: z.array(z.object({ url: z.string().optional(), ...typed })).optional(),
  addresses: z
    .array(
      z.object({
        street: z.string().optional(),
        city: z.string().optional(),
        state: z.string().optional(),
        zip: z.string().optional(),
        country: z.string().optional(),
        country_code: z.string().optional(),
        ...typed,
      }),
    )
    .optional(),
  org: z
    .object({
      company: z.string().optional(),
      department: z.string().optional(),
      title: z.string().optional(),
    })
    .optional(),
  birthday: z.string().optional(),
})
export type MetaContactCard = z.output<typeof contactCardSchema>

/** What every message in `value.messages[]` has, whatever its type. */
export const messageEnvelopeSchema = z.object({
  id: z.string().min(1),
  from: waDigitsSchema,
  timestamp: unixSecondsSchema,
  type: z.string().min(1),
  context: z
    .object({
      from: z.string().optional(),
      id: z.string().optional(),
      forwarded: z.boolean().optional(),
      frequently_forwarded: z.boolean().optional(),
    })
    .optional(),
  errors: z.array(webhookErrorSchema).optional(),
})
export type MetaMessageEnvelope = z.output<typeof messageEnvelopeSchema>

/** The type-specific part of each message type Linda understands. */
export const messageContentSchemas = {
  text: z.object({ text: z.object({ body: z.string() }) }),
  image: z.object({ image: mediaSchema }),
  audio: z.object({ audio: mediaSchema }),
  video: z.object({ video: mediaSchema }),
  document: z.object({ document: mediaSchema }),
  sticker: z.object({ sticker: mediaSchema }),
  location: z.object({
    location: z.object({
      latitude: z.coerce.number().min(-90).max(90),
      longitude: z.coerce.number().min(-180).max(180),
      name: z.string().optional(),
      address: z.string().optional(),
      url: z.string().optional(),
    }),
  }),
  contacts: z.object({ contacts: z.array(contactCardSchema).min(1) }),
  interactive: z.object({
    interactive: z.discriminatedUnion('type', [
      z.object({
        type: z.literal('button_reply'),
        button_reply: z.object({ id: z.string(), title: z.string() }),
      }),
      z.object({
        type: z.literal('list_reply'),
        list_reply: z.object({
          id: z.string(),
          title: z.string(),
          description: z.string().optional(),
        }),
      }),
    ]),
  }),
  button: z.object({ button: z.object({ payload: z.string().optional(), text: z.string() }) }),
  reaction: z.object({
    reaction: z.object({
      message_id: z.string().min(1),
      /** Absent or empty when the contact removes their reaction. */
      emoji: z.string().optional(),
    }),
  }),
  unsupported: z.object({ unsupported: z.object({ type: z.string().optional() }).optional() }),
} as const
export type KnownMessageType = keyof typeof messageContentSchemas

export function isKnownMessageType(type: string): type is KnownMessageType {
  return Object.hasOwn(messageContentSchemas, type)
}

// ---------------------------------------------------------------------------------------
// Webhook: statuses of messages the business sent.

export const statusSchema = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  timestamp: unixSecondsSchema,
  recipient_id: z.string().min(1),
  /** What the sender put in `biz_opaque_callback_data`. */
  biz_opaque_callback_data: z.string().optional(),
  errors: z.array(webhookErrorSchema).optional(),
  conversation: z.object({ id: z.string().optional() }).optional(),
  pricing: z
    .object({
      billable: z.boolean().optional(),
      pricing_model: z.string().optional(),
      category: z.string().optional(),
    })
    .optional(),
})
export type MetaStatus = z.output<typeof statusSchema>

// ---------------------------------------------------------------------------------------
// Webhook: the envelope. Messages and statuses are kept raw (`unknown`) here and parsed one
// by one, so that one odd message does not cost the others in the same delivery.

export const webhookValueSchema = z.object({
  messaging_product: z.literal('whatsapp'),
  metadata: z.object({
    display_phone_number: z.string().optional(),
    phone_number_id: z.string().min(1),
  }),
  contacts: z
    .array(
      z.object({
        wa_id: z.string().optional(),
        profile: z.object({ name: z.string() }).partial().optional(),
      }),
    )
    .optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(webhookErrorSchema).optional(),
})
export type MetaWebhookValue = z.output<typeof webhookValueSchema>

export const webhookEnvelopeSchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.object({
      id: z.string(),
      changes: z.array(z.object({ field: z.string(), value: z.unknown() })),
    }),
  ),
})
export type MetaWebhookEnvelope = z.output<typeof webhookEnvelopeSchema>

/**
 * The least that must hold to find which accounts (and so which app secrets) a delivery
 * concerns, before its signature can be checked.
 */
export const webhookRoutingSchema = z.object({
  entry: z.array(
    z.object({
      changes: z.array(
        z.object({
          value: z
            .object({ metadata: z.object({ phone_number_id: z.string().min(1) }).optional() })
            .optional(),
        }),
      ),
    }),
  ),
})

/** `GET /webhooks/cloud?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` */
export const challengeQuerySchema = z.object({
  'hub.mode': z.literal('subscribe'),
  'hub.verify_token': z.string().min(1),
  'hub.challenge': z.string().min(1).max(512),
})

// ---------------------------------------------------------------------------------------
// Sending and media.

/** The answer to `POST /{phone-number-id}/messages`. */
export const sendResponseSchema = z.object({
  messaging_product: z.literal('whatsapp'),
  contacts: z.array(z.object({ input: z.string(), wa_id: z.string() })).optional(),
  messages: z
    .array(z.object({ id: z.string().min(1), message_status: z.string().optional() }))
    .min(1),
})

/** The answer to marking a message read (`{"status": "read", "message_id": …}`). */
export const readResponseSchema = z.object({ success: z.boolean() })

/** The answer to `GET /{media-id}`: where to fetch the bytes for the next five minutes. */
export const mediaInfoSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  mime_type: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'hex sha256'),
  file_size: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(Number),
  id: z.string().min(1),
  messaging_product: z.literal('whatsapp').optional(),
})
export type MetaMediaInfo = z.output<typeof mediaInfoSchema>

/** The answer to `POST /{phone-number-id}/media`. */
export const uploadResponseSchema = z.object({ id: z.string().min(1) })

/** The answer to `GET /{phone-number-id}` (the fields connect() reads). */
export const phoneNumberSchema = z.object({
  id: z.string().min(1),
  display_phone_number: z.string().optional(),
  verified_name: z.string().optional(),
  quality_rating: z.string().optional(),
})
