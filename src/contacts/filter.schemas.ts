import { z } from 'zod'
import { AppError, type FieldError } from '../platform/errors.js'
import type { AttributeType } from './attributes.schemas.js'

/**
 * The filter language of contacts, as a JSON tree. The query-string form
 * (`filter.query.ts`) compiles to the same tree; `filter.repo.ts` compiles a checked tree
 * to SQL with parameters only. Everything is bounded: depth, node count, list lengths and
 * string sizes, so that no filter can be slow to check or to run.
 */

export const filterOps = [
  'eq',
  'neq',
  'in',
  'contains',
  'startsWith',
  'gt',
  'lt',
  'between',
  'exists',
] as const
export type FilterOp = (typeof filterOps)[number]

export const tagModes = ['any', 'all', 'none'] as const
export type TagMode = (typeof tagModes)[number]

/** A filter as a program writes it. */
export type FilterNode =
  | { and: FilterNode[] }
  | { or: FilterNode[] }
  | { not: FilterNode }
  | { field: string; op: FilterOp; value?: unknown }
  | { tags: Partial<Record<TagMode, string[]>> }
  | { search: string }

export const FILTER_LIMITS = {
  /** Nesting of and/or/not. */
  depth: 8,
  /** Nodes in the whole tree. */
  nodes: 100,
  /** Children of one and/or. */
  children: 50,
  /** Values of an `in`, tags of a tags node. */
  values: 100,
  /** Characters of a string value. */
  string: 200,
  /** Characters of the query-string form. */
  query: 2000,
  /** Words of a full-text search. */
  words: 10,
} as const

/** Types of the contact fields a filter can name (besides `attributes.<key>`). */
export const filterFields = {
  name: { column: 'name', type: 'text' },
  phone: { column: 'phone', type: 'text' },
  language: { column: 'language', type: 'text' },
  timezone: { column: 'timezone', type: 'text' },
  notes: { column: 'notes', type: 'text' },
  lid: { column: 'lid', type: 'text' },
  optedOut: { column: 'opted_out', type: 'boolean' },
  onWhatsApp: { column: 'on_whatsapp', type: 'boolean' },
  optedOutAt: { column: 'opted_out_at', type: 'time' },
  firstInboundAt: { column: 'first_inbound_at', type: 'time' },
  lastInboundAt: { column: 'last_inbound_at', type: 'time' },
  firstOutboundAt: { column: 'first_outbound_at', type: 'time' },
  lastOutboundAt: { column: 'last_outbound_at', type: 'time' },
  createdAt: { column: 'created_at', type: 'time' },
  updatedAt: { column: 'updated_at', type: 'time' },
} as const
export type FilterField = keyof typeof filterFields
export type FieldColumn = (typeof filterFields)[FilterField]['column']

type ValueType = 'text' | 'number' | 'date' | 'boolean' | 'time'

/** Which operators each type of value takes. */
const opsByType: Record<ValueType, readonly FilterOp[]> = {
  text: ['eq', 'neq', 'in', 'contains', 'startsWith', 'exists'],
  number: ['eq', 'neq', 'in', 'gt', 'lt', 'between', 'exists'],
  date: ['eq', 'neq', 'in', 'gt', 'lt', 'between', 'exists'],
  time: ['gt', 'lt', 'between', 'exists'],
  boolean: ['eq', 'neq', 'exists'],
}

/** A checked filter: fields resolved to columns or attributes, values typed. */
export type CheckedFilter =
  | { kind: 'and' | 'or'; children: CheckedFilter[] }
  | { kind: 'not'; child: CheckedFilter }
  | { kind: 'column'; column: FieldColumn; type: ValueType; op: FilterOp; values: Scalar[] }
  | { kind: 'attribute'; key: string; type: AttributeType; op: FilterOp; values: Scalar[] }
  | { kind: 'tags'; mode: TagMode; tags: string[] }
  | { kind: 'search'; words: string[] }

export type Scalar = string | number

const tagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, 'must not be empty')
  .max(50, 'must be at most 50 characters')
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}_.:-]*$/u, 'may hold letters, digits, _ . : - only')

/** A tag as stored: trimmed, lower case, letters, digits and `_ . : -`. */
export const tagInput = tagSchema

const andOr = z.array(z.unknown()).min(1, 'must have at least one condition')
const nodeSchemas = {
  and: z.strictObject({ and: andOr.max(FILTER_LIMITS.children) }),
  or: z.strictObject({ or: andOr.max(FILTER_LIMITS.children) }),
  not: z.strictObject({ not: z.unknown() }),
  field: z.strictObject({
    field: z.string().max(60),
    op: z.enum(filterOps),
    value: z.unknown().optional(),
  }),
  tags: z.strictObject({
    tags: z
      .strictObject(
        Object.fromEntries(
          tagModes.map((m) => [m, z.array(tagSchema).min(1).max(FILTER_LIMITS.values).optional()]),
        ) as Record<TagMode, z.ZodOptional<z.ZodArray<typeof tagSchema>>>,
      )
      .refine((t) => Object.keys(t).length === 1, 'give exactly one of any, all or none'),
  }),
  search: z.strictObject({
    search: z
      .string()
      .max(FILTER_LIMITS.string, `must be at most ${FILTER_LIMITS.string} characters`),
  }),
}

/**
 * Words a full-text search looks for: letters and digits, at most `FILTER_LIMITS.words`. A
 * search that looks like a phone number (`+971 50 123`) is one word of its digits.
 */
export function searchWords(text: string): string[] {
  if (/^[\d\s+().-]+$/.test(text) && /\d/.test(text)) return [text.replace(/\D/g, '').slice(0, 20)]
  return (text.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? [])
    .map((w) => w.toLowerCase().slice(0, 50))
    .slice(0, FILTER_LIMITS.words)
}

const dateOnly = /^\d{4}-\d{2}-\d{2}$/
const isoTime = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$/

/** Checks raw filter JSON and resolves it; throws VALIDATION_FAILED naming every bad field. */
export function checkFilter(
  raw: unknown,
  attributeTypes: ReadonlyMap<string, AttributeType>,
  path: string,
): CheckedFilter {
  const errors: FieldError[] = []
  let nodes = 0
  const fail = (at: string, message: string): undefined => {
    if (errors.length < 20) errors.push({ path: at, message })
    return undefined
  }

  const value = (type: ValueType, v: unknown, at: string): Scalar | undefined => {
    switch (type) {
      case 'text':
        if (typeof v !== 'string') return fail(at, 'must be a string')
        if (v.length > FILTER_LIMITS.string)
          return fail(at, `must be at most ${FILTER_LIMITS.string} characters`)
        return v
      case 'number': {
        const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
        if (typeof n !== 'number' || !Number.isFinite(n)) return fail(at, 'must be a number')
        return n
      }
      case 'boolean':
        if (v === true || v === 'true') return 1
        if (v === false || v === 'false') return 0
        return fail(at, 'must be true or false')
      case 'date':
        if (typeof v !== 'string' || !dateOnly.test(v) || Number.isNaN(Date.parse(v)))
          return fail(at, 'must be a date, YYYY-MM-DD')
        return v
      case 'time': {
        const t = typeof v === 'string' && isoTime.test(v) ? Date.parse(v) : NaN
        if (Number.isNaN(t))
          return fail(
            at,
            'must be an ISO 8601 date or time, e.g. 2026-01-01 or 2026-01-01T09:00:00Z',
          )
        return new Date(t).toISOString()
      }
    }
  }

  const values = (type: ValueType, op: FilterOp, v: unknown, at: string): Scalar[] => {
    if (op === 'exists') {
      if (v !== undefined && v !== true) fail(at, 'exists takes no value')
      return []
    }
    if (op === 'in' || op === 'between') {
      if (!Array.isArray(v)) {
        fail(
          at,
          op === 'in' ? 'must be a list of values' : 'must be a list of two values [from, to]',
        )
        return []
      }
      if (op === 'between' && v.length !== 2) fail(at, 'must be a list of two values [from, to]')
      if (op === 'in' && (v.length < 1 || v.length > FILTER_LIMITS.values))
        fail(at, `must list 1 to ${FILTER_LIMITS.values} values`)
      return v.slice(0, FILTER_LIMITS.values).flatMap((x, i) => {
        const s = value(type, x, `${at}.${i}`)
        return s === undefined ? [] : [s]
      })
    }
    const s = value(type, v, at)
    return s === undefined ? [] : [s]
  }

  const walk = (node: unknown, at: string, depth: number): CheckedFilter | undefined => {
    nodes++
    if (nodes > FILTER_LIMITS.nodes) {
      if (nodes === FILTER_LIMITS.nodes + 1)
        fail(path, `has more than ${FILTER_LIMITS.nodes} conditions`)
      return undefined
    }
    if (depth > FILTER_LIMITS.depth) {
      fail(at, `nests deeper than ${FILTER_LIMITS.depth} levels`)
      return undefined
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      fail(at, 'must be an object: {and}, {or}, {not}, {field, op, value}, {tags} or {search}')
      return undefined
    }
    const kind = (['and', 'or', 'not', 'field', 'tags', 'search'] as const).find((k) => k in node)
    if (!kind) {
      fail(at, 'must be one of {and}, {or}, {not}, {field, op, value}, {tags} or {search}')
      return undefined
    }
    const parsed = nodeSchemas[kind].safeParse(node)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const sub = issue.path.map(String).join('.')
        fail(sub ? `${at}.${sub}` : at, issue.message)
      }
      return undefined
    }
    const data = parsed.data as Record<string, unknown>
    switch (kind) {
      case 'and':
      case 'or': {
        const children = (data[kind] as unknown[]).map((c, i) =>
          walk(c, `${at}.${kind}.${i}`, depth + 1),
        )
        return { kind, children: children.filter((c): c is CheckedFilter => c !== undefined) }
      }
      case 'not': {
        const child = walk(data.not, `${at}.not`, depth + 1)
        return child && { kind: 'not', child }
      }
      case 'tags': {
        const [mode, tags] = Object.entries(data.tags as object)[0] as [TagMode, string[]]
        return { kind: 'tags', mode, tags: [...new Set(tags)] }
      }
      case 'search': {
        const words = searchWords(data.search as string)
        if (words.length === 0) {
          fail(`${at}.search`, 'must contain a letter or digit')
          return undefined
        }
        return { kind: 'search', words }
      }
      case 'field': {
        const { field, op } = data as { field: string; op: FilterOp }
        const known = filterFields[field as FilterField] as
          (typeof filterFields)[FilterField] | undefined
        let type: ValueType
        let target: { kind: 'column'; column: FieldColumn } | { kind: 'attribute'; key: string }
        if (known) {
          type = known.type
          target = { kind: 'column', column: known.column }
        } else if (field.startsWith('attributes.')) {
          const key = field.slice('attributes.'.length)
          const declared = attributeTypes.get(key)
          if (!declared) {
            fail(`${at}.field`, `"${key}" is not a declared contact attribute`)
            return undefined
          }
          type = declared
          target = { kind: 'attribute', key }
        } else {
          fail(
            `${at}.field`,
            `must be a contact field (${Object.keys(filterFields).join(', ')}) or attributes.<key>`,
          )
          return undefined
        }
        if (!opsByType[type].includes(op)) {
          fail(
            `${at}.op`,
            `${op} does not apply to ${field} (${type}); use ${opsByType[type].join(', ')}`,
          )
          return undefined
        }
        const before = errors.length
        const vals = values(type, op, data.value, `${at}.value`)
        if (errors.length > before) return undefined
        return target.kind === 'column'
          ? { kind: 'column', column: target.column, type, op, values: vals }
          : { kind: 'attribute', key: target.key, type: type as AttributeType, op, values: vals }
      }
    }
  }

  const checked = walk(raw, path, 1)
  if (errors.length > 0 || !checked) {
    const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ')
    throw new AppError('VALIDATION_FAILED', `The filter is not valid: ${detail}`, errors)
  }
  return checked
}

/** Whether the checked filter reads the contact row itself (not only the tag and attribute indexes). */
export function readsContactRow(filter: CheckedFilter): boolean {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return filter.children.some(readsContactRow)
    case 'not':
      return readsContactRow(filter.child)
    case 'column':
    case 'search':
      return true
    default:
      return false
  }
}
