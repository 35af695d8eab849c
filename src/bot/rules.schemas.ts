import { z } from 'zod'

export const matchTypes = ['exact', 'keyword', 'contains'] as const

const pattern = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')

export const ruleMatchSchema = z
  .object({
    type: z.enum(matchTypes),
    /** One value or a list of alternatives; any of them matches. */
    value: z.union([pattern, z.array(pattern).min(1, 'must list at least one value').max(50)]),
  })
  .superRefine((match, ctx) => {
    if (match.type !== 'keyword') return
    const values = Array.isArray(match.value) ? match.value : [match.value]
    values.forEach((v, i) => {
      // Keywords match whole words: one with no letter or digit could never match.
      if (!/[\p{L}\p{N}]/u.test(v)) {
        ctx.addIssue({
          code: 'custom',
          path: Array.isArray(match.value) ? ['value', i] : ['value'],
          message: 'a keyword needs at least one letter or digit; use "contains" for symbols',
        })
      }
    })
  })

export const ruleActionSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('reply'),
    text: z.string().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters'),
  }),
])

export const ruleSchema = z
  .object({
    id: z.string(),
    accountId: z
      .string()
      .nullable()
      .meta({ description: 'null: the rule applies to every account' }),
    name: z.string(),
    match: ruleMatchSchema,
    actions: z.array(ruleActionSchema),
    priority: z.number().int(),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Rule' })

export type Rule = z.output<typeof ruleSchema>
export type RuleMatch = z.output<typeof ruleMatchSchema>

export const createRuleBody = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  accountId: z.string().max(64).nullable().default(null),
  match: ruleMatchSchema,
  actions: z
    .array(ruleActionSchema)
    .min(1, 'must have at least one action')
    .max(10, 'must have at most 10 actions'),
  priority: z.number().int().min(-1000).max(1000).default(0),
  enabled: z.boolean().default(true),
})

export type CreateRuleInput = z.output<typeof createRuleBody>

export const updateRuleBody = createRuleBody
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')

export type UpdateRuleInput = z.output<typeof updateRuleBody>
