// WhatsApp Web sessions in workers: what each costs in memory, and how long one takes to be
// restored after its worker crashed. Measured in a process of its own (baileys-driver.ts).
import { spawn } from 'node:child_process'

export interface BaileysSessionsResult {
  sessions: number
  /** Creating an account, its worker started and its session linking. */
  createMedianMs: number
  rssBeforeMb: number
  rssAfterMb: number
  /** Resident memory of the process, per session (worker, Baileys, socket), after settling. */
  rssPerSessionMb: number
  /** V8 heap of one session's worker, as its heartbeat reports it. */
  workerHeapMedianMb: number
  /** A session's worker crashes → a new worker, its auth read back → `connected` again. */
  restartMedianMs: number
  restartMaxMs: number
}

export async function benchBaileysSessions(options: {
  sessions: number
  restarts: number
  log: (line: string) => void
}): Promise<BaileysSessionsResult> {
  options.log(
    `WhatsApp Web: ${options.sessions} sessions in workers, ${options.restarts} restarts…`,
  )
  const driver = spawn(
    process.execPath,
    [
      'bin/run-ts.js',
      'bench/baileys-driver.ts',
      String(options.sessions),
      String(options.restarts),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let output = ''
  driver.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const code = await new Promise<number | null>((resolve, reject) => {
    driver.once('error', reject)
    driver.once('close', resolve)
  })
  if (code !== 0) throw new Error(`bench/baileys-driver.ts exited with ${String(code)}`)
  return JSON.parse(output.trim().split('\n').at(-1)!) as BaileysSessionsResult
}
