import { randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { reencryptCredentials, sealedWith } from '../accounts/index.js'
import { secretKeyFile, type Config } from '../config.js'
import { openDb, type Db } from '../platform/db/index.js'
import { lockDataDir, runningInstance } from '../platform/instance-lock.js'

export interface RotateKeyOptions {
  /** The new key as 64 hex characters; default a generated one. */
  newKey?: string
  out: { write(text: string): unknown }
}

export interface RotateKeyResult {
  /** Accounts whose credentials were re-encrypted. */
  reencrypted: number
  newKey: Buffer
  /** Where the new key was written; undefined when the key comes from LINDA_SECRET_KEY. */
  keyFile?: string
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/

/**
 * Re-encrypts every account's credentials from the current secret key to a new one, in one
 * transaction. A key kept in the data dir is replaced there; a key from LINDA_SECRET_KEY is
 * printed for the operator to set. Refuses while a Linda runs on a SQLite data dir.
 *
 * Ordered so that a crash at any point loses nothing: the new key is saved (to
 * `secret.key.new`, or printed) before the database changes, and `secret.key` is replaced
 * by a rename only after the transaction committed. A rotation cut short is finished by
 * running the command again, which checks which key the database is under.
 */
export async function rotateKey(
  config: Config,
  options: RotateKeyOptions,
): Promise<RotateKeyResult> {
  if (options.newKey !== undefined && !HEX_KEY.test(options.newKey)) {
    throw new Error('--new-key must be 64 hex characters (32 bytes), e.g. `openssl rand -hex 32`')
  }
  const newKey = options.newKey ? Buffer.from(options.newKey, 'hex') : randomBytes(32)
  const sqlite = config.dialect === 'sqlite'
  if (sqlite) {
    const pid = runningInstance(config.dataDir)
    if (pid !== undefined) {
      throw new Error(
        `Linda (pid ${pid}) is running on ${config.dataDir}; stop it before rotating the key`,
      )
    }
    if (!existsSync(config.sqlitePath)) {
      throw new Error(`There is no database at ${config.sqlitePath}; there is nothing to rotate`)
    }
  }
  // Held throughout, so that no Linda starts with a key that is about to change.
  const release = sqlite ? lockDataDir(config.dataDir) : () => {}
  try {
    const handle = await openDb({
      databaseUrl: config.databaseUrl,
      sqlitePath: config.sqlitePath,
      poolSize: 1,
    })
    try {
      return config.secretKey
        ? await rotateEnvironmentKey(
            handle.db,
            Buffer.from(config.secretKey, 'hex'),
            newKey,
            options,
          )
        : await rotateFileKey(handle.db, join(config.dataDir, secretKeyFile), newKey, options)
    } finally {
      await handle.close()
    }
  } finally {
    release()
  }
}

async function rotateEnvironmentKey(
  db: Db,
  oldKey: Buffer,
  newKey: Buffer,
  { out }: RotateKeyOptions,
): Promise<RotateKeyResult> {
  if (newKey.equals(oldKey)) throw new Error('The new key is the key in use (LINDA_SECRET_KEY)')
  // Shown before the database changes: once it has, this key is the only one that opens it.
  out.write(
    `The new key (the key in use comes from LINDA_SECRET_KEY, so it is not saved anywhere):\n\n  ${newKey.toString('hex')}\n\n`,
  )
  let reencrypted: number
  try {
    reencrypted = await reencryptCredentials(db, oldKey, newKey)
  } catch (err) {
    out.write('Nothing was changed: keep LINDA_SECRET_KEY as it is.\n')
    throw err
  }
  out.write(
    `Re-encrypted the credentials of ${reencrypted} account(s). Set LINDA_SECRET_KEY to the new key before the next start: the old key no longer opens them.\n`,
  )
  return { reencrypted, newKey }
}

async function rotateFileKey(
  db: Db,
  keyFile: string,
  newKey: Buffer,
  { out }: RotateKeyOptions,
): Promise<RotateKeyResult> {
  if (!existsSync(keyFile)) {
    throw new Error(
      `There is no key to rotate: ${keyFile} does not exist (Linda creates it on first start) and LINDA_SECRET_KEY is not set`,
    )
  }
  const pending = `${keyFile}.new`
  let oldKey = readKey(keyFile)
  if (existsSync(pending)) {
    // An earlier rotation was cut short: finish it or undo it, by the key the database is under.
    const interrupted = readKey(pending)
    const under = await sealedWith(db, { a: oldKey, b: interrupted })
    if (under === 'neither') {
      throw new Error(
        `The stored credentials open with neither ${keyFile} nor ${pending}; nothing was changed`,
      )
    }
    if (under === 'b') {
      replaceKeyFile(pending, keyFile)
      out.write(`Finished an interrupted rotation: ${keyFile} now holds the key in use.\n`)
      oldKey = interrupted
      if (newKey.equals(oldKey)) return { reencrypted: 0, newKey, keyFile }
    } else {
      rmSync(pending)
    }
  }
  if (newKey.equals(oldKey)) throw new Error(`The new key is the key in use (${keyFile})`)

  writeKeyFile(pending, newKey)
  let reencrypted: number
  try {
    reencrypted = await reencryptCredentials(db, oldKey, newKey)
  } catch (err) {
    rmSync(pending, { force: true })
    throw err
  }
  replaceKeyFile(pending, keyFile)
  out.write(
    `Re-encrypted the credentials of ${reencrypted} account(s) under a new key, now in ${keyFile}. The old key no longer opens them (backups made before now still need it).\n`,
  )
  return { reencrypted, newKey, keyFile }
}

function readKey(file: string): Buffer {
  const text = readFileSync(file, 'utf8').trim()
  if (!HEX_KEY.test(text)) throw new Error(`${file} does not hold a key (64 hex characters)`)
  return Buffer.from(text, 'hex')
}

/** Writes a key file (mode 0600) and flushes it to the disk. */
function writeKeyFile(file: string, key: Buffer): void {
  rmSync(file, { force: true })
  const fd = openSync(file, 'wx', 0o600)
  try {
    writeSync(fd, `${key.toString('hex')}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Renames `from` over `to` (atomic on one file system) and flushes the directory. */
function replaceKeyFile(from: string, to: string): void {
  renameSync(from, to)
  const dir = openSync(dirname(to), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}
