import { chmodSync, existsSync } from 'node:fs'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import type pg from 'pg'

type PgModule = typeof pg
import { startCheckpointer } from './checkpointer.js'
import type { Database, Db, Dialect } from './schema.js'

export interface DbHandle {
  readonly db: Db
  readonly dialect: Dialect
  /** Checks that the database answers (for /readyz and `linda doctor`). */
  ping(): Promise<void>
  close(): Promise<void>
  /** The raw SQLite connection, for online backups. Only in the sqlite dialect. */
  readonly sqlite?: SqliteDatabase.Database
}

export interface OpenDbOptions {
  /** postgres:// URL; when absent the SQLite file at `sqlitePath` is used. */
  databaseUrl?: string
  sqlitePath: string
  /** Most connections the PostgreSQL pool may hold. */
  poolSize?: number
}

const TIMESTAMPTZ_OID = 1184
const TIMESTAMP_OID = 1114
const INT8_OID = 20

/** pg type parsers that hand back the same shapes as SQLite: ISO strings and numbers. */
function pgTypes(pg: PgModule): pg.CustomTypesConfig {
  const parseTimestamp = pg.types.getTypeParser(TIMESTAMPTZ_OID)
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === TIMESTAMPTZ_OID || oid === TIMESTAMP_OID) {
        return (value: string) => (parseTimestamp(value) as Date).toISOString()
      }
      if (oid === INT8_OID) return (value: string) => Number(value)
      return pg.types.getTypeParser(oid, format)
    }) as pg.CustomTypesConfig['getTypeParser'],
  }
}

/**
 * Kysely prepares every query anew; Linda runs the same few hundred SQL texts over and
 * over, so their prepared statements are kept (a bounded cache, oldest dropped first).
 */
function withStatementCache(sqlite: SqliteDatabase.Database, size = 500): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>()
  const prepare = (sql: string) => {
    let statement = cache.get(sql)
    if (statement) {
      cache.delete(sql)
    } else {
      statement = sqlite.prepare(sql)
      if (cache.size >= size) cache.delete(cache.keys().next().value!)
    }
    cache.set(sql, statement)
    return statement
  }
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare
      const value: unknown = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Opens the database: PostgreSQL when a URL is given, else the SQLite file. */
export async function openDb(options: OpenDbOptions): Promise<DbHandle> {
  if (options.databaseUrl) {
    // pg is loaded only by those who use it: embedded Linda stays lighter.
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      types: pgTypes(pg),
    })
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    return {
      db,
      dialect: 'postgres',
      async ping() {
        await pool.query('select 1')
      },
      async close() {
        await db.destroy()
      },
    }
  }

  const created = !existsSync(options.sqlitePath)
  const sqlite = new SqliteDatabase(options.sqlitePath)
  // Messages and contacts are nobody else's business (the WAL inherits the mode).
  if (created) chmodSync(options.sqlitePath, 0o600)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  // WAL with synchronous=NORMAL is durable against process crashes; a power cut may lose
  // the last commits but never corrupts the database.
  sqlite.pragma('synchronous = NORMAL')
  // A worker thread checkpoints the WAL; the writer checkpoints only if the WAL grows large.
  sqlite.pragma('wal_autocheckpoint = 20000')
  sqlite.pragma('temp_store = MEMORY')
  // Up to 64 MiB of pages cached (SQLite's default is 2 MiB): filters over a million
  // contacts read the same index pages over and over. Pages are cached as they are read,
  // so an idle Linda pays nothing for it.
  sqlite.pragma('cache_size = -65536')
  const checkpointer = startCheckpointer(options.sqlitePath)
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  })
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    async ping() {
      sqlite.prepare('select 1').get()
    },
    async close() {
      await db.destroy()
      await checkpointer.stop()
    },
  }
}
