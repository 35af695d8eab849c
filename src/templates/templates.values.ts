// Values of template variables: what each type accepts, and what it becomes for ICU.
import type { VariableType } from './templates.schemas.js'

/** A value ready for ICU: numbers for plural and number formats, Dates for date formats. */
export type IcuValue = string | number | Date

const isoDate =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/
const decimal = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * The ICU value of `value` for a variable of `type`, or the reason it does not fit: text
 * takes strings (numbers and booleans as written), number takes numbers and decimal strings,
 * date takes ISO 8601 dates and times (a date alone is midnight UTC) or epoch milliseconds,
 * boolean takes true/false (as a select on `true` and `false`).
 */
export function coerceValue(
  type: VariableType,
  value: unknown,
): { value: IcuValue } | { error: string } {
  switch (type) {
    case 'text':
      if (typeof value === 'string') return { value }
      if (typeof value === 'number' && Number.isFinite(value)) return { value: String(value) }
      if (typeof value === 'boolean') return { value: String(value) }
      return { error: 'must be text' }
    case 'number': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && decimal.test(value.trim())
            ? Number(value.trim())
            : Number.NaN
      return Number.isFinite(n) ? { value: n } : { error: 'must be a number' }
    }
    case 'date': {
      let ms = Number.NaN
      if (typeof value === 'number') ms = value
      else if (typeof value === 'string' && isoDate.test(value.trim()))
        ms = Date.parse(value.trim())
      return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15
        ? { value: new Date(ms) }
        : { error: 'must be an ISO 8601 date or time, e.g. 2026-03-05 or 2026-03-05T14:30:00Z' }
    }
    case 'boolean':
      if (typeof value === 'boolean') return { value: String(value) }
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) {
        return { value: value.trim().toLowerCase() }
      }
      return { error: 'must be true or false' }
  }
}
