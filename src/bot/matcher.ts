import type { RuleMatch } from './rules.schemas.js'

/** Lower case, accents and other marks removed, spaces collapsed: "Olá  Mundo" → "ola mundo". */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLocaleLowerCase('und')
    .replace(/\s+/gu, ' ')
    .trim()
}

/** The words of a text, folded: letters and digits in any script. */
export function words(text: string): string[] {
  return foldText(text).match(/[\p{L}\p{N}]+/gu) ?? []
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

/**
 * Whether a message text matches a rule, case- and accent-insensitively: `exact` is the
 * whole text, `keyword` a whole word or phrase within it, `contains` any substring.
 */
export function matches(match: RuleMatch, text: string): boolean {
  const values = Array.isArray(match.value) ? match.value : [match.value]
  switch (match.type) {
    case 'exact': {
      const folded = foldText(text)
      return values.some((v) => foldText(v) === folded)
    }
    case 'keyword': {
      const textWords = words(text)
      return values.some((v) => containsSequence(textWords, words(v)))
    }
    case 'contains': {
      const folded = foldText(text)
      return values.some((v) => folded.includes(foldText(v)))
    }
  }
}
