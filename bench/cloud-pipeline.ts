// Cloud API end to end on loopback: a signed webhook in → the message stored → the greeting
// rule → the reply sent to the (fake) Graph API, with Meta's status webhooks flowing back.
// Linda runs here; the fake Graph API and the customers run in a child process.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createLinda } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/platform/logging.js'

export interface CloudPipelineResult {
  concurrency: number
  replies: number
  failures: number
  messagesPerSecond: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
}

export async function benchCloudPipeline(options: {
  concurrency: number
  seconds: number
  log: (line: string) => void
}): Promise<CloudPipelineResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'linda-bench-cloud-'))
  const config = loadConfig(
    { dataDir, port: 0 },
    { LINDA_LOG_LEVEL: 'silent', LINDA_RATE_LIMIT: '0' },
  )
  const linda = await createLinda(config, { logger: createLogger('silent') })
  const driver = spawn(
    process.execPath,
    [
      'bin/run-ts.js',
      'bench/cloud-driver.ts',
      String(options.concurrency),
      String(options.seconds),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const lines = createInterface({ input: driver.stdout })
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve))
  try {
    const fake = JSON.parse(await next()) as {
      url: string
      credentials: Record<string, string>
    }
    await linda.start()
    await linda.http.listen({ port: 0, host: '127.0.0.1' })
    const port = (linda.http.server.address() as AddressInfo).port
    const account = await linda.accounts.create({
      name: 'Bench',
      transport: 'cloud',
      cloud: { ...fake.credentials, graphBaseUrl: fake.url, apiVersion: 'v21.0' },
    } as Parameters<typeof linda.accounts.create>[0])
    if (account.state !== 'connected') throw new Error(`cloud account is ${account.state}`)
    options.log(`cloud: ${options.concurrency} customers for ${options.seconds} s…`)
    driver.stdin.write(`http://127.0.0.1:${port}/webhooks/cloud\n`)
    const result = JSON.parse(await next()) as {
      replies: number
      failures: number
      perSecond: number
      p50Ms: number
      p95Ms: number
      p99Ms: number
    }
    const round = (n: number) => Math.round(n * 100) / 100
    return {
      concurrency: options.concurrency,
      replies: result.replies,
      failures: result.failures,
      messagesPerSecond: Math.round(result.perSecond),
      p50Ms: round(result.p50Ms),
      p95Ms: round(result.p95Ms),
      p99Ms: round(result.p99Ms),
    }
  } finally {
    driver.kill()
    await linda.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
