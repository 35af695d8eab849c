import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const lockFileName = 'linda.pid'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The pid of a live Linda holding this data dir, if any. */
export function runningInstance(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, lockFileName), 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * Claims the data dir for this process: one Linda per SQLite database. Returns the
 * release function; throws when another live process holds it.
 */
export function lockDataDir(dataDir: string): () => void {
  const other = runningInstance(dataDir)
  if (other !== undefined) {
    throw new Error(
      `Another Linda (pid ${other}) is running on ${dataDir}. Stop it first, or use another --data-dir.`,
    )
  }
  const file = join(dataDir, lockFileName)
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 })
  return () => {
    try {
      if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file)
    } catch {
      // Already gone.
    }
  }
}
