// Database/data-dir helpers for integration (and e2e) tests.
//
//   import { freshDataDir, freshPostgresUrl, testDialects } from '../helpers/databases.js'
//
//   describe.each(testDialects())('accounts on %s', (dialect) => {
//     it('...', async () => {
//       const url = dialect === 'postgres' ? await freshPostgresUrl() : undefined
//       const dataDir = await freshDataDir()
//       ...
//     })
//   })
//
// PostgreSQL comes from test/setup/postgres.ts (a throwaway server, LINDA_TEST_DATABASE_URL, or
// nothing with LINDA_TEST_SKIP_PG=1). Data dirs live in the per-run dir of test/setup/tmpdir.ts.
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'

export type TestDialect = 'sqlite' | 'postgres'

/** Superuser URL of the test PostgreSQL server, or null when PostgreSQL is not available. */
export function pgAdminUrl(): string | null {
  // undefined when the running project has no postgres global setup
  return (inject('pgAdminUrl') as string | null | undefined) ?? null
}

let skipNoticeShown = false

/** ['sqlite', 'postgres'], or ['sqlite'] (with a visible notice) when PostgreSQL is skipped. */
export function testDialects(): TestDialect[] {
  if (pgAdminUrl() === null) {
    if (!skipNoticeShown) {
      skipNoticeShown = true
      console.warn(
        '[linda tests] PostgreSQL is not available (LINDA_TEST_SKIP_PG=1, or no postgres ' +
          'global setup for this project): running the sqlite dialect only',
      )
    }
    return ['sqlite']
  }
  return ['sqlite', 'postgres']
}

/**
 * Creates a brand-new, empty database on the test server and returns its URL
 * (postgres://postgres@127.0.0.1:<port>/linda_t_<run>_<random>). Databases are dropped at the
 * end of the run (the throwaway server is deleted; on LINDA_TEST_DATABASE_URL they are dropped).
 */
export async function freshPostgresUrl(): Promise<string> {
  const admin = pgAdminUrl()
  if (admin === null) {
    throw new Error(
      'freshPostgresUrl(): no PostgreSQL server (LINDA_TEST_SKIP_PG=1, or the test project has ' +
        'no test/setup/postgres.ts global setup). Guard with testDialects().',
    )
  }
  const prefix = (inject('pgDatabasePrefix') as string | undefined) ?? 'linda_t_'
  const name = `${prefix}${randomBytes(6).toString('hex')}`
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  try {
    await client.query(`create database "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(admin)
  url.pathname = `/${name}`
  return url.toString()
}

const createdDirs = new Set<string>()
let exitHookInstalled = false

/**
 * A new empty directory (mkdtemp) for one test's data. It lives in the per-run temp dir, which is
 * removed when the run ends; cleanupTestDirs() (e.g. in afterAll) removes it earlier.
 */
export async function freshDataDir(): Promise<string> {
  const root = (inject('testTmpRoot') as string | undefined) ?? tmpdir()
  const dir = await mkdtemp(join(root, 'linda-data-'))
  createdDirs.add(dir)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const d of createdDirs) rmSync(d, { recursive: true, force: true })
    })
  }
  return dir
}

/** Removes every directory freshDataDir() created in this worker so far. */
export async function cleanupTestDirs(): Promise<void> {
  const dirs = [...createdDirs]
  createdDirs.clear()
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
}
