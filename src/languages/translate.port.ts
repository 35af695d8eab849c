/** A machine translation service (the port; LibreTranslate is one adapter). */
export interface Translator {
  /** Short name of the provider, for logs. */
  readonly name: string
  /**
   * Translates `text` into `to` (ISO 639-1) from `from`, or from the language the provider
   * detects when `from` is absent (then `detectedFrom` says which, when the provider tells).
   * Rejects with TranslationError when the provider cannot be reached in time, refuses, or
   * answers something that is not a translation. Calls nothing but the provider's URL.
   */
  translate(
    text: string,
    options: { from?: string; to: string },
    signal?: AbortSignal,
  ): Promise<{ text: string; detectedFrom?: string }>
}

/** The provider failed; `detail` is safe to show (it carries no credentials). */
export class TranslationError extends Error {
  constructor(detail: string) {
    super(detail)
    this.name = 'TranslationError'
  }
}
