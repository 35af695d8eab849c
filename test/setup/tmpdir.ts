// Vitest global setup: one temp directory per test run. test/helpers/databases.ts creates
// freshDataDir() directories inside it, and the whole thing is removed at teardown (or when the
// vitest process exits), so a run never leaves data dirs behind in os.tmpdir().
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { cancelWatchdog, startWatchdog } from './system.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Per-run temp directory, removed after the run. */
    testTmpRoot: string
  }
}

export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(tmpdir(), 'linda-test-run-'))
  const cleanup = () => rmSync(root, { recursive: true, force: true })
  process.on('exit', cleanup)
  // Also when vitest is killed outright (no 'exit' event).
  const watchdog = startWatchdog('linda-tmp-watchdog', 'rm -rf "$1"', [root])
  project.provide('testTmpRoot', root)
  return () => {
    process.off('exit', cleanup)
    cleanup()
    cancelWatchdog(watchdog)
  }
}
