import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/**
 * The bot engine's state:
 * - rules gain conditions (JSON) and a per-contact cooldown;
 * - contacts record where an opt-out came from (`keyword`, `api`, …);
 * - conversations carry the id of the person they are assigned to;
 * - `bot_settings`: the bot's settings for the instance (`scope` = `instance`) and per
 *   account (`scope` = the account id), each a JSON object of the keys set there;
 * - `bot_rule_fires`: when a rule last fired for a contact (its cooldown);
 * - `bot_reply_windows`: automatic replies per conversation in the current minute (the
 *   loop guard).
 * None references accounts or conversations: purging an account leaves at most a few rows
 * that nothing reads again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const time = pg ? 'timestamptz' : 'text'
  const json = pg ? 'jsonb' : 'text'
  const clustered = <T extends { modifyEnd(node: ReturnType<typeof sql>): T }>(table: T): T =>
    pg ? table : table.modifyEnd(sql`without rowid`)

  await db.schema
    .alterTable('rules')
    .addColumn('conditions', sql.raw(json), (c) => c.notNull().defaultTo('{}'))
    .execute()
  await db.schema
    .alterTable('rules')
    .addColumn('cooldown_seconds', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.alterTable('contacts').addColumn('opted_out_source', 'text').execute()
  await db.schema.alterTable('conversations').addColumn('assignee_id', 'text').execute()

  await clustered(
    db.schema
      .createTable('bot_settings')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('settings', sql.raw(json), (c) => c.notNull().defaultTo('{}'))
      .addColumn('updated_at', sql.raw(time), (c) => c.notNull()),
  ).execute()

  await clustered(
    db.schema
      .createTable('bot_rule_fires')
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('contact_id', 'text', (c) => c.notNull())
      .addColumn('fired_at', sql.raw(time), (c) => c.notNull())
      .addPrimaryKeyConstraint('bot_rule_fires_pk', ['rule_id', 'contact_id']),
  ).execute()

  await clustered(
    db.schema
      .createTable('bot_reply_windows')
      .addColumn('conversation_id', 'text', (c) => c.primaryKey())
      .addColumn('window_start', sql.raw(time), (c) => c.notNull())
      .addColumn('replies', 'integer', (c) => c.notNull().defaultTo(0)),
  ).execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('bot_reply_windows').execute()
  await db.schema.dropTable('bot_rule_fires').execute()
  await db.schema.dropTable('bot_settings').execute()
  await db.schema.alterTable('conversations').dropColumn('assignee_id').execute()
  await db.schema.alterTable('contacts').dropColumn('opted_out_source').execute()
  await db.schema.alterTable('rules').dropColumn('cooldown_seconds').execute()
  await db.schema.alterTable('rules').dropColumn('conditions').execute()
}
