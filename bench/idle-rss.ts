// Idle memory: a real `linda start` (as users run it), measured after it settles.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN)
  return Math.round((kb / 1024) * 10) / 10
}

export async function benchIdleRss(settleMs = 5000): Promise<{ idleRssMb: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'linda-bench-idle-'))
  const port = await freePort()
  const child = spawn(
    process.execPath,
    ['bin/linda.js', 'start', '--port', String(port), '--data-dir', dataDir],
    { env: { ...process.env, LINDA_LOG_LEVEL: 'warn' }, stdio: 'ignore' },
  )
  try {
    const deadline = Date.now() + 60_000
    for (;;) {
      if (Date.now() > deadline) throw new Error('linda did not become ready in 60 s')
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`)
        if (res.ok) break
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200))
    }
    await new Promise((r) => setTimeout(r, settleMs))
    return { idleRssMb: rssMb(child.pid!) }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    rmSync(dataDir, { recursive: true, force: true })
  }
}
