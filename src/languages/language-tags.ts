// BCP 47 language tags as Linda uses them: canonical spelling, the base language, the
// direction a language is written in.
import { z } from 'zod'

/** The canonical spelling of a BCP 47 tag (`PT-br` → `pt-BR`), or undefined if it is none. */
export function canonicalLanguage(tag: string): string | undefined {
  if (tag.length === 0 || tag.length > 35) return undefined
  try {
    return Intl.getCanonicalLocales(tag)[0]
  } catch {
    return undefined
  }
}

/** A BCP 47 language tag, canonicalised; refused with a clear message when it is none. */
export const languageTag = z
  .string()
  .trim()
  .max(35, 'must be at most 35 characters')
  .transform((value, ctx) => {
    const tag = canonicalLanguage(value)
    if (tag) return tag
    ctx.addIssue({ code: 'custom', message: 'must be a BCP 47 language tag, e.g. en or pt-BR' })
    return z.NEVER
  })

/** The language subtag of a tag: `pt-BR` → `pt`, `zh-Hant-TW` → `zh`. */
export function baseLanguage(tag: string): string {
  return tag.split('-')[0]!.toLowerCase()
}

/** Languages written right to left (when their tag names no script). */
const rtlLanguages = new Set([
  'ar',
  'arc',
  'ckb',
  'dv',
  'fa',
  'he',
  'iw',
  'ks',
  'ps',
  'sd',
  'syr',
  'ug',
  'ur',
  'yi',
])
const rtlScripts = new Set(['Arab', 'Hebr', 'Syrc', 'Thaa', 'Nkoo', 'Adlm', 'Rohg'])

/** Whether text in this language runs right to left (Arabic, Hebrew, Persian, Urdu, …). */
export function textDirection(tag: string): 'ltr' | 'rtl' {
  let direction = directions.get(tag)
  if (direction === undefined) {
    direction = directionOf(tag)
    if (directions.size >= 1000) directions.clear()
    directions.set(tag, direction)
  }
  return direction
}
const directions = new Map<string, 'ltr' | 'rtl'>()

function directionOf(tag: string): 'ltr' | 'rtl' {
  let script: string | undefined
  try {
    script = new Intl.Locale(tag).script
  } catch {
    script = undefined
  }
  if (script) return rtlScripts.has(script) ? 'rtl' : 'ltr'
  return rtlLanguages.has(baseLanguage(tag)) ? 'rtl' : 'ltr'
}
