// Reading a contact's answer to an ask: a number, an email, a date, one of some choices, a
// text matching a pattern. An answer that does not fit gets a hint of what would.
import { foldText, words } from '../matcher.js'
import { compileSafePattern, type AnswerSpec } from './flows.schemas.js'

export type AnswerCheck = { ok: true; value: unknown } | { ok: false; hint: string }

/** The answer as the contact gave it: the text, and the id of a button or list row picked. */
export interface Answer {
  text: string | null
  replyId?: string
}

/** Patterns compiled once: asks are answered far more often than flows change. */
const patterns = new Map<string, ReturnType<typeof compileSafePattern>>()

function patternOf(source: string, ignoreCase: boolean) {
  const key = `${ignoreCase ? 'i' : '-'}${source}`
  let re = patterns.get(key)
  if (!re) {
    re = compileSafePattern(source, ignoreCase)
    if (patterns.size > 1000) patterns.clear()
    patterns.set(key, re)
  }
  return re
}

// The usual shape of an address (what HTML's input type=email accepts), with a dot in the domain.
const emailShape =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` between ${min} and ${max}`
  if (min !== undefined) return ` of at least ${min}`
  if (max !== undefined) return ` of at most ${max}`
  return ''
}

/** "1,5", "1 000", "€ 12.50" → a number; anything else → undefined. */
function readNumber(text: string): number | undefined {
  let t = text
    .trim()
    .replace(/^[^\d+-]*(?=[+-]?\d)/u, '')
    .replace(/[^\d]*$/u, '')
  t = t.replace(/(\d)[\s\u00a0'](?=\d{3}\b)/gu, '$1')
  if (/^[+-]?\d+,\d+$/.test(t)) t = t.replace(',', '.')
  if (!/^[+-]?(\d+(\.\d+)?|\.\d+)$/.test(t)) return undefined
  const n = Number(t)
  return Number.isFinite(n) ? n : undefined
}

function isoOf(year: number, month: number, day: number): string | undefined {
  const date = new Date(Date.UTC(year, month - 1, day))
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1) return undefined
  if (date.getUTCDate() !== day) return undefined
  return date.toISOString().slice(0, 10)
}

/** 2026-04-03, or 03/04/2026 (03.04.26, 3-4-2026) read in the given order. */
function readDate(text: string, order: 'dmy' | 'mdy' | 'ymd'): string | undefined {
  const t = text.trim()
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t)
  if (iso) return isoOf(Number(iso[1]), Number(iso[2]), Number(iso[3]))
  const parts = /^(\d{1,4})[/.\-\s](\d{1,2})[/.\-\s](\d{1,4})$/.exec(t)
  if (!parts) return undefined
  const [a, b, c] = [Number(parts[1]), Number(parts[2]), Number(parts[3])]
  const [year, month, day] = order === 'ymd' ? [a, b, c] : order === 'mdy' ? [c, a, b] : [c, b, a]
  const fullYear = year < 100 ? 2000 + year : year
  return isoOf(fullYear, month, day)
}

function choiceLabel(choice: { value: string; label?: string | undefined }): string {
  return choice.label ?? choice.value
}

/** The question as sent: with its choices listed under it when they are numbered. */
export function questionText(text: string, spec: AnswerSpec): string {
  if (spec.type !== 'choice' || !spec.numbered) return text
  const lines = spec.choices.map((c, i) => `${i + 1}. ${choiceLabel(c)}`)
  return `${text}\n${lines.join('\n')}`
}

/** Checks an answer against what the ask expects, and gives the value to store. */
export function checkAnswer(answer: Answer, spec: AnswerSpec): AnswerCheck {
  const text = answer.text?.trim() ?? ''
  switch (spec.type) {
    case 'text': {
      const min = spec.minLength ?? 1
      const max = spec.maxLength ?? 4096
      if (text.length < min || text.length > max) {
        return {
          ok: false,
          hint:
            text.length === 0
              ? 'Please answer with a text.'
              : `Please answer with ${min === max ? min : `${min} to ${max}`} characters.`,
        }
      }
      return { ok: true, value: text }
    }
    case 'number': {
      const n = readNumber(text)
      const fits =
        n !== undefined &&
        (!spec.integer || Number.isInteger(n)) &&
        (spec.min === undefined || n >= spec.min) &&
        (spec.max === undefined || n <= spec.max)
      if (!fits) {
        const kind = spec.integer ? 'a whole number' : 'a number'
        return { ok: false, hint: `Please answer with ${kind}${range(spec.min, spec.max)}.` }
      }
      return { ok: true, value: n }
    }
    case 'email': {
      if (!emailShape.test(text) || text.length > 254) {
        return { ok: false, hint: 'Please answer with an email address, like name@example.com.' }
      }
      return { ok: true, value: text.replace(/@.*$/, (domain) => domain.toLowerCase()) }
    }
    case 'date': {
      const iso = readDate(text, spec.order)
      const fits =
        iso !== undefined &&
        (spec.min === undefined || iso >= spec.min) &&
        (spec.max === undefined || iso <= spec.max)
      if (!fits) {
        const example =
          spec.order === 'mdy' ? 'MM/DD/YYYY' : spec.order === 'ymd' ? 'YYYY-MM-DD' : 'DD/MM/YYYY'
        const limits =
          spec.min !== undefined && spec.max !== undefined
            ? ` between ${spec.min} and ${spec.max}`
            : spec.min !== undefined
              ? ` from ${spec.min} on`
              : spec.max !== undefined
                ? ` up to ${spec.max}`
                : ''
        return { ok: false, hint: `Please answer with a date as ${example}${limits}.` }
      }
      return { ok: true, value: iso }
    }
    case 'choice': {
      const picked = pickChoice(answer, text, spec)
      if (!picked) {
        const options = spec.choices.map(choiceLabel).join(', ')
        const numbers = spec.numbered ? ` (or its number, 1 to ${spec.choices.length})` : ''
        return { ok: false, hint: `Please answer with one of: ${options}${numbers}.` }
      }
      return { ok: true, value: picked }
    }
    case 'regex': {
      if (text.length === 0 || !patternOf(spec.pattern, spec.ignoreCase).matcher(text).find()) {
        return { ok: false, hint: 'That answer does not have the expected form.' }
      }
      return { ok: true, value: text }
    }
  }
}

function pickChoice(
  answer: Answer,
  text: string,
  spec: Extract<AnswerSpec, { type: 'choice' }>,
): string | undefined {
  const { choices } = spec
  if (answer.replyId !== undefined) {
    const byId = choices.find((c) => c.value === answer.replyId)
    if (byId) return byId.value
  }
  if (spec.numbered && /^\d{1,2}[.)]?$/.test(text)) {
    return choices[Number.parseInt(text, 10) - 1]?.value
  }
  const folded = foldText(text)
  if (folded === '') return undefined
  // The whole answer names a choice: its value, label or a synonym.
  const whole = choices.find((c) =>
    [c.value, choiceLabel(c), ...c.synonyms].some((name) => foldText(name) === folded),
  )
  if (whole) return whole.value
  // Or exactly one choice is named as a word or phrase within the answer ("the medium one").
  const answerWords = words(text)
  const named = choices.filter((c) =>
    [c.value, choiceLabel(c), ...c.synonyms].some((name) =>
      containsPhrase(answerWords, words(name)),
    ),
  )
  return named.length === 1 ? named[0]!.value : undefined
}

function containsPhrase(haystack: string[], needle: string[]): boolean {
  if (needle.length === 0) return false
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (needle.every((w, j) => haystack[i + j] === w)) return true
  }
  return false
}
