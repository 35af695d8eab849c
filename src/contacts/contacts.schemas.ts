import { getCountries, type CountryCode } from 'libphonenumber-js/min'
import { z } from 'zod'
import { ATTRIBUTE_LIMITS } from './attributes.schemas.js'
import { FILTER_LIMITS, tagInput } from './filter.schemas.js'

const countryCode = z
  .string()
  .trim()
  .toUpperCase()
  .pipe(
    z.enum(getCountries(), {
      error: 'must be an ISO 3166-1 alpha-2 country code with phone numbers, e.g. AE',
    }),
  )

const language = z
  .string()
  .trim()
  .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a language tag, e.g. en, ar or pt-BR')
  .max(35)

const timezone = z
  .string()
  .trim()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz })
      return true
    } catch {
      return false
    }
  }, 'must be an IANA time zone, e.g. Asia/Dubai')

const lid = z
  .string()
  .trim()
  .regex(/^\d{1,32}$/, "must be WhatsApp's LID: the digits before @lid")

const attributeValue = z.union([
  z.string().max(ATTRIBUTE_LIMITS.text, `must be at most ${ATTRIBUTE_LIMITS.text} characters`),
  z.number(),
  z.boolean(),
  z.null(),
])

const attributes = z
  .record(z.string().max(40), attributeValue)
  .refine(
    (a) => Object.keys(a).length <= ATTRIBUTE_LIMITS.perContact,
    `must have at most ${ATTRIBUTE_LIMITS.perContact} attributes`,
  )
  .meta({
    description:
      'Custom attributes by key. Each key is declared once with a type (`/contact-attributes`); an undeclared key is declared by its first value (text, number or boolean). null removes the attribute.',
  })

export const contactSchema = z
  .object({
    id: z.string(),
    phone: z.string().meta({ description: 'E.164' }),
    name: z.string().nullable(),
    language: z.string().nullable(),
    timezone: z.string().nullable(),
    tags: z.array(z.string()),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    notes: z.string().nullable(),
    optedOut: z.boolean(),
    optedOutAt: z.string().nullable(),
    optedOutSource: z.string().nullable(),
    firstInboundAt: z.string().nullable(),
    lastInboundAt: z.string().nullable(),
    firstOutboundAt: z.string().nullable(),
    lastOutboundAt: z.string().nullable(),
    lid: z.string().nullable().meta({ description: "WhatsApp's LID for the contact" }),
    onWhatsApp: z
      .boolean()
      .nullable()
      .meta({ description: 'Whether the number is on WhatsApp; null: never checked' }),
    onWhatsAppCheckedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Contact' })

export type Contact = z.output<typeof contactSchema>

const name = z.string().trim().min(1, 'must not be empty').max(200)
const notes = z.string().max(10_000, 'must be at most 10000 characters')
const tags = z.array(tagInput).max(50, 'must have at most 50 tags')

export const createContactBody = z.strictObject({
  phone: z.string().max(40),
  /** How to read a number without a country code; else the account's default country. */
  defaultCountry: countryCode.optional(),
  accountId: z.string().max(64).optional().meta({
    description: "Read a number without a country code in this account's default country",
  }),
  name: name.nullable().optional(),
  language: language.nullable().optional(),
  timezone: timezone.nullable().optional(),
  tags: tags.optional(),
  attributes: attributes.optional(),
  notes: notes.nullable().optional(),
  lid: lid.nullable().optional(),
})
export type CreateContactInput = z.output<typeof createContactBody>

export const updateContactBody = createContactBody
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')
export type UpdateContactInput = z.output<typeof updateContactBody>

export const optOutBody = z.strictObject({
  source: z
    .string()
    .trim()
    .min(1)
    .max(50)
    .default('api')
    .meta({ description: 'Who or what asked: api, agent, keyword, import…' }),
})

export const mergeBody = z.strictObject({
  from: z
    .array(z.string().min(1).max(64))
    .min(1, 'must name at least one contact')
    .max(20, 'must name at most 20 contacts'),
})

export const checkWhatsAppBody = z.strictObject({
  accountId: z.string().min(1).max(64),
  /** Ask again even when the last check is recent. */
  force: z.boolean().default(false),
})

export const listContactsQuery = z.object({
  q: z
    .string()
    .max(FILTER_LIMITS.string, `must be at most ${FILTER_LIMITS.string} characters`)
    .optional()
    .meta({ description: 'Full-text search over name, phone, attributes and notes; ranked' }),
  filter: z.string().max(8000, 'must be at most 8000 characters').optional().meta({
    description:
      'A filter: the query-string form (`tag:vip city:Dubai -tag:lost last_inbound:>2026-01-01`) or the JSON tree. See docs/contacts.md.',
  }),
  segmentId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
})
export type ListContactsQuery = z.output<typeof listContactsQuery>

export const countQuery = listContactsQuery.pick({ q: true, filter: true, segmentId: true })

export const phoneParams = z.object({ phone: z.string().min(1).max(40) })

export type { CountryCode }
