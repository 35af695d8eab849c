// What `{{…}}` and a branch's `var` read: the flow's variables, the contact and the message.
import { foldText } from '../matcher.js'
import type { Condition, Scalar } from './flows.schemas.js'

/** The contact as a flow sees it (attributes and tags as they are after the flow's own sets). */
export interface ContactView {
  id: string
  phone: string
  name: string | null
  language: string | null
  tags: string[]
  attributes: Record<string, unknown>
}

/** Everything a flow step can read. */
export interface Scope {
  vars: Record<string, unknown>
  contact: ContactView
  /** The text of the message being handled, when there is one. */
  text: string | null
}

/** The value at a dotted path: `name`, `order.items.0.sku`, `contact.attributes.city`. */
export function resolvePath(scope: Scope, path: string): unknown {
  const [root = '', ...rest] = path.split('.')
  let value: unknown
  if (root === 'contact') value = scope.contact
  else if (root === 'message') value = { text: scope.text }
  else value = Object.hasOwn(scope.vars, root) ? scope.vars[root] : undefined
  for (const key of rest) {
    if (value === null || typeof value !== 'object') return undefined
    if (!Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** How a value reads inside a text: lists joined with commas, objects as JSON, nothing as ''. */
export function displayValue(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.map(displayValue).join(', ')
  return JSON.stringify(value)
}

const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g

/** Fills `{{path}}` placeholders; an unknown path reads as nothing. */
export function interpolate(text: string, scope: Scope): string {
  return text.replace(placeholder, (_, path: string) => displayValue(resolvePath(scope, path)))
}

/**
 * A value to store (a `set` step's, a webhook body's): strings are filled in, and a string
 * that is only one placeholder keeps the value's own type (`"{{age}}"` stays a number).
 */
export function fillValue(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}$/.exec(value)
    if (whole) return resolvePath(scope, whole[1]!) ?? null
    return interpolate(value, scope)
  }
  if (Array.isArray(value)) return value.map((v) => fillValue(v, scope))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillValue(v, scope)]))
  }
  return value
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value.trim())
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}

const isoDateLike = /^\d{4}-\d{2}-\d{2}/

/** Equal as a person means it: numbers by value, texts ignoring case and accents. */
function same(actual: unknown, expected: Scalar): boolean {
  if (typeof expected === 'boolean') return actual === expected
  if (typeof expected === 'number') return asNumber(actual) === expected
  if (typeof actual === 'number') return asNumber(expected) === actual
  if (typeof actual !== 'string') return false
  return foldText(actual) === foldText(expected)
}

/** -1, 0 or 1 between two numbers or two ISO dates; undefined when they do not compare. */
function compare(actual: unknown, expected: Scalar): number | undefined {
  const a = asNumber(actual)
  const b = asNumber(expected)
  if (a !== undefined && b !== undefined) return Math.sign(a - b)
  if (
    typeof actual === 'string' &&
    typeof expected === 'string' &&
    isoDateLike.test(actual) &&
    isoDateLike.test(expected)
  ) {
    return actual < expected ? -1 : actual > expected ? 1 : 0
  }
  return undefined
}

function present(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false
  return !(Array.isArray(value) && value.length === 0)
}

/** Whether a branch's condition holds. Comparisons of values that do not compare are false. */
export function evaluate(condition: Condition, scope: Scope): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluate(c, scope))
  if ('any' in condition) return condition.any.some((c) => evaluate(c, scope))
  if ('not' in condition) return !evaluate(condition.not, scope)
  const actual = resolvePath(scope, condition.var)
  const expected = condition.value
  const single = Array.isArray(expected) ? expected[0] : expected
  switch (condition.op) {
    case 'exists':
      return present(actual)
    case 'missing':
      return !present(actual)
    case 'eq':
      return single !== undefined && same(actual, single)
    case 'ne':
      return single !== undefined && !same(actual, single)
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (single === undefined) return false
      const order = compare(actual, single)
      if (order === undefined) return false
      if (condition.op === 'gt') return order > 0
      if (condition.op === 'gte') return order >= 0
      if (condition.op === 'lt') return order < 0
      return order <= 0
    }
    case 'contains': {
      if (single === undefined) return false
      if (Array.isArray(actual)) return actual.some((item) => same(item, single))
      if (typeof actual !== 'string') return false
      return foldText(actual).includes(foldText(String(single)))
    }
    case 'in':
      return Array.isArray(expected) && expected.some((v) => same(actual, v))
  }
}
