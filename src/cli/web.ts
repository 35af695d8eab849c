import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { packageRoot } from '../paths.js'

const root = `${packageRoot}/`

/** Builds the dashboard into dist/web when it is not built yet. Returns false if it could not. */
export function ensureDashboardBuilt(log: (line: string) => void): boolean {
  if (existsSync(`${root}dist/web/index.html`)) return true
  if (!existsSync(`${root}web/vite.config.ts`)) return false
  log('Building the dashboard (first start only)…')
  const result = spawnSync(
    process.execPath,
    [
      `${root}node_modules/vite/bin/vite.js`,
      'build',
      '--config',
      'web/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    { cwd: root, stdio: 'inherit' },
  )
  return result.status === 0 && existsSync(`${root}dist/web/index.html`)
}
