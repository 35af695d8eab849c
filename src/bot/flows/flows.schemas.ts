// Conversation flows as data: the steps, the answers an ask accepts, the conditions a branch
// tests, and the checks on the graph of steps (every `next` names a step, ids are unique, no
// loop runs without waiting for the contact). The same schema reads JSON from the API and
// TypeScript definitions (`defineFlow`).
import { RE2JS } from 're2js'
import { z } from 'zod'

/** Variable roots that name something else than a flow variable in `{{…}}` and conditions. */
export const reservedVarNames = ['contact', 'message', 'flow'] as const

export const stepTypes = [
  'send',
  'ask',
  'branch',
  'set',
  'handoff',
  'webhook',
  'jump',
  'end',
] as const
export type StepType = (typeof stepTypes)[number]

const stepId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"')

const varName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    'must be a name of letters, digits and "_" (not starting with a digit), at most 64',
  )
  .refine((v) => !(reservedVarNames as readonly string[]).includes(v), {
    message: `must not be ${reservedVarNames.join(', ')} (reserved)`,
  })

/** A dotted path into the variables, the contact or the message: `order.status`, `contact.tags`. */
const valuePath = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+){0,7}$/,
    'must be a variable or a dotted path such as contact.attributes.city',
  )

/** A text a person reads; `{{name}}`, `{{contact.attributes.city}}` are filled in. */
const template = (max = 4096) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .meta({ description: 'Text; `{{var}}` and `{{contact.attributes.x}}` are filled in' })

const keyword = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((v) => /[\p{L}\p{N}]/u.test(v), 'needs at least one letter or digit')

const scalar = z.union([
  z.string().max(1000, 'must be at most 1000 characters'),
  z.number(),
  z.boolean(),
])
export type Scalar = z.output<typeof scalar>

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), 'must be a real date')

// ---- what an ask accepts ----

/** Whether a pattern runs in linear time (RE2 syntax: no backreferences, no lookaround). */
export function compileSafePattern(pattern: string, ignoreCase: boolean): RE2JS {
  return RE2JS.compile(pattern, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0)
}

export const answerSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('text'),
      minLength: z.number().int().min(1).max(4096).optional(),
      maxLength: z.number().int().min(1).max(4096).optional(),
    }),
    z.strictObject({
      type: z.literal('number'),
      min: z.number().optional(),
      max: z.number().optional(),
      integer: z.boolean().default(false).meta({ description: 'Whole numbers only' }),
    }),
    z.strictObject({ type: z.literal('email') }),
    z.strictObject({
      type: z.literal('date'),
      order: z
        .enum(['dmy', 'mdy', 'ymd'])
        .default('dmy')
        .meta({ description: 'How to read 03/04/2026: day-month-year (default), month-day-year' }),
      min: isoDate.optional(),
      max: isoDate.optional(),
    }),
    z.strictObject({
      type: z.literal('choice'),
      choices: z
        .array(
          z.strictObject({
            value: z.string().trim().min(1, 'must not be empty').max(100),
            label: z.string().trim().min(1).max(100).optional().meta({
              description: 'What the contact reads; default the value',
            }),
            synonyms: z.array(keyword).max(20).default([]),
          }),
        )
        .min(1, 'must have at least 1 choice')
        .max(20, 'must have at most 20 choices'),
      numbered: z.boolean().default(true).meta({
        description: 'List the choices as 1., 2., … under the question; the number picks one',
      }),
    }),
    z.strictObject({
      type: z.literal('regex'),
      pattern: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
      ignoreCase: z.boolean().default(false),
    }),
  ],
  { error: 'must have `type` text, number, email, date, choice or regex' },
)
export type AnswerSpec = z.output<typeof answerSchema>

// ---- what a branch tests ----

export const conditionOps = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
  'in',
  'exists',
  'missing',
] as const

export type Condition =
  | { var: string; op: (typeof conditionOps)[number]; value?: Scalar | Scalar[] }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }

const leafCondition = z.strictObject({
  var: valuePath.meta({
    description: 'A variable, or contact.name, contact.tags, contact.attributes.x, message.text',
  }),
  op: z.enum(conditionOps),
  value: z.union([scalar, z.array(scalar).max(50)]).optional(),
})

export const conditionSchema: z.ZodType<Condition> = z
  .union([
    leafCondition,
    z.strictObject({
      get all() {
        return z.array(conditionSchema).min(1).max(20)
      },
    }),
    z.strictObject({
      get any() {
        return z.array(conditionSchema).min(1).max(20)
      },
    }),
    z.strictObject({
      get not() {
        return conditionSchema
      },
    }),
  ])
  .superRefine((c, ctx) => {
    if (!('op' in c)) return
    const needsValue = c.op !== 'exists' && c.op !== 'missing'
    if (needsValue && c.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `is needed by "${c.op}"` })
    }
    if (c.op === 'in' && !Array.isArray(c.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be a list for "in"' })
    }
  })
  .meta({ id: 'FlowCondition' })

// ---- steps ----

const next = stepId.optional().meta({
  description:
    'The step after this one; default the next one in the list (after the last, the flow ends)',
})

const attributeName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"')
const tag = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters')

const sendStep = z.strictObject({ id: stepId, type: z.literal('send'), text: template(), next })

const askStep = z.strictObject({
  id: stepId,
  type: z.literal('ask'),
  text: template(),
  var: varName.meta({ description: 'The variable the valid answer is stored in' }),
  answer: answerSchema.default({ type: 'text' }),
  retryText: template(1000).optional().meta({
    description:
      'Said before the question again after an invalid answer; default says what is expected',
  }),
  maxRetries: z.number().int().min(0).max(10).default(2).meta({
    description: 'Times the question is asked again after an invalid answer',
  }),
  onMaxRetries: stepId.optional().meta({
    description: 'Where an invalid answer after the last retry goes; default the flow ends',
  }),
  next,
})

const branchStep = z.strictObject({
  id: stepId,
  type: z.literal('branch'),
  cases: z
    .array(z.strictObject({ when: conditionSchema, next: stepId }))
    .min(1, 'must have at least 1 case')
    .max(20, 'must have at most 20 cases'),
  default: stepId.optional().meta({
    description: 'Where no case holds; default the next step in the list',
  }),
})

const setStep = z
  .strictObject({
    id: stepId,
    type: z.literal('set'),
    vars: z.record(varName, z.union([scalar, z.null()])).optional(),
    attributes: z
      .record(attributeName, z.union([scalar, z.null()]))
      .optional()
      .meta({
        description: "The contact's attributes to set (strings are filled in); null removes one",
      }),
    addTags: z.array(tag).max(20).optional(),
    removeTags: z.array(tag).max(20).optional(),
    next,
  })
  .refine(
    (s) => s.vars || s.attributes || s.addTags?.length || s.removeTags?.length,
    'must set at least one of vars, attributes, addTags, removeTags',
  )

const handoffStep = z.strictObject({
  id: stepId,
  type: z.literal('handoff'),
  text: template().optional().meta({ description: 'Said before a person takes over' }),
})

const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2048, 'must be at most 2048 characters')

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name')

const webhookStep = z.strictObject({
  id: stepId,
  type: z.literal('webhook'),
  url: webhookUrl,
  headers: z.record(headerName, z.string().max(1000)).optional(),
  body: z.record(z.string(), z.unknown()).optional().meta({
    description:
      'The JSON posted (strings are filled in); default {flowId, stepId, contact, vars, text}',
  }),
  timeoutMs: z.number().int().min(100).max(30_000).default(5000),
  saveAs: varName.optional().meta({ description: "The variable the answer's JSON is stored in" }),
  onError: stepId.optional().meta({
    description:
      'Where a failed call goes (no answer in time, not 2xx, not JSON); default the flow ends',
  }),
  next,
})

const jumpStep = z.strictObject({
  id: stepId,
  type: z.literal('jump'),
  flow: z.string().min(1).max(64).meta({ description: 'The id of the flow to go on with' }),
})

const endStep = z.strictObject({ id: stepId, type: z.literal('end'), text: template().optional() })

export const stepSchema = z.discriminatedUnion(
  'type',
  [sendStep, askStep, branchStep, setStep, handoffStep, webhookStep, jumpStep, endStep],
  { error: `must have \`type\` ${stepTypes.join(', ')}` },
)
export type FlowStep = z.output<typeof stepSchema>
export type StepOf<T extends StepType> = Extract<FlowStep, { type: T }>

/** The steps a step may go to, each with the field that names it. */
export function stepLinks(step: FlowStep): Array<{ path: Array<string | number>; to: string }> {
  const links: Array<{ path: Array<string | number>; to: string }> = []
  const add = (path: Array<string | number>, to: string | undefined) => {
    if (to !== undefined) links.push({ path, to })
  }
  switch (step.type) {
    case 'send':
    case 'set':
      add(['next'], step.next)
      break
    case 'ask':
      add(['next'], step.next)
      add(['onMaxRetries'], step.onMaxRetries)
      break
    case 'webhook':
      add(['next'], step.next)
      add(['onError'], step.onError)
      break
    case 'branch':
      step.cases.forEach((c, i) => add(['cases', i, 'next'], c.next))
      add(['default'], step.default)
      break
    case 'handoff':
    case 'jump':
    case 'end':
      break
  }
  return links
}

/** Where a step goes when it names no `next`: the following step, or nowhere after the last. */
export function fallThrough(steps: readonly FlowStep[], index: number): string | undefined {
  const step = steps[index]
  if (!step || step.type === 'handoff' || step.type === 'jump' || step.type === 'end') {
    return undefined
  }
  const implicit =
    step.type === 'branch'
      ? step.default === undefined
      : !('next' in step) || step.next === undefined
  return implicit ? steps[index + 1]?.id : undefined
}

/**
 * The graph checks: unique step ids, every link names a step, and every loop goes through
 * an ask (a loop of steps that never waits for the contact would run forever).
 */
function checkGraph(
  def: { start?: string | undefined; steps: FlowStep[] },
  ctx: z.RefinementCtx,
): void {
  const index = new Map<string, number>()
  def.steps.forEach((step, i) => {
    if (index.has(step.id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, 'id'],
        message: `is used by step ${index.get(step.id)} too: step ids must be unique`,
      })
    } else {
      index.set(step.id, i)
    }
  })
  if (def.start !== undefined && !index.has(def.start)) {
    ctx.addIssue({ code: 'custom', path: ['start'], message: `names no step ("${def.start}")` })
  }
  // Edges between steps that do not wait: a cycle among them never ends.
  const edges = new Map<number, number[]>()
  def.steps.forEach((step, i) => {
    const targets: number[] = []
    for (const link of stepLinks(step)) {
      const to = index.get(link.to)
      if (to === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, ...link.path],
          message: `names no step ("${link.to}")`,
        })
      } else {
        targets.push(to)
      }
    }
    const implicit = fallThrough(def.steps, i)
    if (implicit !== undefined) targets.push(i + 1)
    if (step.type !== 'ask')
      edges.set(
        i,
        targets.filter((t) => def.steps[t]?.type !== 'ask'),
      )
  })
  const loop = findCycle(edges)
  if (loop) {
    const names = [...loop, loop[0]!].map((i) => def.steps[i]!.id).join(' → ')
    ctx.addIssue({
      code: 'custom',
      path: ['steps', loop[0]!],
      message: `loops (${names}) without an ask: the flow would never wait for the contact`,
    })
  }
}

/** One cycle of a directed graph (its nodes in order), or undefined. */
function findCycle(edges: Map<number, number[]>): number[] | undefined {
  const state = new Map<number, 'open' | 'done'>()
  const path: number[] = []
  const visit = (node: number): number[] | undefined => {
    state.set(node, 'open')
    path.push(node)
    for (const to of edges.get(node) ?? []) {
      const seen = state.get(to)
      if (seen === 'open') return path.slice(path.indexOf(to))
      if (seen === undefined) {
        const found = visit(to)
        if (found) return found
      }
    }
    path.pop()
    state.set(node, 'done')
    return undefined
  }
  for (const node of edges.keys()) {
    if (state.has(node)) continue
    const found = visit(node)
    if (found) return found
  }
  return undefined
}

/** The ask steps' regex patterns must compile as RE2 (linear time, whatever the answer). */
function checkPatterns(def: { steps: FlowStep[] }, ctx: z.RefinementCtx): void {
  def.steps.forEach((step, i) => {
    if (step.type !== 'ask' || step.answer.type !== 'regex') return
    try {
      compileSafePattern(step.answer.pattern, step.answer.ignoreCase)
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, 'answer', 'pattern'],
        message: `is not a pattern Linda can run safely (no backreferences or lookaround): ${(err as Error).message}`,
      })
    }
  })
}

const keywordsSchema = z.array(keyword).max(20, 'must have at most 20 keywords').meta({
  description:
    'Words or phrases that start the flow (whole words, any case or accents), for a conversation with no flow running',
})

const defaultCancelText = 'OK, I have stopped here. Write again whenever you like.'
const cancelSchema = z
  .strictObject({
    keywords: z.array(keyword).max(20).default(['cancel']),
    text: template().default(defaultCancelText),
  })
  .meta({ description: 'A message that is one of these words ends the flow, with `text`' })

const defaultIdle = {
  timeoutSeconds: 1800,
  reminderText: 'Are you still there? Just answer the last question to go on.',
  expiredText: 'I have closed this conversation for now. Write again whenever you like.',
}
const idleSchema = z
  .strictObject({
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .default(defaultIdle.timeoutSeconds),
    reminderText: template().default(defaultIdle.reminderText),
    expiredText: template().nullable().default(defaultIdle.expiredText),
  })
  .meta({
    description:
      'A contact silent at a question for `timeoutSeconds` gets `reminderText`; after as long again the flow ends with `expiredText` (null: silently)',
  })

const stepsSchema = z
  .array(stepSchema)
  .min(1, 'must have at least 1 step')
  .max(200, 'must have at most 200 steps')

const startSchema = stepId.meta({ description: 'The first step; default the first in the list' })

const definitionShape = {
  keywords: keywordsSchema.default([]),
  cancel: cancelSchema.default({ keywords: ['cancel'], text: defaultCancelText }),
  idle: idleSchema.default(defaultIdle),
  start: startSchema.optional(),
  steps: stepsSchema,
}

/** What a flow does: its steps and their settings, versioned as one. */
export const flowDefinitionSchema = z.strictObject(definitionShape).superRefine((def, ctx) => {
  checkGraph(def, ctx)
  checkPatterns(def, ctx)
})
export type FlowDefinition = z.output<typeof flowDefinitionSchema>
export const definitionKeys = Object.keys(definitionShape) as Array<keyof FlowDefinition>

const flowName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')

export const createFlowBody = z
  .strictObject({
    name: flowName,
    accountId: z
      .string()
      .max(64)
      .nullable()
      .default(null)
      .meta({ description: 'null: the flow runs on every account' }),
    enabled: z.boolean().default(true),
    ...definitionShape,
  })
  .superRefine((def, ctx) => {
    checkGraph(def, ctx)
    checkPatterns(def, ctx)
  })
export type CreateFlowInput = z.output<typeof createFlowBody>

/** A PATCH: the fields given change; a change to any of the steps' fields is a new version. */
export const updateFlowBody = z
  .strictObject({
    name: flowName.optional(),
    accountId: z.string().max(64).nullable().optional(),
    enabled: z.boolean().optional(),
    // No defaults here: a field left out of a PATCH stays as it is.
    keywords: keywordsSchema.optional(),
    cancel: cancelSchema.optional(),
    idle: idleSchema.optional(),
    start: startSchema.optional(),
    steps: stepsSchema.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')
export type UpdateFlowInput = z.output<typeof updateFlowBody>

/** A flow defined in TypeScript (`defineFlow`): its id is chosen by its author. */
export const codeFlowSchema = z
  .strictObject({
    id: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._-]{0,63}$/,
        'must be 1 to 64 lower-case letters, digits, ".", "_" or "-"',
      ),
    name: flowName,
    accountId: z.string().max(64).nullable().default(null),
    enabled: z.boolean().default(true),
    version: z.number().int().min(1).default(1).meta({
      description: 'Raise it when the steps change; contacts mid-flow are moved to the new version',
    }),
    ...definitionShape,
  })
  .superRefine((def, ctx) => {
    checkGraph(def, ctx)
    checkPatterns(def, ctx)
  })
export type CodeFlowInput = z.input<typeof codeFlowSchema>

export const flowSourceTypes = ['api', 'code'] as const

export const flowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    accountId: z.string().nullable(),
    enabled: z.boolean(),
    version: z.number().int().meta({ description: 'Raised by every change to the steps' }),
    source: z.enum(flowSourceTypes).meta({
      description: 'api: stored, editable here; code: defined in TypeScript, read-only',
    }),
    keywords: z.array(z.string()),
    cancel: z.object({ keywords: z.array(z.string()), text: z.string() }),
    idle: z.object({
      timeoutSeconds: z.number().int(),
      reminderText: z.string(),
      expiredText: z.string().nullable(),
    }),
    start: z.string().optional(),
    steps: z.array(z.looseObject({ id: z.string(), type: z.enum(stepTypes) })),
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'Flow' })

/** A flow as Linda runs it: a definition with its identity and version. */
export interface Flow extends FlowDefinition {
  id: string
  name: string
  accountId: string | null
  enabled: boolean
  version: number
  source: (typeof flowSourceTypes)[number]
  createdAt: string | null
  updatedAt: string | null
}

export const flowVersionParams = z.object({
  id: z.string().min(1).max(64),
  version: z.coerce.number().int().min(1),
})

export const flowVersionSchema = z
  .object({
    flowId: z.string(),
    version: z.number().int(),
    definition: z.looseObject({ steps: z.array(z.looseObject({ id: z.string() })) }),
    createdAt: z.string(),
  })
  .meta({ id: 'FlowVersion' })
