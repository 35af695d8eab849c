import { createHash } from 'node:crypto'
import type { Db, Executor } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import type { Logger } from '../platform/logging.js'
import type { LanguageDetector } from './detect.js'
import { baseLanguage } from './language-tags.js'
import * as repo from './languages.repo.js'
import type { Translation } from './languages.schemas.js'
import { TranslationError, type Translator } from './translate.port.js'

/** Consistent confident detections after which a contact's language is inferred. */
export const INFER_AFTER = 3

export interface LanguagesDeps {
  db: Db
  detector: LanguageDetector
  /** The translation provider; absent: translation is off. */
  translator?: Translator
  logger: Logger
}

/**
 * Languages: the language of each inbound text, a contact's language inferred from them
 * (never over an explicit one), and translations of messages for agents, cached.
 */
export class LanguagesService {
  constructor(private readonly deps: LanguagesDeps) {}

  /** Whether a translation provider is configured. */
  get translationEnabled(): boolean {
    return this.deps.translator !== undefined
  }

  /** The language of an inbound text when the detector is confident; null otherwise. */
  detect(text: string | null | undefined): Promise<string | null> {
    return this.deps.detector.detect(text)
  }

  /**
   * Records the language detected in an inbound message (in the ingest's transaction) and
   * infers the contact's language after INFER_AFTER consistent detections.
   */
  async noteInbound(
    trx: Executor,
    inbound: { messageId: string; contactId: string; language: string },
  ): Promise<void> {
    await repo.setMessageLanguage(trx, inbound.messageId, inbound.language)
    await repo.inferContactLanguage(trx, inbound.contactId, inbound.language, INFER_AFTER)
  }

  /** Sets a contact's language explicitly; null clears it. CONTACT_NOT_FOUND when there is none. */
  async setContactLanguage(contactId: string, language: string | null): Promise<void> {
    if (!(await repo.setContactLanguage(this.deps.db, contactId, language))) {
      throw new AppError('CONTACT_NOT_FOUND', `No contact has the id ${contactId}`)
    }
  }

  /** A contact's language and where it came from. */
  async contactLanguage(
    contactId: string,
  ): Promise<{ language: string | null; source: repo.LanguageSource | null }> {
    const found = await repo.findContactLanguage(this.deps.db, contactId)
    if (!found) throw new AppError('CONTACT_NOT_FOUND', `No contact has the id ${contactId}`)
    return found
  }

  /** A translation of a message's text into `to`, from the cache or the provider. */
  async translateMessage(messageId: string, to: string): Promise<Translation> {
    const translator = this.deps.translator
    if (!translator) {
      throw new AppError(
        'TRANSLATION_OFF',
        'No translation provider is configured: set LINDA_TRANSLATE_URL to a LibreTranslate-compatible API',
      )
    }
    const message = await repo.findMessageText(this.deps.db, messageId)
    if (!message) throw new AppError('MESSAGE_NOT_FOUND', `No message has the id ${messageId}`)
    if (!message.text?.trim()) {
      throw new AppError('MESSAGE_HAS_NO_TEXT', `Message ${messageId} has no text to translate`)
    }
    const target = baseLanguage(to)
    const from = message.language
    const base = { messageId, original: message.text, to: target }
    if (from === target) return { ...base, from, text: message.text, cached: false }

    const key = { textHash: sha256(message.text), source: from ?? 'auto', target }
    const hit = await repo.findTranslation(this.deps.db, key)
    if (hit)
      return { ...base, from: from ?? hit.detectedSource, text: hit.translated, cached: true }

    let result: { text: string; detectedFrom?: string }
    try {
      result = await translator.translate(message.text, { ...(from ? { from } : {}), to: target })
    } catch (err) {
      if (!(err instanceof TranslationError)) throw err
      this.deps.logger.warn({ messageId, provider: translator.name, err }, 'translation failed')
      throw new AppError('TRANSLATION_FAILED', err.message)
    }
    const detectedSource = from ? null : (result.detectedFrom ?? null)
    await repo.saveTranslation(this.deps.db, { ...key, translated: result.text, detectedSource })
    return { ...base, from: from ?? detectedSource, text: result.text, cached: false }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}
