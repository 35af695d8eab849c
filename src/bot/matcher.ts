import type { RuleMatch } from './rules.schemas.js'
import { compileRegex, REGEX_INPUT_LIMIT } from './safe-regex.js'

/**
 * Lower case, accents and other marks removed, spaces collapsed: "Olá  Mundo" → "ola mundo".
 * Marks on Cyrillic letters stay: "й" and "и" (or "ї" and "і") are different letters, not
 * one letter with and without an accent.
 */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/(?<!\p{Script=Cyrillic}\p{M}*)\p{M}+/gu, '')
    .normalize('NFC')
    .toLocaleLowerCase('und')
    .replace(/\s+/gu, ' ')
    .trim()
}

const wordPattern = /[\p{L}\p{N}\p{M}]+/gu

/** The words of a text, folded: letters and digits in any script. */
export function words(text: string): string[] {
  return foldText(text).match(wordPattern) ?? []
}

/** A message text prepared once for every rule it is tried against. */
export interface MatchInput {
  raw: string
  folded: string
  words: string[]
}

export function prepareText(text: string): MatchInput {
  const folded = foldText(text)
  return { raw: text, folded, words: folded.match(wordPattern) ?? [] }
}

function containsSequence(haystack: string[], needle: string[]): boolean {
  if (needle.length === 0) return false
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer
    }
    return true
  }
  return false
}

export type CompiledMatch = (input: MatchInput) => boolean

/**
 * A rule's match, with its values folded (and regexes compiled) once. Case and accents
 * are ignored: `exact` is the whole text, `keyword` a whole word or phrase within it,
 * `contains` any substring, `regex` the pattern on the text's first 1000 characters,
 * `any` every message.
 */
export function compileMatch(match: RuleMatch): CompiledMatch {
  const values =
    match.value === undefined ? [] : Array.isArray(match.value) ? match.value : [match.value]
  switch (match.type) {
    case 'any':
      return () => true
    case 'exact': {
      const folded = new Set(values.map(foldText))
      return (input) => folded.has(input.folded)
    }
    case 'keyword': {
      const phrases = values.map(words).filter((w) => w.length > 0)
      return (input) => phrases.some((phrase) => containsSequence(input.words, phrase))
    }
    case 'contains': {
      const folded = values.map(foldText)
      return (input) => folded.some((v) => input.folded.includes(v))
    }
    case 'regex': {
      const regexes = values.map(compileRegex)
      return (input) => {
        const text =
          input.raw.length > REGEX_INPUT_LIMIT ? input.raw.slice(0, REGEX_INPUT_LIMIT) : input.raw
        return regexes.some((r) => r.test(text))
      }
    }
  }
}

/** Whether a message text matches a rule's match (see `compileMatch`). */
export function matches(match: RuleMatch, text: string): boolean {
  return compileMatch(match)(prepareText(text))
}
