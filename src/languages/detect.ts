// The language of a text, by `eld` (its smallest n-gram set: about 30 MB of heap, loaded on
// the first text, so an idle Linda does not pay for it). Chosen over tinyld after measuring
// both on short WhatsApp-like texts in en/es/ar/fr/pt: docs/languages.md has the figures.

import type { eld as eldInstance } from 'eld/extrasmall'

type Eld = typeof eldInstance

export interface Detection {
  /** ISO 639-1, e.g. `es`; null when the text has nothing to go on. */
  language: string | null
  /** Whether the detector is confident (enough n-grams, a clear winner). */
  reliable: boolean
}

export interface DetectorOptions {
  /** Choose among these languages only (ISO 639-1); default all the detector knows. */
  languages?: readonly string[]
}

/** Texts shorter than this (in letters) are not worth asking about. */
const MIN_LETTERS = 2

/**
 * Detects the language of short texts such as WhatsApp messages. A text with no letters (an
 * emoji, a number, a link) has none. Only `reliable` detections should be acted on: a word
 * or two often is not (see docs/languages.md for what it gets right and wrong).
 */
export class LanguageDetector {
  private eld: Promise<Eld> | undefined

  constructor(private readonly options: DetectorOptions = {}) {}

  private load(): Promise<Eld> {
    this.eld ??= import('eld/extrasmall').then(({ eld }) => {
      const instance = eld.newInstance()
      // URLs, e-mail addresses and the like say nothing of the language around them.
      instance.enableTextCleanup(true)
      if (this.options.languages?.length) instance.setLanguageSubset([...this.options.languages])
      return instance
    })
    return this.eld
  }

  /** The detector's verdict on `text`. */
  async analyse(text: string | null | undefined): Promise<Detection> {
    if (!text || (text.match(/\p{L}/gu)?.length ?? 0) < MIN_LETTERS) {
      return { language: null, reliable: false }
    }
    const result = (await this.load()).detect(text)
    if (!result.language) return { language: null, reliable: false }
    return { language: result.language, reliable: result.isReliable() }
  }

  /** The language of `text` when the detector is confident; null otherwise. */
  async detect(text: string | null | undefined): Promise<string | null> {
    const { language, reliable } = await this.analyse(text)
    return reliable ? language : null
  }
}
