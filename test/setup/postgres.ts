// Vitest global setup for the `integration` project: provides a throwaway PostgreSQL server.
//
//   LINDA_TEST_SKIP_PG=1        provide pgAdminUrl = null; tests run on sqlite only.
//   LINDA_TEST_DATABASE_URL=... use that (admin-capable) server instead of starting one.
//   otherwise                    find (or apt-get install) the server binaries, initdb a temp
//                                cluster and run it on a free 127.0.0.1 port until teardown.
import { randomBytes } from 'node:crypto'
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import {
  aptInstall,
  cancelWatchdog,
  elapsed,
  findOnPath,
  isExecutable,
  isRoot,
  run,
  runOrThrow,
  startWatchdog,
  tail,
} from './system.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test PostgreSQL server, or null when PostgreSQL is skipped. */
    pgAdminUrl: string | null
    /** Every database created by test/helpers/databases.ts starts with this (per-run) prefix. */
    pgDatabasePrefix: string
  }
}

const LOG = '[postgres]'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const prefix = `linda_t_${randomBytes(3).toString('hex')}_`
  project.provide('pgDatabasePrefix', prefix)

  if (process.env.LINDA_TEST_SKIP_PG === '1') {
    console.warn(`${LOG} LINDA_TEST_SKIP_PG=1: PostgreSQL NOT started, postgres tests are skipped`)
    project.provide('pgAdminUrl', null)
    return async () => {}
  }

  const external = process.env.LINDA_TEST_DATABASE_URL
  if (external) {
    await waitForConnection(external, 10_000)
    console.log(`${LOG} using LINDA_TEST_DATABASE_URL (${redact(external)})`)
    project.provide('pgAdminUrl', external)
    return () => dropRunDatabases(external, prefix)
  }

  const server = await startThrowawayServer()
  project.provide('pgAdminUrl', server.url)
  return () => server.stop()
}

// ---------------------------------------------------------------------------------------------

interface Server {
  url: string
  stop: () => Promise<void>
}

/** Runs a PostgreSQL binary, as the `postgres` system user when we are root (initdb refuses root). */
interface Runner {
  argv: (bin: string, args: string[]) => [string, ...string[]]
  uid: number
  gid: number
}

async function startThrowawayServer(): Promise<Server> {
  const t0 = performance.now()
  const binDir = await ensureBinaries()
  const runner = await makeRunner()
  const version = (await runOrThrow(join(binDir, 'postgres'), ['--version'])).stdout.trim()
  const dir = makeTempDir(runner)
  const pgRun = (name: string, args: string[], orThrow = false) => {
    const [cmd, ...rest] = runner.argv(join(binDir, name), args)
    return (orThrow ? runOrThrow : run)(cmd, rest, { cwd: dir })
  }
  const dataDir = join(dir, 'data')
  const sockDir = join(dir, 'sock')
  const logFile = join(dir, 'postgres.log')
  mkdirSync(sockDir)
  chownSync(sockDir, runner.uid, runner.gid)

  let postmasterPid: number | undefined
  let watchdogPid: number | undefined
  const killNow = () => {
    if (postmasterPid !== undefined) safeKill(postmasterPid, 'SIGQUIT') // immediate shutdown
  }
  const onExit = () => killNow()
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  const onSignal = (sig: NodeJS.Signals) => {
    killNow()
    removeHandlers()
    // Preserve the default behaviour (exit) when nobody else handles the signal.
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig)
  }
  const removeHandlers = () => {
    process.off('exit', onExit)
    for (const s of signals) process.off(s, onSignal)
  }
  process.on('exit', onExit)
  for (const s of signals) process.on(s, onSignal)

  const stop = async () => {
    removeHandlers()
    if (postmasterPid !== undefined && existsSync(join(dataDir, 'postmaster.pid'))) {
      const res = await pgRun('pg_ctl', [
        'stop',
        '-D',
        dataDir,
        '-m',
        'immediate',
        '-w',
        '-t',
        '30',
      ])
      if (res.code !== 0) {
        console.warn(`${LOG} pg_ctl stop failed, killing ${postmasterPid}: ${tail(res.stderr, 5)}`)
        safeKill(postmasterPid, 'SIGKILL')
        await waitForExit(postmasterPid, 10_000)
      }
    }
    rmSync(dir, { recursive: true, force: true })
    cancelWatchdog(watchdogPid)
  }

  try {
    const tInit = performance.now()
    await pgRun(
      'initdb',
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C',
        '-N',
        '--no-instructions',
      ],
      true,
    )
    const initTime = elapsed(tInit)
    appendFileSync(
      join(dataDir, 'postgresql.conf'),
      [
        '',
        '# linda test settings: fast, NOT crash safe',
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${sockDir}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'wal_level = minimal',
        'max_wal_senders = 0',
        'max_connections = 200',
        'shared_buffers = 64MB',
        'logging_collector = off',
        '',
      ].join('\n'),
    )

    const tStart = performance.now()
    let port = 0
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      const res = await pgRun('pg_ctl', [
        'start',
        '-D',
        dataDir,
        '-l',
        logFile,
        '-w',
        '-t',
        '60',
        '-o',
        `-p ${port}`,
      ])
      if (res.code === 0) break
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''
      // Another process grabbed the port between freePort() and the bind: try another one.
      if (attempt < 5 && /could not (bind|create listen socket)/i.test(log)) continue
      throw new Error(
        `pg_ctl start failed (exit ${res.code}):\n${tail(res.stdout + res.stderr, 10)}\n` +
          `--- ${logFile} ---\n${tail(log)}`,
      )
    }
    postmasterPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    // If this process dies without teardown (even SIGKILL), stop the server and remove its dir.
    watchdogPid = startWatchdog(
      'linda-pg-watchdog',
      `pm=$1; data=$2; dir=$3
      if [ "$(head -n1 "$data/postmaster.pid" 2>/dev/null)" = "$pm" ]; then
        kill -QUIT "$pm" 2>/dev/null
        i=0; while kill -0 "$pm" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.5; i=$((i+1)); done
        kill -KILL "$pm" 2>/dev/null
      fi
      rm -rf "$dir"`,
      [String(postmasterPid), dataDir, dir],
    )

    const url = `postgres://postgres@127.0.0.1:${port}/postgres`
    await waitForConnection(url, 30_000)
    console.log(
      `${LOG} ${version} on 127.0.0.1:${port} (initdb ${initTime}, start ${elapsed(tStart)}, ` +
        `total ${elapsed(t0)}) in ${dir}`,
    )
    return { url, stop }
  } catch (err) {
    await stop().catch(() => {})
    throw err
  }
}

/** Returns the bin directory of the newest installed PostgreSQL server, installing it if needed. */
async function ensureBinaries(): Promise<string> {
  const found = findBinDir()
  if (found) return found
  await aptInstall(
    ['postgresql'],
    'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found',
  )
  const after = findBinDir()
  if (!after) {
    throw new Error(
      'apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb was found. ' +
        'Set LINDA_TEST_DATABASE_URL to an existing server, or LINDA_TEST_SKIP_PG=1 to skip.',
    )
  }
  return after
}

function findBinDir(): string | null {
  const root = '/usr/lib/postgresql'
  const complete = (dir: string) =>
    ['initdb', 'pg_ctl', 'postgres'].every((b) => isExecutable(join(dir, b)))
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+(\.\d+)?$/.test(v) && complete(join(root, v, 'bin')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0] !== undefined) return join(root, versions[0], 'bin')
  }
  const initdb = findOnPath('initdb')
  if (initdb && complete(dirname(initdb))) return dirname(initdb)
  return null
}

async function makeRunner(): Promise<Runner> {
  if (!isRoot()) {
    return {
      argv: (bin, args) => [bin, ...args],
      uid: process.getuid?.() ?? -1,
      gid: process.getgid?.() ?? -1,
    }
  }
  // initdb/postgres refuse to run as root: use the `postgres` user made by Debian's package.
  const uid = await run('id', ['-u', 'postgres'])
  const gid = await run('id', ['-g', 'postgres'])
  if (uid.code !== 0 || gid.code !== 0) {
    throw new Error(
      'Running as root, but there is no `postgres` system user to run the server as ' +
        "(PostgreSQL refuses to run as root). Install Debian's postgresql package, or run " +
        'the tests as a non-root user, or set LINDA_TEST_DATABASE_URL.',
    )
  }
  const runuser =
    findOnPath('runuser') ??
    ['/usr/sbin/runuser', '/sbin/runuser'].find((p) => isExecutable(p)) ??
    null
  return {
    argv: runuser
      ? (bin, args) => [runuser, '-u', 'postgres', '--', bin, ...args]
      : (bin, args) => ['su', 'postgres', '-s', '/bin/sh', '-c', shellQuote([bin, ...args])],
    uid: Number(uid.stdout.trim()),
    gid: Number(gid.stdout.trim()),
  }
}

/** A fresh temp dir the server user can write to (chowned to it when we are root). */
function makeTempDir(runner: Runner): string {
  const bases = isRoot() ? [tmpdir(), '/tmp'] : [tmpdir()]
  for (const base of bases) {
    const dir = mkdtempSync(join(base, 'linda-pg-'))
    if (!isRoot()) return dir
    chownSync(dir, runner.uid, runner.gid)
    // The postgres user must be able to reach the dir (e.g. TMPDIR under /root would not work).
    if (traversable(dir)) return dir
    rmSync(dir, { recursive: true, force: true })
  }
  throw new Error('could not create a temp dir the postgres user can access')
}

function traversable(dir: string): boolean {
  // Every ancestor must be world-executable since the postgres user is neither owner nor group.
  let cur = dirname(dir)
  for (;;) {
    try {
      const mode = statSync(cur).mode
      if ((mode & 0o001) === 0) return false
    } catch {
      return false
    }
    const parent = dirname(cur)
    if (parent === cur) return true
    cur = parent
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

async function waitForConnection(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
    try {
      await client.connect()
      await client.query('select 1')
      return
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`PostgreSQL at ${redact(url)} does not accept connections: ${String(err)}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    } finally {
      await client.end().catch(() => {})
    }
  }
}

/** For an external server: drop the databases this run created (ours share a per-run prefix). */
async function dropRunDatabases(url: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where starts_with(datname, $1)',
      [prefix],
    )
    for (const { datname } of rows) {
      await client
        .query(`drop database if exists "${datname}" with (force)`)
        .catch((err: unknown) => {
          console.warn(`${LOG} could not drop ${datname}: ${String(err)}`)
        })
    }
  } finally {
    await client.end().catch(() => {})
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && safeKill(pid, 0)) await new Promise((r) => setTimeout(r, 100))
}

function safeKill(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '<unparseable url>'
  }
}

function shellQuote(args: string[]): string {
  return args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
}
