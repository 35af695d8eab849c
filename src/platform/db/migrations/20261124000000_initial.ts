import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const time = pg ? 'timestamptz' : 'text'
  const json = pg ? 'jsonb' : 'text'
  // On SQLite, tables keyed by a text id are stored in id order (their ids are UUIDv7s,
  // so new rows append): one B-tree fewer to write on every insert.
  const clustered = <T extends { modifyEnd(node: ReturnType<typeof sql>): T }>(table: T): T =>
    pg ? table : table.modifyEnd(sql`without rowid`)

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('transport', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('created'))
    .addColumn('state_reason', 'text')
    .addColumn('settings', sql.raw(json), (c) => c.notNull().defaultTo('{}'))
    .addColumn('credentials', 'text')
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .addColumn('deleted_at', sql.raw(time))
    .execute()

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('phone', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('language', 'text')
    .addColumn('tags', sql.raw(json), (c) => c.notNull().defaultTo('[]'))
    .addColumn('attributes', sql.raw(json), (c) => c.notNull().defaultTo('{}'))
    .addColumn('opted_out', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('opted_out_at', sql.raw(time))
    .addColumn('last_inbound_at', sql.raw(time))
    .addColumn('last_outbound_at', sql.raw(time))
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .$call(clustered)
    .execute()

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('bot_paused', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_message_at', sql.raw(time), (c) => c.notNull())
    .addColumn('last_inbound_at', sql.raw(time))
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .addUniqueConstraint('conversations_account_contact', ['account_id', 'contact_id'])
    .$call(clustered)
    .execute()
  await db.schema
    .createIndex('conversations_contact')
    .on('conversations')
    .column('contact_id')
    .execute()

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    // The address the message went to or came from, as it was then.
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('payload', sql.raw(json))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', sql.raw(json))
    .addColumn('external_id', 'text')
    .addColumn('idempotency_key', 'text')
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .addColumn('sent_at', sql.raw(time))
    .addColumn('delivered_at', sql.raw(time))
    .addColumn('read_at', sql.raw(time))
    .$call(clustered)
    .execute()
  await db.schema
    .createIndex('messages_account_external')
    .on('messages')
    .columns(['account_id', 'external_id'])
    .unique()
    // Partial: a queued message has no external id yet, and costs this index nothing.
    .where(sql<boolean>`external_id is not null`)
    .execute()
  await db.schema
    .createIndex('messages_account_idempotency')
    .on('messages')
    .columns(['account_id', 'idempotency_key'])
    .unique()
    .where(sql<boolean>`idempotency_key is not null`)
    .execute()
  await db.schema
    .createIndex('messages_conversation')
    .on('messages')
    .columns(['conversation_id', 'id'])
    .execute()
  await db.schema
    .createIndex('messages_account')
    .on('messages')
    .columns(['account_id', 'id'])
    .execute()
  await db.schema.createIndex('messages_phone').on('messages').columns(['phone', 'id']).execute()

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('payload', sql.raw(json), (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_at', sql.raw(time), (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('dedupe_key', 'text')
    .addColumn('last_error', 'text')
    .addColumn('locked_until', sql.raw(time))
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .addColumn('finished_at', sql.raw(time))
    .$call(clustered)
    .execute()
  // The claim query: the next due jobs of one queue, in the order they run, read straight
  // off the index (no sort, whatever the backlog).
  await db.schema
    .createIndex('jobs_claim')
    .on('jobs')
    .columns(['queue', 'state', 'priority desc', 'run_at', 'id'])
    .execute()
  // A dedupe key is unique among the jobs still to do (jobs without one skip the index).
  await db.schema
    .createIndex('jobs_dedupe')
    .on('jobs')
    .columns(['queue', 'dedupe_key'])
    .unique()
    .where(sql<boolean>`state in ('pending', 'active') and dedupe_key is not null`)
    .execute()

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('last_used_at', sql.raw(time))
    .addColumn('revoked_at', sql.raw(time))
    .execute()

  await db.schema
    .createTable('rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.references('accounts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('match', sql.raw(json), (c) => c.notNull())
    .addColumn('actions', sql.raw(json), (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('instance_settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', sql.raw(json), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'instance_settings',
    'rules',
    'api_keys',
    'jobs',
    'messages',
    'conversations',
    'contacts',
    'accounts',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
