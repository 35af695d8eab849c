import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/**
 * The media store's index: one row per account and content (sha256). The bytes live in
 * files under the data dir, named by their sha256, so equal content is stored once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const time = pg ? 'timestamptz' : 'text'
  await db.schema
    .createTable('media')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // A purged account takes its media rows with it (the files may serve other accounts).
    .addColumn('account_id', 'text', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('mime', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('filename', 'text')
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('media_account_sha256')
    .on('media')
    .columns(['account_id', 'sha256'])
    .unique()
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('media').execute()
}
