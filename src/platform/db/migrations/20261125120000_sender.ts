import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/**
 * The sender: who asked for each outbound message (`origin`) and what it answers
 * (`reply_to`), how many sends it took (`attempts`); the Idempotency-Keys of the API; each
 * account's sending state (a pause, its circuit breaker); and the new conversations each
 * account opened per day (the warm-up cap).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const time = pg ? 'timestamptz' : 'text'
  const clustered = <T extends { modifyEnd(node: ReturnType<typeof sql>): T }>(table: T): T =>
    pg ? table : table.modifyEnd(sql`without rowid`)

  // One column a statement: SQLite adds columns one by one.
  await db.schema.alterTable('messages').addColumn('origin', 'text').execute()
  await db.schema.alterTable('messages').addColumn('reply_to', 'text').execute()
  await db.schema
    .alterTable('messages')
    .addColumn('transactional', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema
    .alterTable('messages')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()

  await db.schema
    .createTable('idempotency_keys')
    // Whose key it is (the API key that sent it): two clients never share keys.
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    // sha256 of the request it answered: the same key with another request is a conflict.
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('expires_at', sql.raw(time), (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
    .$call(clustered)
    .execute()
  await db.schema
    .createIndex('idempotency_keys_expiry')
    .on('idempotency_keys')
    .column('expires_at')
    .execute()

  await db.schema
    .createTable('account_sending')
    .addColumn('account_id', 'text', (c) =>
      c.primaryKey().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('paused_until', sql.raw(time))
    .addColumn('pause_reason', 'text')
    .addColumn('breaker_state', 'text', (c) => c.notNull().defaultTo('closed'))
    .addColumn('breaker_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('breaker_opened_at', sql.raw(time))
    .addColumn('breaker_probe_at', sql.raw(time))
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .$call(clustered)
    .execute()

  await db.schema
    .createTable('account_daily_sends')
    .addColumn('account_id', 'text', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    // The account's calendar day (in its time zone), YYYY-MM-DD.
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('new_conversations', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('account_daily_sends_pk', ['account_id', 'day'])
    .$call(clustered)
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('account_daily_sends').execute()
  await db.schema.dropTable('account_sending').execute()
  await db.schema.dropTable('idempotency_keys').execute()
  await db.schema.alterTable('messages').dropColumn('attempts').execute()
  await db.schema.alterTable('messages').dropColumn('transactional').execute()
  await db.schema.alterTable('messages').dropColumn('reply_to').execute()
  await db.schema.alterTable('messages').dropColumn('origin').execute()
}
