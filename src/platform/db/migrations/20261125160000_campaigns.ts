import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/**
 * Campaigns (and their recipients, materialised when a campaign starts) and schedules (and
 * the history of their runs).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const time = pg ? 'timestamptz' : 'text'
  const json = pg ? 'jsonb' : 'text'
  const clustered = <T extends { modifyEnd(node: ReturnType<typeof sql>): T }>(table: T): T =>
    pg ? table : table.modifyEnd(sql`without rowid`)

  await db.schema
    .createTable('campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    // What the campaign sends, to whom, from where and how fast: as created.
    .addColumn('spec', sql.raw(json), (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull().defaultTo('campaign'))
    .addColumn('schedule_id', 'text')
    .addColumn('start_at', sql.raw(time))
    // Recipients stored when it started, skipped ones included.
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    // Left out of the recipients, by reason (duplicates).
    .addColumn('excluded', sql.raw(json), (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .addColumn('started_at', sql.raw(time))
    .addColumn('finished_at', sql.raw(time))
    .$call(clustered)
    .execute()
  await db.schema.createIndex('campaigns_status').on('campaigns').columns(['status']).execute()
  await db.schema
    .createIndex('campaigns_schedule')
    .on('campaigns')
    .columns(['schedule_id', 'id'])
    .execute()

  await db.schema
    .createTable('campaign_recipients')
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    // The recipient's id within its campaign: its place in the audience, from 1.
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('contact_id', 'text')
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('language', 'text')
    .addColumn('timezone', 'text')
    .addColumn('vars', sql.raw(json))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('message_id', 'text')
    // Not sent before this time (quiet hours push it back).
    .addColumn('not_before', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .addColumn('queued_at', sql.raw(time))
    .addColumn('sent_at', sql.raw(time))
    .addColumn('delivered_at', sql.raw(time))
    .addColumn('read_at', sql.raw(time))
    .addColumn('replied_at', sql.raw(time))
    .addPrimaryKeyConstraint('campaign_recipients_pk', ['campaign_id', 'seq'])
    .$call(clustered)
    .execute()
  // The dispatcher's next recipients, in order, read off the index.
  await db.schema
    .createIndex('campaign_recipients_next')
    .on('campaign_recipients')
    .columns(['campaign_id', 'state', 'not_before', 'seq'])
    .execute()
  // Receipts find their recipient by message.
  await db.schema
    .createIndex('campaign_recipients_message')
    .on('campaign_recipients')
    .columns(['message_id'])
    .where(sql<boolean>`message_id is not null`)
    .execute()
  // Replies find the recipients a contact was sent to.
  await db.schema
    .createIndex('campaign_recipients_contact')
    .on('campaign_recipients')
    .columns(['contact_id', 'state'])
    .execute()

  await db.schema
    .createTable('schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('target', sql.raw(json), (c) => c.notNull())
    .addColumn('message', sql.raw(json), (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('cron', 'text')
    // A one-off's time, as given (local to `timezone`).
    .addColumn('at', 'text')
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('missed_policy', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('next_run_at', sql.raw(time))
    .addColumn('last_run_at', sql.raw(time))
    .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text')
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .$call(clustered)
    .execute()
  // The scheduler's tick: active schedules that are due, soonest first, off the index.
  await db.schema
    .createIndex('schedules_due')
    .on('schedules')
    .columns(['status', 'next_run_at'])
    .execute()

  await db.schema
    .createTable('schedule_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('schedule_id', 'text', (c) => c.notNull())
    .addColumn('scheduled_for', sql.raw(time), (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('detail', sql.raw(json))
    .addColumn('message_id', 'text')
    .addColumn('campaign_id', 'text')
    .addColumn('error', sql.raw(json))
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('finished_at', sql.raw(time))
    .addUniqueConstraint('schedule_runs_once', ['schedule_id', 'scheduled_for'])
    .$call(clustered)
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['schedule_runs', 'schedules', 'campaign_recipients', 'campaigns']) {
    await db.schema.dropTable(table).execute()
  }
}
