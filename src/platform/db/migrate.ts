import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely'
import * as initial from './migrations/20261124000000_initial.js'
import * as accountLifecycle from './migrations/20261125000000_account_lifecycle.js'
import * as baileys from './migrations/20261125010000_baileys.js'
import * as media from './migrations/20261125020000_media.js'
import * as jobGroups from './migrations/20261125050000_job_groups.js'
import * as bot from './migrations/20261125100000_bot.js'
import * as flows from './migrations/20261125110000_flows.js'
import * as templates from './migrations/20261125140000_templates.js'
import * as users from './migrations/20261125150000_users.js'
import * as contacts from './migrations/20261125130000_contacts.js'
import * as sender from './migrations/20261125120000_sender.js'
import * as campaigns from './migrations/20261125160000_campaigns.js'

/** Every migration, by name; names are timestamps so they sort in the order they apply. */
const migrations: Record<string, Migration> = {
  '20261124000000_initial': initial,
  '20261125000000_account_lifecycle': accountLifecycle,
  '20261125010000_baileys': baileys,
  '20261125020000_media': media,
  '20261125050000_job_groups': jobGroups,
  '20261125100000_bot': bot,
  '20261125110000_flows': flows,
  '20261125140000_templates': templates,
  '20261125150000_users': users,
  '20261125130000_contacts': contacts,
  '20261125120000_sender': sender,
  '20261125160000_campaigns': campaigns,
}

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: 'linda_migrations',
    migrationLockTableName: 'linda_migrations_lock',
    // Migrations are independent of each other (each adds its own tables and columns), and
    // work lands on main from parallel branches: one that sorts before an applied one still
    // runs, instead of refusing the database.
    allowUnorderedMigrations: true,
  })
}

/** Brings the schema to the latest version; throws with the failing migration's name. */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<MigrationResultSet> {
  const result = await migrator(db as unknown as Kysely<unknown>).migrateToLatest()
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')
    const cause = result.error instanceof Error ? result.error : new Error(String(result.error))
    throw new Error(`Migration ${failed?.migrationName ?? '?'} failed: ${cause.message}`, { cause })
  }
  return result
}

/** Names of migrations not yet applied. */
export async function pendingMigrations<T>(db: Kysely<T>): Promise<string[]> {
  const all = await migrator(db as unknown as Kysely<unknown>).getMigrations()
  return all.filter((m) => !m.executedAt).map((m) => m.name)
}
