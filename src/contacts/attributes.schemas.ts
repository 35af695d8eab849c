import { z } from 'zod'

export const attributeTypes = ['text', 'number', 'date', 'boolean'] as const
export type AttributeType = (typeof attributeTypes)[number]

/** Words of the query-string form: an attribute may not be called one of them. */
export const reservedAttributeKeys = [
  'tag',
  'tags',
  'name',
  'phone',
  'language',
  'lang',
  'timezone',
  'tz',
  'notes',
  'lid',
  'opted_out',
  'on_whatsapp',
  'first_inbound',
  'last_inbound',
  'first_outbound',
  'last_outbound',
  'created',
  'updated',
  'attributes',
] as const

export const ATTRIBUTE_LIMITS = {
  /** Attributes declared in all. */
  declared: 200,
  /** Attributes one contact has. */
  perContact: 50,
  /** Characters of a text value. */
  text: 1000,
} as const

export const attributeKey = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,39}$/,
    'must start with a lower-case letter and hold at most 40 lower-case letters, digits or _',
  )
  .refine(
    (k) => !(reservedAttributeKeys as readonly string[]).includes(k),
    'is a reserved word of the filter language',
  )

export const attributeSchema = z
  .object({
    key: z.string(),
    type: z.enum(attributeTypes),
    label: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ContactAttribute' })

export type Attribute = z.output<typeof attributeSchema>

export const createAttributeBody = z.object({
  key: attributeKey,
  type: z.enum(attributeTypes),
  label: z.string().trim().min(1).max(100).nullable().default(null),
})
export type CreateAttributeInput = z.output<typeof createAttributeBody>

export const updateAttributeBody = z.object({
  label: z.string().trim().min(1).max(100).nullable(),
})

export const attributeParams = z.object({ key: z.string().min(1).max(40) })

/** A contact's attribute values as written: null removes the attribute. */
export type AttributeValues = Record<string, string | number | boolean | null>

const dateOnly = /^\d{4}-\d{2}-\d{2}$/

/**
 * Checks one attribute value against its declared type; returns the reason it does not fit,
 * or undefined when it does.
 */
export function attributeValueProblem(type: AttributeType, value: unknown): string | undefined {
  switch (type) {
    case 'text':
      if (typeof value !== 'string') return 'must be text (the attribute is declared as text)'
      if (value.length > ATTRIBUTE_LIMITS.text)
        return `must be at most ${ATTRIBUTE_LIMITS.text} characters`
      return undefined
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : 'must be a number (the attribute is declared as number)'
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : 'must be true or false (the attribute is declared as boolean)'
    case 'date':
      return typeof value === 'string' &&
        dateOnly.test(value) &&
        new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
        ? undefined
        : 'must be a date, YYYY-MM-DD (the attribute is declared as date)'
  }
}

/** The type an undeclared attribute is declared with on its first write, from its value. */
export function inferAttributeType(value: string | number | boolean): AttributeType {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'text'
}
