// Vitest global setup for the `e2e` project:
//  - makes sure a Chromium binary exists (CHROMIUM_PATH, else Debian's /usr/bin/chromium,
//    installed with apt-get when missing; never a Playwright browser download) and that it can
//    be launched headless through playwright-core; provides its path as `chromiumPath`;
//  - builds the web UI (`npm run build:web`) when dist/web/index.html is missing or older than
//    the sources in web/.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'
import type { TestProject } from 'vitest/node'
import { aptInstall, elapsed, isExecutable, run, tail } from './system.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the Chromium executable to pass to playwright-core's `executablePath`. */
    chromiumPath: string
  }
}

const LOG = '[chromium]'
const DEBIAN_CHROMIUM = '/usr/bin/chromium'

export default async function setup(project: TestProject): Promise<void> {
  const chromiumPath = await ensureChromium()
  project.provide('chromiumPath', chromiumPath)
  await ensureWebBuild(project.config.root)
}

async function ensureChromium(): Promise<string> {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(`CHROMIUM_PATH=${fromEnv} is not an executable file`)
    }
  } else if (!isExecutable(DEBIAN_CHROMIUM)) {
    // --no-install-recommends drops fonts-liberation: ask for it, text layout needs real fonts.
    await aptInstall(['chromium', 'fonts-liberation'], `Chromium not found at ${DEBIAN_CHROMIUM}`)
    if (!isExecutable(DEBIAN_CHROMIUM)) {
      throw new Error(`apt-get installed chromium but ${DEBIAN_CHROMIUM} is still missing`)
    }
  }
  const path = fromEnv ?? DEBIAN_CHROMIUM

  // Smoke test: fail here, once, with a clear message rather than in every e2e test.
  const t0 = performance.now()
  const browser = await chromium
    .launch({ executablePath: path, headless: true, timeout: 60_000 })
    .catch((err: unknown) => {
      throw new Error(`${LOG} cannot launch ${path} with playwright-core: ${String(err)}`)
    })
  const version = browser.version()
  try {
    const page = await browser.newPage()
    await page.setContent('<p>ok</p>')
  } finally {
    await browser.close()
  }
  console.log(`${LOG} ${path} (Chromium ${version}) launches headless in ${elapsed(t0)}`)
  return path
}

async function ensureWebBuild(root: string): Promise<void> {
  const index = join(root, 'dist', 'web', 'index.html')
  const webDir = join(root, 'web')
  if (!existsSync(join(webDir, 'vite.config.ts'))) {
    console.warn(`${LOG} web/vite.config.ts does not exist (yet): not building the web UI`)
    return
  }
  if (existsSync(index) && newestMtime(webDir) <= statSync(index).mtimeMs) return

  console.log(
    `${LOG} ${existsSync(index) ? 'web/ changed' : 'dist/web missing'}: npm run build:web`,
  )
  const t0 = performance.now()
  const res = await run('npm', ['run', 'build:web'], { cwd: root })
  if (res.code !== 0) {
    throw new Error(
      `npm run build:web failed (exit ${res.code}):\n${tail(res.stdout + res.stderr)}`,
    )
  }
  if (!existsSync(index)) {
    throw new Error(`npm run build:web succeeded but ${index} was not produced`)
  }
  console.log(`${LOG} built web UI in ${elapsed(t0)}`)
}

/** Newest modification time of any file under dir (skipping node_modules and dot dirs). */
function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    const full = resolve(dir, entry.name)
    const m = entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs
    if (m > newest) newest = m
  }
  return newest
}
