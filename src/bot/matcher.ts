import type { RuleMatch } from './rules.schemas.js'
import { compileRegex, REGEX_INPUT_LIMIT } from './safe-regex.js'

/**
 * Lower case, accents and other marks removed, spaces collapsed: "Olá  Mundo" → "ola mundo".
 * Marks on Cyrillic letters stay: "й" and "и" (or "ї" and "і") are different letters, not
 * one letter with and without an accent.
 */
export function foldText(text: string): string {
  // ASCII (most messages) has no marks to remove: lower case and spaces only.
  const unmarked = asciiOnly.test(text)
    ? text
    : text
        .normalize('NFD')
        .replace(/(?<!\p{Script=Cyrillic}\p{M}*)\p{M}+/gu, '')
        .normalize('NFC')
  return unmarked.toLowerCase().replace(/\s+/gu, ' ').trim()
}

const asciiOnly = /^[\x20-\x7e\s]*$/

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

/**
 * What a message must contain for a match to be possible: one of these first words of a
 * keyword phrase, or one of these whole texts for `exact`; `scan`: no shortcut (try it).
 */
export type MatchKeys =
  { kind: 'words'; words: string[] } | { kind: 'exact'; texts: string[] } | { kind: 'scan' }

export function matchKeys(match: RuleMatch): MatchKeys {
  const values =
    match.value === undefined ? [] : Array.isArray(match.value) ? match.value : [match.value]
  if (match.type === 'keyword') {
    return { kind: 'words', words: values.map((v) => words(v)[0]).filter((w) => w !== undefined) }
  }
  if (match.type === 'exact') return { kind: 'exact', texts: values.map(foldText) }
  return { kind: 'scan' }
}

/**
 * Rules in the order they are tried, indexed so that a message is only tried against the
 * rules it can match: keyword rules by the first word of each phrase, exact rules by their
 * text; the others (contains, regex, any) are always tried.
 */
export class MatchIndex<T> {
  private readonly always: Uint8Array
  private readonly byWord = new Map<string, number[]>()
  private readonly byText = new Map<string, number[]>()

  constructor(
    private readonly entries: ReadonlyArray<{ item: T; match: CompiledMatch; keys: MatchKeys }>,
  ) {
    this.always = new Uint8Array(entries.length)
    entries.forEach(({ keys }, i) => {
      if (keys.kind === 'scan') this.always[i] = 1
      const map =
        keys.kind === 'words' ? this.byWord : keys.kind === 'exact' ? this.byText : undefined
      for (const key of keys.kind === 'words'
        ? keys.words
        : keys.kind === 'exact'
          ? keys.texts
          : []) {
        const list = map!.get(key)
        if (list) list.push(i)
        else map!.set(key, [i])
      }
    })
  }

  get size(): number {
    return this.entries.length
  }

  /** The items whose match the message passes, in order. */
  *matching(input: MatchInput): Generator<T> {
    // Per call: dispatches of other conversations may interleave with this one's.
    const marks = new Uint8Array(this.entries.length)
    for (const word of input.words) for (const i of this.byWord.get(word) ?? []) marks[i] = 1
    for (const i of this.byText.get(input.folded) ?? []) marks[i] = 1
    const entries = this.entries
    for (let i = 0; i < entries.length; i++) {
      if (marks[i] === 0 && this.always[i] === 0) continue
      const entry = entries[i]!
      if (entry.match(input)) yield entry.item
    }
  }
}
