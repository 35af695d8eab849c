// End-to-end tests drive Linda as a user runs it: `node bin/linda.js start` in a child
// process on a free port and a fresh data dir, and a real Chromium.
import { AxeBuilder } from '@axe-core/playwright'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { inject } from 'vitest'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface RunningLinda {
  baseUrl: string
  /** The owner key it was bootstrapped with (for scripts: the dashboard signs in with a password). */
  apiKey: string
  /** The first owner's one-time setup link, as the console printed it. */
  setupUrl: string
  /** What it printed so far (for failure messages). */
  output(): string
  /** SIGTERM, then SIGKILL after 15 s; removes the data dir. */
  stop(): Promise<void>
}

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

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
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

/** Starts `linda start` on a free port and a fresh data dir; resolves once /readyz is 200. */
export async function startLindaProcess(timeoutMs = 60_000): Promise<RunningLinda> {
  const port = await freePort()
  const dataDir = await mkdtemp(join(tmpdir(), 'linda-e2e-'))
  const apiKey = `linda_e2e_${randomBytes(16).toString('hex')}`
  const baseUrl = `http://127.0.0.1:${String(port)}`
  let output = ''
  const child = spawn(
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
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const stop = async () => {
    await stopChild(child)
    await rm(dataDir, { recursive: true, force: true })
  }

  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`Linda exited early (code ${String(child.exitCode)}):\n${output}`)
    }
    try {
      if ((await fetch(`${baseUrl}/readyz`)).status === 200) break
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`Linda was not ready within ${String(timeoutMs)} ms:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  const setupUrl = /^\s+(http:\/\/\S+\/setup\?token=\S+)$/m.exec(output)?.[1]
  if (!setupUrl) {
    await stop()
    throw new Error(`Linda printed no setup link:\n${output}`)
  }
  return { baseUrl, apiKey, setupUrl, output: () => output, stop }
}

/** The first owner of an e2e Linda: what the tests type into the setup page. */
export const e2eOwner = {
  email: 'olivia@example.com',
  name: 'Olivia Owner',
  password: 'correct horse battery staple',
} as const

/**
 * Sets up the first owner through the setup link the console printed, as a person would,
 * and waits until the dashboard shows them signed in.
 */
export async function setUpOwnerInBrowser(page: Page, linda: RunningLinda): Promise<void> {
  await page.goto(linda.setupUrl)
  await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor()
  await page.getByLabel('Email', { exact: true }).fill(e2eOwner.email)
  await page.getByLabel('Name', { exact: true }).fill(e2eOwner.name)
  await page.getByLabel('Password', { exact: true }).fill(e2eOwner.password)
  await page.getByLabel('Repeat the password', { exact: true }).fill(e2eOwner.password)
  await page.getByRole('button', { name: 'Create and sign in' }).click()
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
}

/** Signs in on the sign-in page with an email and password. */
export async function signInInBrowser(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

export const screenshotDir = join(repoRoot, 'test-results', 'e2e')

/** Saves a full-page screenshot as test-results/e2e/<name>.png (left for people to look at). */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotDir, { recursive: true })
  const path = join(screenshotDir, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/**
 * The serious and critical accessibility violations axe-core finds on the page (WCAG 2.1
 * A and AA rules), as readable lines: an empty list is a pass.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze()
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`,
    )
}

/** Debian's Chromium, headless, with the flags this machine's closed network needs. */
export function launchChromium(): Promise<Browser> {
  const provided = inject('chromiumPath') as string | undefined
  return chromium.launch({
    executablePath: provided ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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
}
