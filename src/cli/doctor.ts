import { accessSync, constants, existsSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { ConfigError, loadConfig, secretKeyFile, type Config, type ConfigFlags } from '../config.js'
import { openDb, pendingMigrations } from '../platform/db/index.js'
import { runningInstance } from '../platform/instance-lock.js'
import { packageRoot } from '../paths.js'

export interface Finding {
  ok: boolean | 'warn'
  check: string
  detail: string
  /** What to do about it, when not ok. */
  fix?: string
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, host, () => server.close(() => resolve(true)))
  })
}

async function lindaAnswers(host: string, port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`, {
      signal: AbortSignal.timeout(2000),
    })
    const body = (await res.json()) as { status?: string }
    return body.status === 'ok'
  } catch {
    return false
  }
}

function checkNode(): Finding {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  const ok = major > 20 || (major === 20 && minor >= 19)
  return {
    ok,
    check: 'Node.js',
    detail: `v${process.versions.node}`,
    fix: ok ? undefined : 'Install Node.js 20.19 or newer',
  }
}

function checkDataDir(config: Config): Finding[] {
  const findings: Finding[] = []
  if (!existsSync(config.dataDir)) {
    findings.push({
      ok: 'warn',
      check: 'data dir',
      detail: `${config.dataDir} does not exist yet`,
      fix: 'It is created on first start; or run `linda migrate` now',
    })
    return findings
  }
  try {
    accessSync(config.dataDir, constants.W_OK | constants.R_OK)
    const mode = statSync(config.dataDir).mode & 0o777
    findings.push({
      ok: (mode & 0o077) === 0 ? true : 'warn',
      check: 'data dir',
      detail: `${config.dataDir} (mode ${mode.toString(8)})`,
      fix: (mode & 0o077) === 0 ? undefined : `Others can read it: chmod 700 ${config.dataDir}`,
    })
  } catch {
    findings.push({
      ok: false,
      check: 'data dir',
      detail: `${config.dataDir} is not readable and writable by this user`,
      fix: `chown it to this user, or choose another with --data-dir`,
    })
  }
  const keyFile = join(config.dataDir, secretKeyFile)
  if (config.secretKey) {
    findings.push({ ok: true, check: 'secret key', detail: 'from LINDA_SECRET_KEY' })
  } else if (existsSync(keyFile)) {
    const mode = statSync(keyFile).mode & 0o777
    findings.push({
      ok: mode === 0o600 ? true : false,
      check: 'secret key',
      detail: `${keyFile} (mode ${mode.toString(8)})`,
      fix: mode === 0o600 ? undefined : `chmod 600 ${keyFile}`,
    })
  } else {
    findings.push({
      ok: 'warn',
      check: 'secret key',
      detail: 'not created yet',
      fix: 'It is generated on first start',
    })
  }
  return findings
}

async function checkDatabase(config: Config): Promise<Finding> {
  if (config.dialect === 'sqlite' && !existsSync(config.sqlitePath)) {
    return {
      ok: 'warn',
      check: 'database',
      detail: `${config.sqlitePath} does not exist yet`,
      fix: 'It is created on first start, or with `linda migrate`',
    }
  }
  const handle = await openDb({
    databaseUrl: config.databaseUrl,
    sqlitePath: config.sqlitePath,
    poolSize: 1,
  })
  try {
    await handle.ping()
    const pending = await pendingMigrations(handle.db)
    return {
      ok: pending.length === 0 ? true : 'warn',
      check: 'database',
      detail: `${config.dialect}, ${pending.length} migration(s) pending`,
      fix: pending.length === 0 ? undefined : 'Run `linda migrate` (start does it too)',
    }
  } catch (err) {
    return {
      ok: false,
      check: 'database',
      detail: `${config.dialect}: ${(err as Error).message}`,
      fix:
        config.dialect === 'postgres'
          ? 'Check DATABASE_URL: host, port, user, password and database name'
          : `Check that ${config.sqlitePath} is a Linda database and not damaged`,
    }
  } finally {
    await handle.close()
  }
}

async function checkPort(config: Config): Promise<Finding> {
  if (await portFree(config.host, config.port)) {
    return { ok: true, check: 'port', detail: `${config.host}:${config.port} is free` }
  }
  if (await lindaAnswers(config.host, config.port)) {
    return { ok: true, check: 'port', detail: `Linda is running on ${config.host}:${config.port}` }
  }
  return {
    ok: false,
    check: 'port',
    detail: `${config.host}:${config.port} is used by another program`,
    fix: 'Stop that program, or choose another port with --port or LINDA_PORT',
  }
}

function checkDashboard(): Finding {
  const built = existsSync(join(packageRoot, 'dist', 'web', 'index.html'))
  return {
    ok: built ? true : 'warn',
    check: 'dashboard',
    detail: built ? 'built' : 'not built',
    fix: built ? undefined : '`npm start` builds it, or run `npm run build:web`',
  }
}

/** Checks what Linda needs to run and says what to fix. */
export async function doctor(flags: ConfigFlags, env = process.env): Promise<Finding[]> {
  const findings: Finding[] = [checkNode()]
  let config: Config
  try {
    config = loadConfig(flags, env)
    findings.push({ ok: true, check: 'config', detail: 'valid' })
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    for (const p of err.problems) {
      findings.push({ ok: false, check: 'config', detail: p, fix: 'Correct this setting' })
    }
    return findings
  }
  findings.push(...checkDataDir(config))
  const pid = config.dialect === 'sqlite' ? runningInstance(config.dataDir) : undefined
  if (pid !== undefined) {
    findings.push({
      ok: true,
      check: 'instance',
      detail: `Linda (pid ${pid}) is running on this data dir`,
    })
  }
  findings.push(await checkDatabase(config))
  findings.push(await checkPort(config))
  findings.push(checkDashboard())
  return findings
}
