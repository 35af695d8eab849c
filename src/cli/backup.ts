import { copyFileSync, existsSync, renameSync, statSync } from 'node:fs'
import SqliteDatabase from 'better-sqlite3'
import { SingleBar } from 'cli-progress'
import type { Config } from '../config.js'
import { runningInstance } from '../platform/instance-lock.js'

/**
 * Copies the SQLite database to `file` with SQLite's online backup: consistent, and safe
 * while Linda runs and writes.
 */
export async function backup(config: Config, file: string, out: NodeJS.WriteStream): Promise<void> {
  if (config.dialect !== 'sqlite') {
    throw new Error('backup works on the embedded SQLite database; for PostgreSQL use pg_dump')
  }
  if (!existsSync(config.sqlitePath))
    throw new Error(`There is no database at ${config.sqlitePath}`)
  if (existsSync(file)) throw new Error(`${file} already exists; choose a new file name`)
  const db = new SqliteDatabase(config.sqlitePath, { readonly: true, fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  const bar = new SingleBar({
    format: 'Backing up [{bar}] {percentage}% {value}/{total} pages',
    stream: out,
  })
  try {
    let started = false
    await db.backup(file, {
      progress({ totalPages, remainingPages }) {
        if (!started) bar.start(totalPages, 0)
        started = true
        bar.update(totalPages - remainingPages)
        return 200
      },
    })
    if (started) bar.stop()
  } finally {
    db.close()
  }
  out.write(`Backed up ${config.sqlitePath} to ${file} (${statSync(file).size} bytes)\n`)
}

/**
 * Replaces the SQLite database with a backup. Refuses while a Linda runs on the data dir;
 * the replaced database is kept beside it.
 */
export function restore(config: Config, file: string, out: NodeJS.WriteStream): void {
  if (config.dialect !== 'sqlite') {
    throw new Error('restore works on the embedded SQLite database; for PostgreSQL use pg_restore')
  }
  const pid = runningInstance(config.dataDir)
  if (pid !== undefined) {
    throw new Error(`Linda (pid ${pid}) is running on ${config.dataDir}; stop it before restoring`)
  }
  if (!existsSync(file)) throw new Error(`There is no file ${file}`)
  let source: SqliteDatabase.Database
  try {
    source = new SqliteDatabase(file, { readonly: true, fileMustExist: true })
  } catch (err) {
    throw new Error(`${file} is not a SQLite database: ${(err as Error).message}`, { cause: err })
  }
  try {
    const check = source.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new Error(`${file} is damaged: ${String(check)}`)
    const table = source
      .prepare("select name from sqlite_master where type='table' and name='linda_migrations'")
      .get()
    if (!table) throw new Error(`${file} is a SQLite database but not a Linda backup`)
  } catch (err) {
    throw new Error(`${file} cannot be restored: ${(err as Error).message}`, { cause: err })
  } finally {
    source.close()
  }
  if (existsSync(config.sqlitePath)) {
    const kept = `${config.sqlitePath}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`
    // The WAL travels with its database: it may hold the newest commits.
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(config.sqlitePath + suffix))
        renameSync(config.sqlitePath + suffix, kept + suffix)
    }
    out.write(`The database it replaces is kept as ${kept}\n`)
  }
  copyFileSync(file, config.sqlitePath)
  out.write(`Restored ${file} into ${config.sqlitePath}\n`)
}
