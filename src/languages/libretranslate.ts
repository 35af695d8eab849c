// The Translator of a LibreTranslate-compatible API: `POST {url}/translate` with
// `{q, source, target, format, api_key?}` → `{translatedText, detectedLanguage?}`.
import { z } from 'zod'
import { TranslationError, type Translator } from './translate.port.js'

export interface LibreTranslateOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:5000` (no trailing slash needed). */
  url: string
  apiKey?: string
  /** How long one translation may take; default 10 s. */
  timeoutMs?: number
}

const answer = z.object({
  translatedText: z.string(),
  detectedLanguage: z
    .object({ language: z.string().max(16), confidence: z.number().optional() })
    .optional()
    .catch(undefined),
})

const refusal = z.object({ error: z.string() })

export class LibreTranslate implements Translator {
  readonly name = 'libretranslate'
  private readonly endpoint: string

  constructor(private readonly options: LibreTranslateOptions) {
    // The one address this adapter calls: the configured URL's own /translate.
    this.endpoint = `${options.url.replace(/\/+$/, '')}/translate`
  }

  async translate(
    text: string,
    { from, to }: { from?: string; to: string },
    signal?: AbortSignal,
  ): Promise<{ text: string; detectedFrom?: string }> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 10_000)
    let res: Response
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          q: text,
          source: from ?? 'auto',
          target: to,
          format: 'text',
          ...(this.options.apiKey ? { api_key: this.options.apiKey } : {}),
        }),
        // A redirect would send the text (and the key) somewhere else: refused.
        redirect: 'error',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      })
    } catch (err) {
      if (timeout.aborted)
        throw new TranslationError('The translation provider did not answer in time')
      const cause =
        err instanceof Error
          ? err.cause instanceof Error
            ? err.cause.message
            : err.message
          : String(err)
      throw new TranslationError(`The translation provider could not be reached: ${cause}`)
    }
    const body: unknown = await res.json().catch(() => undefined)
    if (!res.ok) {
      const said = refusal.safeParse(body)
      throw new TranslationError(
        `The translation provider answered ${res.status}${said.success ? `: ${said.data.error.slice(0, 300)}` : ''}`,
      )
    }
    const parsed = answer.safeParse(body)
    if (!parsed.success)
      throw new TranslationError(
        'The translation provider answered something that is not a translation',
      )
    const detected = parsed.data.detectedLanguage?.language
    return { text: parsed.data.translatedText, ...(detected ? { detectedFrom: detected } : {}) }
  }
}
