import { sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/**
 * Ordered job groups: jobs that share a `group_key` run one at a time, in the order they
 * were enqueued (the messages of one conversation, say). The index finds a group's live
 * jobs in id order, and skips the jobs that belong to no group.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('group_key', 'text').execute()
  await db.schema
    .createIndex('jobs_group')
    .on('jobs')
    .columns(['queue', 'group_key', 'id'])
    .where(sql<boolean>`group_key is not null`)
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('jobs_group').execute()
  await db.schema.alterTable('jobs').dropColumn('group_key').execute()
}
