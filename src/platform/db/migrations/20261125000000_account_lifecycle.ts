import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/**
 * Transport credentials: their public part (`transport_config`, JSON) and the account's id
 * on its provider (`external_id`: a Cloud API phone number id, a WhatsApp Web phone
 * number), unique per transport among the accounts not deleted. The secret part goes in
 * the existing `credentials` column, sealed with the instance key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const json = pg ? 'jsonb' : 'text'
  await db.schema.alterTable('accounts').addColumn('transport_config', sql.raw(json)).execute()
  await db.schema.alterTable('accounts').addColumn('external_id', 'text').execute()
  await db.schema
    .createIndex('accounts_transport_external_id')
    .on('accounts')
    .columns(['transport', 'external_id'])
    .unique()
    .where(sql<boolean>`external_id is not null and deleted_at is null`)
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('accounts_transport_external_id').execute()
  await db.schema.alterTable('accounts').dropColumn('external_id').execute()
  await db.schema.alterTable('accounts').dropColumn('transport_config').execute()
}
