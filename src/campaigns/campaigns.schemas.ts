import { z } from 'zod'
import { isTimeZone } from '../platform/zoned-time.js'
import { spreadStrategies } from './spread.js'

const id = z.string().min(1).max(64)
const tag = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters')
const tagList = z.array(tag).min(1, 'must list at least one tag').max(50)
/** A variable's name as `{{name}}` uses it. */
const varName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.]{0,63}$/, 'must be a variable name (letters, digits, _ and .)')
const varValues = z.record(varName, z.string().max(1024, 'must be at most 1024 characters'))

/** A language tag: `en`, `pt-BR`, `zh-Hant`. */
export const languageTag = z
  .string()
  .regex(/^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en or pt-BR')

export const timeZoneName = z
  .string()
  .max(64)
  .refine(isTimeZone, 'must be an IANA time zone name such as Europe/Berlin')

/** Who a campaign (or a schedule) writes to. */
export const audienceSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('all') }).meta({ description: 'Every contact' }),
    z.object({
      type: z.literal('contacts'),
      contactIds: z.array(id).min(1, 'must list at least one contact').max(100_000),
    }),
    z.object({
      type: z.literal('list'),
      recipients: z
        .array(
          z.object({
            // Any text: a number that is not valid is left out as `invalid_number`, not refused.
            phone: z.string().max(64, 'must be at most 64 characters'),
            vars: varValues.optional(),
          }),
        )
        .min(1, 'must list at least one recipient')
        .max(100_000),
    }),
    z
      .object({
        type: z.literal('tags'),
        any: tagList.optional().meta({ description: 'Contacts with at least one of these tags' }),
        all: tagList.optional().meta({ description: 'Contacts with every one of these tags' }),
        none: tagList.optional().meta({ description: 'Contacts with none of these tags' }),
      })
      .refine((a) => a.any || a.all || a.none, 'give at least one of any, all or none'),
    z.object({
      type: z.literal('filter'),
      filter: z.union([z.string().max(2000), z.record(z.string(), z.unknown())]),
    }),
    z.object({ type: z.literal('segment'), segmentId: id }),
  ],
  { error: 'must have `type` all, contacts, list, tags, filter or segment' },
)
export type Audience = z.output<typeof audienceSchema>
export type AudienceType = Audience['type']

const messageText = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters (the WhatsApp limit)')

/** What a campaign or schedule sends: text or a Cloud API template, with `{{variables}}`. */
export const campaignMessageSchema = z.discriminatedUnion(
  'type',
  [
    z.object({
      type: z.literal('text'),
      text: messageText.meta({ description: 'The default text; `{{name}}`, `{{city|there}}`…' }),
      translations: z
        .record(languageTag, messageText)
        .optional()
        .meta({ description: "The text in other languages, by the contact's language" }),
    }),
    z.object({
      type: z.literal('template'),
      template: z.object({
        name: z
          .string()
          .regex(/^[a-z0-9_]{1,512}$/, 'must be a template name (lower-case letters, digits, _)'),
        language: z
          .string()
          .regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'must be a language code such as en or en_US'),
        languages: z
          .record(languageTag, z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/))
          .optional()
          .meta({ description: "The template's language code by the contact's language" }),
        components: z
          .array(
            z.object({
              type: z.enum(['header', 'body']),
              parameters: z
                .array(z.object({ type: z.literal('text'), text: z.string().min(1).max(1024) }))
                .max(100),
            }),
          )
          .max(20)
          .default([]),
      }),
    }),
  ],
  { error: 'must have `type` text or template' },
)
export type CampaignMessage = z.output<typeof campaignMessageSchema>

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM')

export const throttleSchema = z.object({
  perMinute: z
    .number()
    .int()
    .min(1)
    .max(60_000)
    .nullable()
    .default(null)
    .meta({ description: 'Messages a minute per account; null: as fast as the accounts allow' }),
  jitter: z
    .number()
    .min(0)
    .max(0.5)
    .default(0)
    .meta({ description: 'Each gap between sends varies by up to this share of it (0–0.5)' }),
  quietHours: z
    .object({
      start: hhmm,
      end: hhmm,
      timezone: z.enum(['recipient', 'account']).default('recipient').meta({
        description:
          "Whose clock: the recipient's (their `timezone` attribute, else the account's) or the account's",
      }),
    })
    .nullable()
    .default(null),
})

export const campaignStatuses = [
  'draft',
  'scheduled',
  'building',
  'running',
  'paused',
  'completed',
  'cancelled',
] as const
export type CampaignStatus = (typeof campaignStatuses)[number]

export const recipientStates = [
  'pending',
  'queued',
  'sent',
  'delivered',
  'read',
  'replied',
  'failed',
  'skipped',
] as const
export type RecipientState = (typeof recipientStates)[number]

/** Why a recipient is left out (skipped), or dropped from the audience (duplicate). */
export const exclusionReasons = [
  'opted_out',
  'invalid_number',
  'outside_window',
  'duplicate',
  'unknown_contact',
  'cancelled',
] as const
export type ExclusionReason = (typeof exclusionReasons)[number]

export const createCampaignBody = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  audience: audienceSchema,
  message: campaignMessageSchema,
  accounts: z
    .array(id)
    .min(1, 'must list at least one account')
    .max(50)
    .refine((a) => new Set(a).size === a.length, 'must not list an account twice'),
  spread: z
    .object({
      strategy: z.enum(spreadStrategies).default('round_robin'),
      weights: z
        .record(id, z.number().int().min(0).max(1000))
        .optional()
        .meta({ description: 'weighted: each account’s share' }),
    })
    .prefault({}),
  startAt: z.string().max(40).optional().meta({
    description:
      'Start then, not on `POST /campaigns/{id}/start`: ISO 8601 with an offset, or a local date-time (`2026-12-01T09:00`) in `timezone`',
  }),
  timezone: timeZoneName.default('UTC'),
  throttle: throttleSchema.prefault({}),
  autoPause: z
    .object({
      failureRate: z.number().min(0).max(1).default(0.2),
      minAttempts: z.number().int().min(1).max(100_000).default(20),
    })
    .prefault({})
    .meta({
      description: 'Pause when at least `minAttempts` sends were tried and this share failed',
    }),
})
export type CreateCampaignInput = z.output<typeof createCampaignBody>

/** The spec a campaign keeps: its create body, with the start resolved. */
export type CampaignSpec = Omit<CreateCampaignInput, 'name' | 'startAt'>

const countsShape = z.object(
  Object.fromEntries(recipientStates.map((s) => [s, z.number().int()])) as Record<
    RecipientState,
    z.ZodNumber
  >,
)

export const progressSchema = z
  .object({
    total: z.number().int(),
    counts: countsShape,
    skipped: z.record(z.string(), z.number().int()).meta({ description: 'Skipped, by reason' }),
    excluded: z
      .record(z.string(), z.number().int())
      .meta({ description: 'Left out of the recipients (duplicates), by reason' }),
    done: z.number().int().meta({ description: 'Recipients past pending and queued' }),
    percent: z.number(),
    deliveryRate: z.number().nullable(),
    readRate: z.number().nullable(),
    replyRate: z.number().nullable(),
    failureRate: z.number().nullable(),
  })
  .meta({ id: 'CampaignProgress' })
export type CampaignProgress = z.output<typeof progressSchema>

export const campaignSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(campaignStatuses),
    statusReason: z.string().nullable(),
    origin: z.enum(['campaign', 'schedule']),
    scheduleId: z.string().nullable(),
    audience: z.looseObject({ type: z.string() }),
    message: campaignMessageSchema,
    accounts: z.array(z.string()),
    spread: z.object({
      strategy: z.enum(spreadStrategies),
      weights: z.record(z.string(), z.number()).optional(),
    }),
    startAt: z.string().nullable(),
    timezone: z.string(),
    throttle: throttleSchema,
    autoPause: z.object({ failureRate: z.number(), minAttempts: z.number().int() }),
    progress: progressSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'Campaign' })
export type Campaign = z.output<typeof campaignSchema>

export const dryRunSchema = z
  .object({
    audience: z
      .number()
      .int()
      .meta({ description: 'Entries in the audience, duplicates included' }),
    recipients: z.number().int().meta({ description: 'Who would be sent to' }),
    excluded: z.record(z.string(), z.number().int()).meta({ description: 'Left out, by reason' }),
    byAccount: z.record(z.string(), z.number().int()),
    estimatedSeconds: z.number().meta({
      description:
        'At the throttle (or each account’s send rate; 1000/s where neither is set), quiet hours not counted',
    }),
  })
  .meta({ id: 'CampaignDryRun' })
export type DryRun = z.output<typeof dryRunSchema>

export const recipientSchema = z
  .object({
    id: z.number().int().meta({ description: "The recipient's place in the audience, from 1" }),
    contactId: z.string().nullable(),
    phone: z.string(),
    accountId: z.string().nullable(),
    language: z.string().nullable(),
    state: z.enum(recipientStates),
    reason: z.string().nullable(),
    messageId: z.string().nullable(),
    queuedAt: z.string().nullable(),
    sentAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    readAt: z.string().nullable(),
    repliedAt: z.string().nullable(),
  })
  .meta({ id: 'CampaignRecipient' })
export type Recipient = z.output<typeof recipientSchema>

export const listCampaignsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  status: z.enum(campaignStatuses).optional(),
  origin: z
    .enum(['campaign', 'schedule', 'any'])
    .default('campaign')
    .meta({ description: 'campaign (default): those made as campaigns; schedule: by schedules' }),
})

export const listRecipientsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Recipients after this id' }),
  state: z.enum(recipientStates).optional(),
})
