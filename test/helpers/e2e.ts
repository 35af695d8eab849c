// End-to-end tests drive Linda as a user runs it: `node bin/linda.js start` in a child
// process on a free port and a fresh data dir, and a real Chromium.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { inject } from 'vitest'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface RunningLinda {
  baseUrl: string
  /** The owner key it was bootstrapped with. */
  apiKey: string
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
  return { baseUrl, apiKey, output: () => output, stop }
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
