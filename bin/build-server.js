// Compiles src/ to dist/server/ with esbuild (type-stripping only: `npm run typecheck`
// checks types) when a source is newer than the last build. Takes well under a second.
import { readdirSync, statSync, existsSync, writeFileSync, rmSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const srcDir = join(root, 'src')
const outDir = join(root, 'dist', 'server')
const stamp = join(outDir, '.built')

function sources(dir) {
  const files = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...sources(path))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(path)
  }
  return files
}

export async function ensureServerBuilt() {
  const files = sources(srcDir)
  const builtAt = existsSync(stamp) ? statSync(stamp).mtimeMs : 0
  const newest = Math.max(
    ...files.map((f) => statSync(f).mtimeMs),
    statSync(join(root, 'package.json')).mtimeMs,
  )
  if (builtAt > newest) return
  const { build } = await import('esbuild')
  rmSync(outDir, { recursive: true, force: true })
  await build({
    entryPoints: files,
    outdir: outDir,
    outbase: srcDir,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  })
  writeFileSync(stamp, new Date().toISOString() + '\n')
}
