// The real command line, as an operator runs it: `node bin/linda.js …` in child processes on
// temporary data dirs (SQLite; backup and restore are SQLite's).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Message } from '../../src/messages/index.js'
import { freshDataDir } from '../helpers/databases.js'
import {
  ensureCliBuilt,
  listAllMessages,
  repoRoot,
  startTestLinda,
  waitFor,
  type Page,
} from '../helpers/linda.js'

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `linda …` to completion. */
function linda(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnLinda(args, env)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: string) => (stdout += d))
  child.stderr.on('data', (d: string) => (stderr += d))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

function spawnLinda(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['bin/linda.js', ...args], {
    cwd: repoRoot,
    // No LINDA_* or DATABASE_URL from the outer environment: each test says what it uses.
    env: { ...cleanEnv(), LINDA_LOG_LEVEL: 'silent', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  child.stdin.end()
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  return child
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('LINDA_') && k !== 'DATABASE_URL'),
  )
}

/** `linda start` in the background; resolves with its URL once the banner is printed. */
async function startLinda(
  dataDir: string,
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> {
  const child = spawnLinda(['start', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1'])
  let output = ''
  child.stdout.on('data', (d: string) => (output += d))
  child.stderr.on('data', (d: string) => (output += d))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 30 s:\n${output}`)), 30_000)
    const look = () => {
      const match = /Dashboard\s+(http:\/\/\S+?)\/?\s*$/m.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout.on('data', look)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`linda start exited with ${String(code)}:\n${output}`))
    })
  })
  return { child, url, output: () => output }
}

function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

const children: ChildProcessWithoutNullStreams[] = []

beforeAll(async () => {
  await ensureCliBuilt()
}, 180_000)

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
})

describe('linda migrate', () => {
  it('applies the migrations to a new data dir, then says it is up to date', async () => {
    const dataDir = join(await freshDataDir(), 'new')
    const first = await linda(['migrate', '--data-dir', dataDir])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/^applied \d{14}_\w+$/m)
    expect(existsSync(join(dataDir, 'linda.db'))).toBe(true)

    const second = await linda(['migrate', '--data-dir', dataDir])
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toContain('The database is up to date.')
    expect(second.stdout).not.toContain('applied')
  })
})

describe('linda doctor', () => {
  it('passes a fresh data dir with warnings about what the first start creates', async () => {
    const dataDir = join(await freshDataDir(), 'fresh')
    const res = await linda(['doctor', '--data-dir', dataDir, '--port', '0'])
    expect(res.code, res.stdout + res.stderr).toBe(0)
    expect(res.stdout).toMatch(/^warn\s+data dir\s.*does not exist yet/m)
    expect(res.stdout).toMatch(/^warn\s+database\s/m)
    expect(res.stdout).toMatch(/^ok\s+config\s+valid/m)
    expect(res.stdout).not.toMatch(/^FAIL/m)
    expect(res.stdout).toContain('All good.')
  })

  it('fails on a bad setting and names it', async () => {
    const res = await linda(['doctor', '--data-dir', await freshDataDir()], { LINDA_PORT: 'abc' })
    expect(res.code).toBe(1)
    expect(res.stdout).toMatch(/^FAIL\s+config\s+LINDA_PORT: must be a number/m)
    expect(res.stdout).toContain('1 problem(s) to fix.')
  })
})

describe('invalid configuration', () => {
  it('exits 1 naming the setting, from the environment or a flag', async () => {
    const dataDir = await freshDataDir()
    const fromEnv = await linda(['migrate', '--data-dir', dataDir], { LINDA_LOG_LEVEL: 'loud' })
    expect(fromEnv.code).toBe(1)
    expect(fromEnv.stderr).toContain('Invalid configuration')
    expect(fromEnv.stderr).toMatch(/LINDA_LOG_LEVEL: /)

    const fromFlag = await linda(['start', '--data-dir', dataDir, '--port', '70000'])
    expect(fromFlag.code).toBe(1)
    expect(fromFlag.stderr).toMatch(/--port: must be between 0 and 65535/)

    const url = await linda(['migrate', '--data-dir', dataDir], { DATABASE_URL: 'mysql://x' })
    expect(url.code).toBe(1)
    expect(url.stderr).toMatch(/DATABASE_URL: must start with postgres:\/\//)
    // Nothing was started or created on the way.
    expect(readdirSync(dataDir)).toEqual([])
  })
})

describe('linda restore', () => {
  it('refuses a file that is not a SQLite database, and keeps the data', async () => {
    const dataDir = await freshDataDir()
    expect((await linda(['migrate', '--data-dir', dataDir])).code).toBe(0)
    const before = statSync(join(dataDir, 'linda.db')).size
    const junk = join(dataDir, 'notes.txt')
    writeFileSync(junk, 'these are not the rows you are looking for\n'.repeat(100))

    const res = await linda(['restore', junk, '--data-dir', dataDir])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/cannot be restored: file is not a database|not a SQLite database/)
    expect(statSync(join(dataDir, 'linda.db')).size).toBe(before)

    const missing = await linda(['restore', join(dataDir, 'nope.db'), '--data-dir', dataDir])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('There is no file')
  })
})

describe('a running Linda, its keys and its backups', () => {
  it('creates an API key, backs up while running, refuses to restore until stopped', async () => {
    const dataDir = await freshDataDir()
    const backupFile = join(await freshDataDir(), 'linda-backup.db')

    // A key made on the command line before the first start…
    const created = await linda(['api-key', 'create', '--name', 'ci', '--data-dir', dataDir])
    expect(created.code, created.stderr).toBe(0)
    expect(created.stdout).toContain('Created API key "ci" (owner)')
    const key = /^(linda_\S+)$/m.exec(created.stdout)?.[1]
    expect(key, created.stdout).toBeDefined()

    // …works against the instance, which then generates no key of its own.
    const started = await startLinda(dataDir)
    children.push(started.child)
    const { child, url } = started
    expect(started.output()).toContain(`data in ${dataDir}`)
    expect(started.output()).not.toContain('Your owner API key')
    const auth = { authorization: `Bearer ${key}` }
    const api = async <T>(path: string, init: RequestInit = {}) => {
      const res = await fetch(`${url}${path}`, {
        ...init,
        headers: { ...auth, 'content-type': 'application/json', ...init.headers },
      })
      return { status: res.status, json: (await res.json()) as T }
    }
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    expect(
      (await api('/api/v1/accounts', { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401)
    const accounts = await api<Page<{ id: string; name: string }>>('/api/v1/accounts')
    expect(accounts.status).toBe(200)
    const sandbox = accounts.json.items.find((a) => a.name === 'Sandbox')
    expect(sandbox).toBeDefined()

    const phone = '+15550009999'
    const inbound = await api(`/api/v1/sandbox/${sandbox!.id}/inbound`, {
      method: 'POST',
      body: JSON.stringify({ from: phone, text: 'hi' }),
    })
    expect(inbound.status).toBe(202)
    await waitFor(async () => {
      const page = await api<Page<Message>>(`/api/v1/messages?phone=${encodeURIComponent(phone)}`)
      expect(page.json.items.map((m) => m.direction).sort()).toEqual(['in', 'out'])
    })

    // A backup is safe while Linda runs.
    const backup = await linda(['backup', backupFile, '--data-dir', dataDir])
    expect(backup.code, backup.stderr).toBe(0)
    expect(backup.stdout).toContain(`to ${backupFile}`)
    expect(statSync(backupFile).size).toBeGreaterThan(0)
    const again = await linda(['backup', backupFile, '--data-dir', dataDir])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already exists')

    // Restoring under a running Linda is refused, naming it.
    const refused = await linda(['restore', backupFile, '--data-dir', dataDir])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(`Linda (pid ${child.pid}) is running on ${dataDir}`)

    // Once it has stopped (gracefully, on SIGTERM), the backup restores.
    child.kill('SIGTERM')
    expect(await exited(child)).toBe(0)
    const restored = await linda(['restore', backupFile, '--data-dir', dataDir])
    expect(restored.code, restored.stderr).toBe(0)
    expect(restored.stdout).toContain(`Restored ${backupFile}`)
    expect(restored.stdout).toMatch(/The database it replaces is kept as \S+before-restore/)

    // The restored database has the conversation, and the CLI key still opens it.
    const t = await startTestLinda('sqlite', { dataDir, apiKey: key!, fastReceipts: false })
    try {
      const messages = await listAllMessages(t, { phone })
      expect(messages.map((m) => m.text)).toContain('hi')
    } finally {
      await t.stop()
    }
  })
})
