import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/** The built-in service user that owns API keys made by no person (see docs/security.md). */
const SERVICE_USER_ID = '00000000-0000-7000-8000-000000000000'

/**
 * People and access: users (people who sign in, and the one service user that owns the
 * keys of scripts), the accounts an agent may see, sessions, one-time setup/invite/reset
 * links, and the brute-force counters of sign-in. Secrets (session tokens, link tokens)
 * are stored as SHA-256 hashes; passwords as argon2id hashes.
 *
 * API keys made before users existed (the bootstrap key, `linda api-key create`) move to
 * the service user, with the scopes their role implied, so they keep working.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const time = pg ? 'timestamptz' : 'text'
  const json = pg ? 'jsonb' : 'text'

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // 'person' signs in with email and password; 'service' owns keys and never signs in.
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('person'))
    // Lower-cased; null for the service user.
    .addColumn('email', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('availability', 'text', (c) => c.notNull().defaultTo('offline'))
    // Null until the person has set a password through their invite link.
    .addColumn('password_hash', 'text')
    .addColumn('password_changed_at', sql.raw(time))
    .addColumn('disabled_at', sql.raw(time))
    .addColumn('last_sign_in_at', sql.raw(time))
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .execute()
  await db.schema.createIndex('users_email').on('users').column('email').unique().execute()

  await db.schema
    .createTable('user_accounts')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('user_accounts_pk', ['user_id', 'account_id'])
    .execute()

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('last_seen_at', sql.raw(time), (c) => c.notNull())
    .addColumn('expires_at', sql.raw(time), (c) => c.notNull())
    .addColumn('revoked_at', sql.raw(time))
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute()
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute()

  await db.schema
    .createTable('user_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    // 'setup' (a new user who chooses their email), 'invite' (a user an admin created),
    // 'reset' (a new password for an existing user).
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('role', 'text')
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('expires_at', sql.raw(time), (c) => c.notNull())
    .addColumn('used_at', sql.raw(time))
    .execute()

  await db.schema
    .createTable('login_throttle')
    // `email:<address>` or `ip:<address>`.
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', sql.raw(time), (c) => c.notNull())
    .addColumn('locked_until', sql.raw(time))
    .execute()

  await db.schema
    .alterTable('api_keys')
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .execute()
  await db.schema
    .alterTable('api_keys')
    .addColumn('scopes', sql.raw(json), (c) => c.notNull().defaultTo('["read","write","admin"]'))
    .execute()
  await db.schema.createIndex('api_keys_user').on('api_keys').column('user_id').execute()

  const now = new Date().toISOString()
  await sql`insert into users (id, kind, email, name, role, availability, created_at, updated_at)
            values (${SERVICE_USER_ID}, 'service', null, 'Scripts (service)', 'owner', 'offline', ${now}, ${now})`.execute(
    db,
  )
  await sql`update api_keys set user_id = ${SERVICE_USER_ID}`.execute(db)
  await sql`update api_keys set scopes = '["read"]' where role = 'viewer'`.execute(db)
  await sql`update api_keys set scopes = '["read","write"]' where role = 'agent'`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('api_keys_user').execute()
  await db.schema.alterTable('api_keys').dropColumn('scopes').execute()
  await db.schema.alterTable('api_keys').dropColumn('user_id').execute()
  for (const table of ['login_throttle', 'user_links', 'sessions', 'user_accounts', 'users']) {
    await db.schema.dropTable(table).execute()
  }
}
