import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/**
 * The WhatsApp Web (Baileys) transport's state, per account:
 * - `baileys_auth`: the linked device's auth state (its creds and Signal keys), one row per
 *   key, each value sealed with the instance key;
 * - `baileys_messages`: what the account sent lately, sealed, for WhatsApp's retry requests
 *   (pruned by age);
 * - `baileys_lids`: which phone number each LID (`…@lid`) WhatsApp addressed a contact by
 *   stands for.
 * Purging an account deletes them with it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const time = pg ? 'timestamptz' : 'text'
  const clustered = <T extends { modifyEnd(node: ReturnType<typeof sql>): T }>(table: T): T =>
    pg ? table : table.modifyEnd(sql`without rowid`)

  await clustered(
    db.schema
      .createTable('baileys_auth')
      .addColumn('account_id', 'text', (c) =>
        c.notNull().references('accounts.id').onDelete('cascade'),
      )
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
      .addPrimaryKeyConstraint('baileys_auth_pk', ['account_id', 'key']),
  ).execute()

  await clustered(
    db.schema
      .createTable('baileys_messages')
      .addColumn('account_id', 'text', (c) =>
        c.notNull().references('accounts.id').onDelete('cascade'),
      )
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('created_at', sql.raw(time), (c) => c.notNull())
      .addPrimaryKeyConstraint('baileys_messages_pk', ['account_id', 'message_id']),
  ).execute()
  await db.schema
    .createIndex('baileys_messages_account_created')
    .on('baileys_messages')
    .columns(['account_id', 'created_at'])
    .execute()

  await clustered(
    db.schema
      .createTable('baileys_lids')
      .addColumn('account_id', 'text', (c) =>
        c.notNull().references('accounts.id').onDelete('cascade'),
      )
      .addColumn('lid', 'text', (c) => c.notNull())
      .addColumn('phone', 'text', (c) => c.notNull())
      .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
      .addPrimaryKeyConstraint('baileys_lids_pk', ['account_id', 'lid']),
  ).execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('baileys_lids').execute()
  await db.schema.dropTable('baileys_messages').execute()
  await db.schema.dropTable('baileys_auth').execute()
}
