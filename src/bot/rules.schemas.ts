import { z } from 'zod'
import { sendContentShapes } from '../messages/index.js'
import { messageTypes } from '../transports/index.js'
import { regexProblem } from './safe-regex.js'

export const matchTypes = ['exact', 'keyword', 'contains', 'regex', 'any'] as const
export type MatchType = (typeof matchTypes)[number]

const pattern = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')

export const ruleMatchSchema = z
  .object({
    type: z.enum(matchTypes).meta({
      description:
        '`exact`: the whole text; `keyword`: whole words (case and accents ignored); `contains`: any substring; `regex`: a JavaScript regular expression, case-insensitive, checked against catastrophic backtracking; `any`: every message (use conditions)',
    }),
    /** One value or a list of alternatives; any of them matches. Not for `any`. */
    value: z
      .union([pattern, z.array(pattern).min(1, 'must list at least one value').max(50)])
      .optional(),
  })
  .superRefine((match, ctx) => {
    if (match.type === 'any') {
      if (match.value !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: '`any` takes no value' })
      }
      return
    }
    if (match.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'is required' })
      return
    }
    const values = Array.isArray(match.value) ? match.value : [match.value]
    values.forEach((v, i) => {
      const path = Array.isArray(match.value) ? ['value', i] : ['value']
      if (match.type === 'keyword' && !/[\p{L}\p{N}]/u.test(v)) {
        // Keywords match whole words: one with no letter or digit could never match.
        ctx.addIssue({
          code: 'custom',
          path,
          message: 'a keyword needs at least one letter or digit; use "contains" for symbols',
        })
      }
      if (match.type === 'regex') {
        const problem = regexProblem(v)
        if (problem) ctx.addIssue({ code: 'custom', path, message: problem })
      }
    })
  })

export type RuleMatch = z.output<typeof ruleMatchSchema>

const clock = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM, e.g. 09:00')

const tag = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters')
const tagList = z.array(tag).min(1, 'must list at least one tag').max(50)

export const ruleConditionsSchema = z
  .strictObject({
    /** The contact's language is one of these (`pt` also matches `pt-BR`). */
    languages: z
      .array(
        z
          .string()
          .trim()
          .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$/, 'must be a language code, e.g. pt-BR'),
      )
      .min(1, 'must list at least one language')
      .max(50)
      .optional(),
    /** Inside (or outside) business hours, in the account's `timezone`. */
    businessHours: z
      .strictObject({
        /** Days of the week, 1 = Monday … 7 = Sunday. */
        days: z
          .array(
            z.number().int().min(1, 'must be 1 (Monday) to 7').max(7, 'must be 1 to 7 (Sunday)'),
          )
          .min(1, 'must list at least one day')
          .max(7),
        from: clock,
        /** Exclusive; before `from` means the hours run past midnight. */
        to: clock,
        /** true: only inside these hours (default); false: only outside them. */
        inside: z.boolean().default(true),
      })
      .optional(),
    /** The contact's tags: all of `all`, at least one of `any`, none of `none`. */
    tags: z
      .strictObject({
        all: tagList.optional(),
        any: tagList.optional(),
        none: tagList.optional(),
      })
      .optional(),
    /** true: only the contact's first message to the account; false: only later ones. */
    firstMessage: z.boolean().optional(),
    /** The message is of one of these types (`text`, `image`, `button_reply`…). */
    messageTypes: z.array(z.enum(messageTypes)).min(1).max(messageTypes.length).optional(),
  })
  .meta({ description: 'Every condition given must hold for the rule to fire' })

export type RuleConditions = z.output<typeof ruleConditionsSchema>

const reply = <T extends ReplyType>(type: T) =>
  z.strictObject({ type: z.literal(type), ...sendContentShapes[type] })

type ReplyType =
  | 'text'
  | 'image'
  | 'video'
  | 'document'
  | 'audio'
  | 'sticker'
  | 'location'
  | 'contacts'
  | 'interactive'
  | 'template'

const replyContent = z.discriminatedUnion('type', [
  reply('text'),
  reply('image'),
  reply('video'),
  reply('document'),
  reply('audio'),
  reply('sticker'),
  reply('location'),
  reply('contacts'),
  reply('interactive'),
  reply('template'),
])

/** The content of a reply: the body of `POST /messages` without `accountId` and `to`. */
export type ReplyContent = z.output<typeof replyContent>

const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(2000, 'must be at most 2000 characters')

export const webhookActionInput = z.strictObject({
  type: z.literal('webhook'),
  url: webhookUrl,
  /**
   * Signs each call: `X-Linda-Signature: sha256=<hex HMAC-SHA256 of the body>`. Never shown
   * back; a PATCH that leaves it out keeps the one the rule had for the same URL.
   */
  secret: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
  timeoutMs: z.number().int().min(100).max(30_000).default(5_000),
})

const pluginAction = z.strictObject({
  type: z.literal('plugin'),
  /** The action type a plugin added, e.g. `crm.note`. */
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/, 'must be <plugin>.<action>, e.g. crm.note'),
  /** Checked against the plugin's schema for the action. */
  params: z.record(z.string(), z.unknown()).default({}),
})

const actionShapes = [
  z
    .strictObject({
      type: z.literal('reply'),
      /** A text reply (the short form); or `content` for media, templates… */
      text: z
        .string()
        .min(1, 'must not be empty')
        .max(4096, 'must be at most 4096 characters')
        .optional(),
      content: replyContent.optional(),
    })
    .superRefine((a, ctx) => {
      if ((a.text === undefined) === (a.content === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['text'],
          message: 'give `text` or `content`, not both',
        })
      }
    }),
  z.strictObject({ type: z.literal('addTags'), tags: tagList }),
  z.strictObject({ type: z.literal('removeTags'), tags: tagList }),
  z.strictObject({
    type: z.literal('setAttribute'),
    key: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'must be a name of letters, digits, _ . -'),
    value: z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]),
  }),
  z.strictObject({ type: z.literal('startFlow'), flowId: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal('assign'), assigneeId: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal('pauseBot') }),
  webhookActionInput,
  pluginAction,
] as const

export const ruleActionSchema = z.discriminatedUnion('type', [...actionShapes])
export type RuleAction = z.output<typeof ruleActionSchema>
export const actionTypes = [
  'reply',
  'addTags',
  'removeTags',
  'setAttribute',
  'startFlow',
  'assign',
  'pauseBot',
  'webhook',
  'plugin',
] as const

/** An action as the API shows it: a webhook's secret is never shown, only whether it has one. */
const shownAction = z.discriminatedUnion('type', [
  ...actionShapes.filter((s) => s !== webhookActionInput),
  webhookActionInput.omit({ secret: true }).extend({ signed: z.boolean() }),
] as unknown as [z.ZodObject, ...z.ZodObject[]])

export const ruleSchema = z
  .object({
    id: z.string(),
    accountId: z
      .string()
      .nullable()
      .meta({ description: 'null: the rule applies to every account' }),
    name: z.string(),
    match: ruleMatchSchema,
    conditions: ruleConditionsSchema,
    actions: z.array(shownAction),
    priority: z.number().int().meta({ description: 'Higher is tried first' }),
    enabled: z.boolean(),
    cooldownSeconds: z
      .number()
      .int()
      .meta({ description: 'Seconds before the rule fires again for the same contact' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Rule' })

/** A rule as stored, webhook secrets included. */
export interface Rule {
  id: string
  accountId: string | null
  name: string
  match: RuleMatch
  conditions: RuleConditions
  actions: RuleAction[]
  priority: number
  enabled: boolean
  cooldownSeconds: number
  createdAt: string
  updatedAt: string
}

export const createRuleBody = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  accountId: z.string().max(64).nullable().default(null),
  match: ruleMatchSchema,
  conditions: ruleConditionsSchema.default({}),
  actions: z
    .array(ruleActionSchema)
    .min(1, 'must have at least one action')
    .max(10, 'must have at most 10 actions'),
  priority: z.number().int().min(-1000).max(1000).default(0),
  enabled: z.boolean().default(true),
  cooldownSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86400, 'must be at most 30 days')
    .default(0),
})

export type CreateRuleInput = z.output<typeof createRuleBody>

export const updateRuleBody = z
  .object({
    name: createRuleBody.shape.name.optional(),
    accountId: z.string().max(64).nullable().optional(),
    match: ruleMatchSchema.optional(),
    conditions: ruleConditionsSchema.optional(),
    actions: createRuleBody.shape.actions.optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    enabled: z.boolean().optional(),
    cooldownSeconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86400)
      .optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')

export type UpdateRuleInput = z.output<typeof updateRuleBody>

/** A rule as the API shows it. */
export function showRule(rule: Rule): z.output<typeof ruleSchema> {
  return {
    ...rule,
    actions: rule.actions.map((a) => {
      if (a.type !== 'webhook') return a
      const { secret, ...shown } = a
      return { ...shown, signed: secret !== undefined }
    }),
  } as z.output<typeof ruleSchema>
}
