import { IntlMessageFormat } from 'intl-messageformat'
import { ar, en, es, fr, pt, type Catalog, type MessageKey } from './catalogs.js'

/** The languages Linda's own bot texts are written in. */
export const languages = ['en', 'es', 'ar', 'fr', 'pt'] as const
export type Language = (typeof languages)[number]

const catalogs: Record<Language, Catalog> = { en, es, ar, fr, pt }

/** The language's own name, for `!lang` answers. */
export const languageNames: Record<Language, string> = {
  en: 'English',
  es: 'español',
  ar: 'العربية',
  fr: 'français',
  pt: 'português',
}

/** A supported language for a code such as `pt-BR`, `ES` or `ar_AE`; undefined if none. */
export function supportedLanguage(code: string | null | undefined): Language | undefined {
  if (!code) return undefined
  const base = code.trim().toLowerCase().split(/[-_]/)[0]
  return (languages as readonly string[]).includes(base ?? '') ? (base as Language) : undefined
}

/**
 * The language to answer in: the first candidate Linda writes (the contact's language,
 * then the account's default…), else English.
 */
export function pickLanguage(...candidates: Array<string | null | undefined>): Language {
  for (const candidate of candidates) {
    const found = supportedLanguage(candidate)
    if (found) return found
  }
  return 'en'
}

const compiled = new Map<string, IntlMessageFormat>()

/** One of Linda's bot texts in `language`, with its placeholders filled. */
export function translate(
  language: Language,
  key: MessageKey,
  values: Record<string, string | number> = {},
): string {
  const id = `${language}\0${key}`
  let format = compiled.get(id)
  if (!format) {
    format = new IntlMessageFormat(catalogs[language][key], language)
    compiled.set(id, format)
  }
  return String(format.format(values))
}

export type { MessageKey }
