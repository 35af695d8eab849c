// What a template is, as the API takes and shows it. The shapes and sizes are checked here;
// what needs the whole template (the ICU text parses, every variable it uses is declared
// with a fitting type, the Cloud mapping names declared variables) is checked by
// `checkTemplate` (templates.check.ts) when a template is written.
import { z } from 'zod'
import { languageTag } from '../languages/index.js'

export const templateCategories = ['marketing', 'utility', 'authentication'] as const
export type TemplateCategory = (typeof templateCategories)[number]

export const variableTypes = ['text', 'number', 'date', 'boolean'] as const
export type VariableType = (typeof variableTypes)[number]

/** Longest ICU text of a variant: WhatsApp's limit for a text message. */
export const MAX_TEXT = 4096
/** Longest text under media (a caption) or above buttons (an interactive body). */
export const MAX_FRAMED_TEXT = 1024

const text = (max: number) =>
  z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`)

export const variableName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    'must be 1 to 64 letters, digits or _, not starting with a digit',
  )

/** A value given for a variable (JSON): checked against the variable's type when rendering. */
export const variableValue = z.union([
  z.string().max(4096, 'must be at most 4096 characters'),
  z.number(),
  z.boolean(),
])
export type VariableValue = z.output<typeof variableValue>

export const variableSchema = z.strictObject({
  name: variableName,
  type: z.enum(variableTypes).meta({
    description:
      'text, number (plural, number formats), date (an ISO 8601 date or time; date and time formats) or boolean (select on true/false)',
  }),
  description: z.string().max(500, 'must be at most 500 characters').optional(),
  default: variableValue.optional().meta({
    description: 'Used when neither the values given nor the contact have one',
  }),
})
export type TemplateVariable = z.output<typeof variableSchema>

const link = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL the provider can fetch' })
  .max(2048, 'must be at most 2048 characters')

export const templateMediaSchema = z
  .strictObject({
    type: z.enum(['image', 'video', 'document']),
    link: link.optional(),
    mediaId: z.string().min(1).max(64).optional().meta({
      description: 'Media uploaded to Linda (`POST /api/v1/media`) by the sending account',
    }),
    filename: text(240).optional(),
  })
  .superRefine((m, ctx) => {
    const given = Number(m.link !== undefined) + Number(m.mediaId !== undefined)
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given === 0 ? ['link'] : ['mediaId'],
        message: given === 0 ? 'give `link` or `mediaId`' : 'give `link` or `mediaId`, not both',
      })
    }
    if (m.filename !== undefined && m.type !== 'document') {
      ctx.addIssue({
        code: 'custom',
        path: ['filename'],
        message: 'only documents have a filename',
      })
    }
  })
export type TemplateMedia = z.output<typeof templateMediaSchema>

export const templateButtonSchema = z.strictObject({
  id: text(256).meta({ description: 'What Linda receives when the contact taps the button' }),
  title: text(20),
})

const metaParameterName = z
  .string()
  .regex(/^[a-z0-9_]{1,60}$/, 'must be a Meta parameter name (a-z, 0-9, _)')
  .optional()
  .meta({ description: "The parameter's name, for Meta templates with named parameters" })

/** One parameter of a Meta template component, filled from Linda's variables. */
export const cloudParameterSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('text'),
      text: text(1024).meta({ description: 'ICU MessageFormat text, e.g. "{name}"' }),
      name: metaParameterName,
    }),
    z.strictObject({
      type: z.literal('currency'),
      variable: variableName.meta({ description: 'A number variable: the amount' }),
      code: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
      name: metaParameterName,
    }),
    z.strictObject({
      type: z.literal('dateTime'),
      variable: variableName.meta({ description: 'A date variable' }),
      name: metaParameterName,
    }),
  ],
  { error: 'must have `type` text, currency or dateTime' },
)
export type CloudParameter = z.output<typeof cloudParameterSchema>

const buttonIndex = z.number().int().min(0).max(9, 'must be 0 to 9')

export const cloudButtonSchema = z.discriminatedUnion(
  'subType',
  [
    z.strictObject({
      subType: z.literal('quick_reply'),
      index: buttonIndex,
      payload: text(256).meta({ description: 'ICU MessageFormat text' }),
    }),
    z.strictObject({
      subType: z.literal('url'),
      index: buttonIndex,
      text: text(2000).meta({ description: "ICU MessageFormat text: the end of the button's URL" }),
    }),
    z.strictObject({
      subType: z.literal('copy_code'),
      index: buttonIndex,
      couponCode: text(256).meta({
        description: 'ICU MessageFormat text; renders to at most 15 characters',
      }),
    }),
  ],
  { error: 'must have `subType` quick_reply, url or copy_code' },
)
export type CloudButton = z.output<typeof cloudButtonSchema>

/** How a variant fills an approved Meta template of the Cloud API. */
export const cloudMappingSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9_]{1,512}$/, 'must be a Meta template name (lower-case letters, digits, _)'),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'must be a Meta language code such as en or en_US')
      .optional()
      .meta({
        description: "Meta's language code; default the variant's language (pt-BR → pt_BR)",
      }),
    header: z
      .discriminatedUnion(
        'type',
        [
          z.strictObject({
            type: z.literal('text'),
            parameters: z
              .array(cloudParameterSchema)
              .min(1)
              .max(1, 'a text header has at most 1 parameter'),
          }),
          z.strictObject({ type: z.literal('media') }).meta({
            description: "The header is the variant's media",
          }),
        ],
        { error: 'must have `type` text or media' },
      )
      .optional(),
    body: z.array(cloudParameterSchema).max(100, 'must have at most 100 parameters').optional(),
    buttons: z.array(cloudButtonSchema).max(10, 'must have at most 10 buttons').optional(),
  })
  .meta({ id: 'TemplateCloudMapping' })
export type CloudMapping = z.output<typeof cloudMappingSchema>

export const variantInput = z.strictObject({
  language: languageTag.meta({ description: 'BCP 47, e.g. en, ar, pt-BR' }),
  text: text(MAX_TEXT).meta({
    description: 'ICU MessageFormat: {name}, plural, select, number, date',
  }),
  media: templateMediaSchema.optional(),
  buttons: z
    .array(templateButtonSchema)
    .min(1, 'must have at least 1 button')
    .max(3, 'must have at most 3 buttons (the WhatsApp limit)')
    .optional(),
  cloud: cloudMappingSchema.optional(),
})
export type TemplateVariant = z.output<typeof variantInput>

const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
const description = z.string().trim().max(500, 'must be at most 500 characters').nullable()

const templateFields = {
  name,
  category: z.enum(templateCategories),
  description: description.optional(),
  variables: z.array(variableSchema).max(50, 'must declare at most 50 variables'),
  variants: z
    .array(variantInput)
    .min(1, 'must have at least one variant')
    .max(30, 'must have at most 30 variants'),
}

export const createTemplateBody = z.strictObject({
  ...templateFields,
  variables: templateFields.variables.default([]),
})
export type CreateTemplateInput = z.output<typeof createTemplateBody>

export const updateTemplateBody = z
  .strictObject(templateFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')
export type UpdateTemplateInput = z.output<typeof updateTemplateBody>

/** A template's definition: what is checked and stored. */
export interface TemplateDefinition {
  name: string
  category: TemplateCategory
  description: string | null
  variables: TemplateVariable[]
  variants: TemplateVariant[]
}

export const templateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    category: z.enum(templateCategories),
    description: z.string().nullable(),
    variables: z.array(variableSchema),
    variants: z.array(
      z.object({
        language: z.string(),
        direction: z.enum(['ltr', 'rtl']).meta({ description: 'How the text runs' }),
        text: z.string(),
        media: templateMediaSchema.optional(),
        buttons: z.array(templateButtonSchema).optional(),
        cloud: cloudMappingSchema.optional(),
      }),
    ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Template' })

export type Template = TemplateDefinition & { id: string; createdAt: string; updatedAt: string }

export const listTemplatesQuery = z.object({
  category: z.enum(templateCategories).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
})

export const previewBody = z.strictObject({
  contactId: z.string().min(1).max(64).optional().meta({
    description: "Render with this contact's name, phone, attributes and language",
  }),
  vars: z
    .record(variableName, variableValue)
    .refine((v) => Object.keys(v).length <= 100, 'must give at most 100 values')
    .optional()
    .meta({ description: "Values of the template's variables; they win over the contact's" }),
  language: languageTag.optional().meta({
    description: "Render this language's variant (or the nearest), before the contact's",
  }),
  accountId: z.string().min(1).max(64).optional().meta({
    description:
      'The sending account: its default language, its time zone, and whether it needs approved templates (then the content is a `template` message)',
  }),
})
export type PreviewInput = z.output<typeof previewBody>

export const variantReasons = ['requested', 'contact', 'account', 'english', 'first'] as const
export type VariantReason = (typeof variantReasons)[number]

export const renderedSchema = z
  .object({
    language: z.string().meta({ description: 'The language of the variant used' }),
    reason: z.enum(variantReasons).meta({
      description:
        "Why that variant: the language asked for, the contact's, the account's default, English, or the first variant",
    }),
    direction: z.enum(['ltr', 'rtl']),
    text: z.string().meta({ description: 'The rendered text' }),
    content: z.looseObject({ type: z.string() }).meta({
      description:
        'The message content as `POST /messages` takes it (without accountId and to): text, media with a caption, interactive buttons, or a Cloud API template',
    }),
  })
  .meta({ id: 'RenderedTemplate' })
