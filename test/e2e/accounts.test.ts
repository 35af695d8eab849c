/**
 * Accounts from the dashboard, end to end: sign in, add a sandbox account, watch it connect,
 * disconnect and connect it again, then delete it.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const apiKey = `linda_e2e_${randomBytes(16).toString('hex')}`

let linda: ChildProcess | undefined
let lindaOutput = ''
let dataDir: string | undefined
let baseUrl = ''
let browser: Browser | undefined
let page: Page | undefined

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (linda?.exitCode !== null) {
      throw new Error(`Linda exited early (code ${String(linda?.exitCode)}):\n${lindaOutput}`)
    }
    try {
      const response = await fetch(`${url}/readyz`)
      if (response.status === 200) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`Linda was not ready within ${String(timeoutMs)} ms:\n${lindaOutput}`)
}

async function stopLinda(): Promise<void> {
  const child = linda
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 15_000)),
  ])
  if (timedOut) {
    child.kill('SIGKILL')
    await exited
  }
}

describe('dashboard accounts', () => {
  beforeAll(async () => {
    // The e2e global setup has built the dashboard and checked that Chromium launches.
    const port = await freePort()
    dataDir = await mkdtemp(join(tmpdir(), 'linda-e2e-accounts-'))
    baseUrl = `http://127.0.0.1:${String(port)}`

    linda = spawn(
      process.execPath,
      ['bin/linda.js', 'start', '--port', String(port), '--data-dir', dataDir],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          LINDA_BOOTSTRAP_API_KEY: apiKey,
          LINDA_HOST: '127.0.0.1',
          LINDA_LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    linda.stdout?.on('data', (chunk: Buffer) => (lindaOutput += chunk.toString()))
    linda.stderr?.on('data', (chunk: Buffer) => (lindaOutput += chunk.toString()))

    await waitUntilReady(baseUrl, 60_000)

    browser = await chromium.launch({
      executablePath: inject('chromiumPath'),
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await stopLinda()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  }, 30_000)

  it('adds a sandbox account, disconnects and connects it, and deletes it', async () => {
    if (!page) throw new Error('the browser did not start')
    page.setDefaultTimeout(15_000)

    await page.goto(`${baseUrl}/`)
    await page.getByLabel('API key', { exact: true }).fill(apiKey)
    await page.getByRole('button', { name: 'Sign in' }).click()

    const accounts = page.getByRole('navigation', { name: 'Accounts' })
    await accounts.getByRole('button', { name: 'Add account' }).click()

    const dialog = page.getByRole('dialog', { name: 'Add an account' })
    await dialog.getByRole('radio', { name: /^Sandbox/ }).check()
    await dialog.getByLabel('Name', { exact: true }).fill('Support')
    await dialog.getByRole('button', { name: 'Add account' }).click()
    await dialog.waitFor({ state: 'detached' })

    // The new account is selected, and the list shows it connected.
    await page.getByRole('heading', { level: 1, name: 'Support' }).waitFor()
    const listed = accounts.getByRole('link', { name: /^Support\b/ })
    await accounts.getByRole('link', { name: /^Support .*\bConnected$/ }).waitFor()
    expect(await listed.getAttribute('aria-current')).toBe('page')

    const state = page.getByRole('status', { name: 'Account state' })
    await page.getByRole('button', { name: 'Disconnect', exact: true }).click()
    await state.filter({ hasText: 'Disconnected' }).waitFor()
    await accounts.getByRole('link', { name: /^Support .*\bDisconnected$/ }).waitFor()

    await page.getByRole('button', { name: 'Connect', exact: true }).click()
    await state.filter({ hasText: /^Connected$/ }).waitFor()
    await accounts.getByRole('link', { name: /^Support .*\bConnected$/ }).waitFor()

    await page.getByRole('button', { name: 'Delete', exact: true }).click()
    const confirm = page.getByRole('alertdialog', { name: 'Delete Support?' })
    await confirm.getByLabel('Also delete its messages and conversations').check()
    await confirm.getByRole('button', { name: 'Delete account' }).click()

    await listed.waitFor({ state: 'detached' })
    expect(page.url()).toBe(`${baseUrl}/#/`)
    const response = await fetch(`${baseUrl}/api/v1/accounts`, {
      headers: { Authorization: `Bearer ${apiKey}` },
    })
    const { items } = (await response.json()) as { items: { name: string }[] }
    expect(items.map((account) => account.name)).not.toContain('Support')
  }, 90_000)
})
