// Compiles src/ with esbuild (type-stripping only: `npm run typecheck` checks types) into
// dist/server-<fingerprint>/, where the fingerprint covers every source's path, size and
// time. A build goes to a temporary folder renamed into place, so commands started at the
// same moment never see a half-written build. Takes well under a second.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const srcDir = join(root, 'src')
const distDir = join(root, 'dist')

function sources(dir) {
  const files = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...sources(path))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(path)
  }
  return files.sort()
}

/** Returns the path of the compiled entry point, building it when the sources changed. */
export async function ensureServerBuilt() {
  const files = sources(srcDir)
  const hash = createHash('sha256')
  for (const file of [...files, join(root, 'package.json')]) {
    const { size, mtimeMs } = statSync(file)
    hash.update(`${file}\0${size}\0${mtimeMs}\n`)
  }
  const name = `server-${hash.digest('hex').slice(0, 16)}`
  const outDir = join(distDir, name)
  const entry = join(outDir, 'main.js')
  if (existsSync(entry)) return entry

  const tmpDir = join(distDir, `.${name}-${process.pid}`)
  const { build } = await import('esbuild')
  await build({
    entryPoints: files,
    outdir: tmpDir,
    outbase: srcDir,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  })
  try {
    renameSync(tmpDir, outDir)
  } catch (err) {
    // Another command built the same sources first: theirs is as good as ours.
    rmSync(tmpDir, { recursive: true, force: true })
    if (!existsSync(entry)) throw err
  }
  // Builds of older sources go, unless something started in the last minute may use them,
  // or a process that still runs holds them (see holdBuild).
  for (const old of readdirSync(distDir)) {
    if (!old.startsWith('server-') || old === name) continue
    const path = join(distDir, old)
    if (Date.now() - statSync(path).mtimeMs > 60_000 && !held(path)) {
      rmSync(path, { recursive: true, force: true })
    }
  }
  return entry
}

/**
 * Keeps the build of `entry` from being cleaned up while this process runs: a running server
 * still loads files from it (each WhatsApp Web session's worker starts from its own entry
 * there, and restarts do so again hours later).
 */
export function holdBuild(entry) {
  const marker = join(dirname(entry), `.held-by-${process.pid}`)
  writeFileSync(marker, '')
  process.on('exit', () => rmSync(marker, { force: true }))
}

/** Whether a process that is still running holds the build in `dir`. */
function held(dir) {
  for (const name of readdirSync(dir)) {
    const pid = /^\.held-by-(\d+)$/.exec(name)?.[1]
    if (!pid) continue
    try {
      process.kill(Number(pid), 0)
      return true
    } catch (err) {
      // EPERM: it runs, as another user.
      if (err.code === 'EPERM') return true
    }
  }
  return false
}
