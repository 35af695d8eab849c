import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/**
 * Conversation flows: the flows edited through the API (`flows`, the current version's
 * definition), every version of each (`flow_versions`: a contact mid-flow runs the version
 * it started), and each conversation's place in a flow (`flow_sessions`, one row per
 * conversation: the last flow it ran, active or ended).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const time = pg ? 'timestamptz' : 'text'
  const json = pg ? 'jsonb' : 'text'
  const clustered = <T extends { modifyEnd(node: ReturnType<typeof sql>): T }>(table: T): T =>
    pg ? table : table.modifyEnd(sql`without rowid`)

  await db.schema
    .createTable('flows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // A purged account takes its own flows with it.
    .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', sql.raw(json), (c) => c.notNull())
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .$call(clustered)
    .execute()

  await db.schema
    .createTable('flow_versions')
    .addColumn('flow_id', 'text', (c) => c.notNull().references('flows.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', sql.raw(json), (c) => c.notNull())
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addPrimaryKeyConstraint('flow_versions_pk', ['flow_id', 'version'])
    .$call(clustered)
    .execute()

  await db.schema
    .createTable('flow_sessions')
    // The conversation's row goes with it (an account purge deletes conversations).
    .addColumn('conversation_id', 'text', (c) =>
      c.primaryKey().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    // No foreign key: flows defined in TypeScript have no row.
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('flow_version', 'integer', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('vars', sql.raw(json), (c) => c.notNull())
    .addColumn('retries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('end_reason', 'text')
    // Raised by every save: a stale idle job or a concurrent handler sees it moved on.
    .addColumn('turn', 'integer', (c) => c.notNull())
    .addColumn('reminded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_message_id', 'text')
    // What the last save sends (after it commits): resent, idempotently, by a retried job.
    .addColumn('outbox', sql.raw(json), (c) => c.notNull().defaultTo('[]'))
    .addColumn('started_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .addColumn('expires_at', sql.raw(time))
    .$call(clustered)
    .execute()
  await db.schema
    .createIndex('flow_sessions_flow')
    .on('flow_sessions')
    .columns(['flow_id', 'status'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('flow_sessions').execute()
  await db.schema.dropTable('flow_versions').execute()
  await db.schema.dropTable('flows').execute()
}
