import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/**
 * Message templates (one row each; variables and language variants as JSON), the language
 * detected on each inbound message, where a contact's language came from, and the cache of
 * machine translations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const time = pg ? 'timestamptz' : 'text'
  const json = pg ? 'jsonb' : 'text'

  await db.schema
    .createTable('templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('variables', sql.raw(json), (c) => c.notNull())
    .addColumn('variants', sql.raw(json), (c) => c.notNull())
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .execute()

  // The language of an inbound text, when the detector was confident; null otherwise.
  await db.schema.alterTable('messages').addColumn('language', 'text').execute()
  // A contact's language inference reads its last few detections: only messages with a
  // detected language are in this index, so it costs the other messages nothing.
  await db.schema
    .createIndex('messages_contact_language')
    .on('messages')
    .columns(['contact_id', 'id'])
    .where(sql<boolean>`language is not null`)
    .execute()

  // 'explicit' (set by a person, an import or `!lang`) or 'detected'; null with a language
  // means it was set before sources were recorded, and counts as explicit.
  await db.schema.alterTable('contacts').addColumn('language_source', 'text').execute()

  await db.schema
    .createTable('translations')
    .addColumn('text_hash', 'text', (c) => c.notNull())
    // The source language asked for, or 'auto' when the provider detected it.
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('translated', 'text', (c) => c.notNull())
    .addColumn('detected_source', 'text')
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addPrimaryKeyConstraint('translations_pk', ['text_hash', 'source', 'target'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('translations').execute()
  await db.schema.alterTable('contacts').dropColumn('language_source').execute()
  await db.schema.dropIndex('messages_contact_language').execute()
  await db.schema.alterTable('messages').dropColumn('language').execute()
  await db.schema.dropTable('templates').execute()
}
