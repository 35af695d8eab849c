/**
 * The one-minute tour, end to end: start Linda as a user would, sign in to the dashboard with the
 * bootstrap key, open the sandbox account, say "hi" from the phone simulator and watch the
 * greeting rule's reply arrive and turn blue.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

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

function buildDashboardIfMissing(): void {
  if (existsSync(join(repoRoot, 'dist', 'web', 'index.html'))) return
  const build = spawnSync('npm', ['run', 'build:web'], { cwd: repoRoot, encoding: 'utf8' })
  if (build.status !== 0) {
    throw new Error(`npm run build:web failed:\n${build.stdout}\n${build.stderr}`)
  }
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

describe('dashboard tour', () => {
  beforeAll(async () => {
    buildDashboardIfMissing()

    const port = await freePort()
    dataDir = await mkdtemp(join(tmpdir(), 'linda-e2e-'))
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
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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

  it('signs in, says hi from the simulator and sees the greeting read', async () => {
    if (!page) throw new Error('the browser did not start')
    page.setDefaultTimeout(15_000)

    await page.goto(`${baseUrl}/`)

    // A wrong key is refused with a clear message.
    await page.getByLabel('API key', { exact: true }).fill('linda_not_a_real_key')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('That key was not accepted.').waitFor()

    // The right key opens the dashboard.
    await page.getByLabel('API key', { exact: true }).fill(apiKey)
    await page.getByRole('button', { name: 'Sign in' }).click()
    const accounts = page.getByRole('navigation', { name: 'Accounts' })
    await accounts.getByRole('link', { name: /^Sandbox\b/ }).click()
    await page.getByRole('heading', { level: 1, name: 'Sandbox' }).waitFor()

    expect(await page.getByLabel('Contact phone', { exact: true }).inputValue()).toBe(
      '+15550001111',
    )

    await page.getByLabel('Message', { exact: true }).fill('hi')
    await page.getByRole('button', { name: 'Send', exact: true }).click()

    const inbound = page
      .locator('[data-testid="message"][data-direction="in"]')
      .filter({ has: page.getByText('hi', { exact: true }) })
    await inbound.first().waitFor()
    expect(await inbound.count()).toBe(1)

    const reply = page
      .locator('[data-testid="message"][data-direction="out"]')
      .filter({ hasText: 'Hello' })
      .first()
    await reply.waitFor({ timeout: 20_000 })
    await reply.locator('[data-status="read"]').waitFor({ timeout: 20_000 })
    expect(await reply.locator('[data-status]').getAttribute('aria-label')).toBe('Status: read')

    // Oldest at the top: the greeting comes after the "hi" that caused it.
    const directions = await page
      .locator('[data-testid="message"]')
      .evaluateAll((bubbles) => bubbles.map((bubble) => bubble.getAttribute('data-direction')))
    expect(directions.indexOf('in')).toBeLessThan(directions.lastIndexOf('out'))
  }, 90_000)
})
