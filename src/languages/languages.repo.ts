import { nowIso, type Executor } from '../platform/db/index.js'

/** Where a contact's language came from. */
export const languageSources = ['explicit', 'detected'] as const
export type LanguageSource = (typeof languageSources)[number]

export async function setMessageLanguage(
  db: Executor,
  messageId: string,
  language: string,
): Promise<void> {
  await db.updateTable('messages').set({ language }).where('id', '=', messageId).execute()
}

/**
 * Sets the contact's language to `language` as detected, when its last `streak` detections
 * all say so and its language is not explicit (set by a person, an import or `!lang`; a
 * language set before sources were recorded counts as explicit). One statement: the
 * detections are read off the partial index of messages with a language.
 */
export async function inferContactLanguage(
  db: Executor,
  contactId: string,
  language: string,
  streak: number,
): Promise<boolean> {
  const result = await db
    .updateTable('contacts')
    .set({ language, language_source: 'detected', updated_at: nowIso() })
    .where('id', '=', contactId)
    .where((eb) =>
      eb.or([
        eb('language_source', '=', 'detected'),
        eb.and([eb('language_source', 'is', null), eb('language', 'is', null)]),
      ]),
    )
    .where((eb) => eb.or([eb('language', 'is', null), eb('language', '!=', language)]))
    .where(
      (eb) =>
        eb
          .selectFrom(
            eb
              .selectFrom('messages')
              .select('messages.language')
              .where('messages.contact_id', '=', contactId)
              .where('messages.language', 'is not', null)
              .orderBy('messages.id', 'desc')
              .limit(streak)
              .as('recent'),
          )
          .select((sub) => sub.fn.countAll<number>().as('n'))
          .where('recent.language', '=', language),
      '=',
      streak,
    )
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/**
 * Sets a contact's language explicitly (an agent, an import, `!lang`): detection never
 * changes it after. `null` clears it, and detection may infer one again.
 */
export async function setContactLanguage(
  db: Executor,
  contactId: string,
  language: string | null,
): Promise<boolean> {
  const result = await db
    .updateTable('contacts')
    .set({ language, language_source: language === null ? null : 'explicit', updated_at: nowIso() })
    .where('id', '=', contactId)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function findContactLanguage(
  db: Executor,
  contactId: string,
): Promise<{ language: string | null; source: LanguageSource | null } | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select(['language', 'language_source'])
    .where('id', '=', contactId)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    language: row.language,
    source:
      row.language === null ? null : ((row.language_source as LanguageSource | null) ?? 'explicit'),
  }
}

/** What a translation needs of a message. */
export async function findMessageText(
  db: Executor,
  id: string,
): Promise<{ id: string; text: string | null; language: string | null } | undefined> {
  return db
    .selectFrom('messages')
    .select(['id', 'text', 'language'])
    .where('id', '=', id)
    .executeTakeFirst()
}

export async function findTranslation(
  db: Executor,
  key: { textHash: string; source: string; target: string },
): Promise<{ translated: string; detectedSource: string | null } | undefined> {
  const row = await db
    .selectFrom('translations')
    .select(['translated', 'detected_source'])
    .where('text_hash', '=', key.textHash)
    .where('source', '=', key.source)
    .where('target', '=', key.target)
    .executeTakeFirst()
  return row && { translated: row.translated, detectedSource: row.detected_source }
}

/** Keeps a translation; a concurrent one of the same text wins and this one is dropped. */
export async function saveTranslation(
  db: Executor,
  row: {
    textHash: string
    source: string
    target: string
    translated: string
    detectedSource: string | null
  },
): Promise<void> {
  await db
    .insertInto('translations')
    .values({
      text_hash: row.textHash,
      source: row.source,
      target: row.target,
      translated: row.translated,
      detected_source: row.detectedSource,
      created_at: nowIso(),
    })
    .onConflict((oc) => oc.columns(['text_hash', 'source', 'target']).doNothing())
    .execute()
}
