import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../paths.js'

const builtIndex = join(packageRoot, 'dist', 'web', 'index.html')
const webDir = join(packageRoot, 'web')

/** The newest modification time of the dashboard's sources. */
function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

/**
 * Builds the dashboard into dist/web when it is missing or older than its sources (after
 * a `git pull`, say). Returns false if it could not be built.
 */
export function ensureDashboardBuilt(log: (line: string) => void): boolean {
  const hasSources = existsSync(join(webDir, 'vite.config.ts'))
  if (
    existsSync(builtIndex) &&
    (!hasSources || statSync(builtIndex).mtimeMs >= newestSource(webDir))
  ) {
    return true
  }
  if (!hasSources) return false
  log(
    existsSync(builtIndex)
      ? 'Rebuilding the dashboard (its sources changed)…'
      : 'Building the dashboard…',
  )
  const result = spawnSync(
    process.execPath,
    [
      join(packageRoot, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    { cwd: packageRoot, stdio: 'inherit' },
  )
  return result.status === 0 && existsSync(builtIndex)
}
