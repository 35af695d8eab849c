// Many accounts in one process: how long creating an account takes (through the API, with
// its transport connected), and what each connected account costs in memory.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createLinda } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/platform/logging.js'
import { SERVICE_USER_ID } from '../src/users/index.js'
import { startFakeCloudApi } from '../test/fakes/cloud-api/index.js'

export interface AccountsResult {
  accounts: number
  createMedianMs: number
  createP95Ms: number
  heapPerAccountKb: number
  rssPerAccountKb: number
}

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function settle(): { heap: number; rss: number } {
  for (let i = 0; i < 3; i++) gc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, rss: m.rss }
}

export async function benchAccounts(options: {
  accounts: number
  log: (line: string) => void
}): Promise<AccountsResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'linda-bench-accounts-'))
  const config = loadConfig(
    { dataDir, port: 0 },
    { LINDA_LOG_LEVEL: 'silent', LINDA_RATE_LIMIT: '0' },
  )
  const linda = await createLinda(config, { logger: createLogger('silent') })
  const fakes = await Promise.all(
    Array.from({ length: Math.ceil(options.accounts / 2) + 2 }, (_, i) =>
      startFakeCloudApi({ phoneNumberId: String(1_000_000 + i) }),
    ),
  )
  try {
    await linda.start()
    const key = (
      await linda.apiKeys.create({ name: 'bench', userId: SERVICE_USER_ID, role: 'owner' })
    ).key
    options.log(`accounts: creating ${options.accounts} (half sandbox, half Cloud API)…`)
    const times: number[] = []
    let before = settle()
    // The first few accounts warm up code paths and caches; they are not counted.
    const warmUp = 4
    for (let i = 0; i < options.accounts + warmUp; i++) {
      if (i === warmUp) {
        times.length = 0
        before = settle()
      }
      const fake = fakes[Math.floor(i / 2)]!
      const body =
        i % 2 === 0
          ? { name: `Sandbox ${i}`, transport: 'sandbox' }
          : {
              name: `Cloud ${i}`,
              transport: 'cloud',
              cloud: { ...fake.credentials, graphBaseUrl: fake.url, apiVersion: 'v21.0' },
            }
      const t0 = performance.now()
      const res = await linda.http.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        headers: { authorization: `Bearer ${key}` },
        payload: body,
      })
      times.push(performance.now() - t0)
      const state = (res.json() as { state?: string }).state
      if (res.statusCode !== 201 || state !== 'connected') {
        throw new Error(`account ${i}: ${res.statusCode} ${state ?? res.body}`)
      }
    }
    const after = settle()
    times.sort((a, b) => a - b)
    const round = (n: number) => Math.round(n * 100) / 100
    return {
      accounts: options.accounts,
      createMedianMs: round(times[Math.floor(times.length / 2)]!),
      createP95Ms: round(times[Math.ceil(times.length * 0.95) - 1]!),
      heapPerAccountKb: Math.round((after.heap - before.heap) / options.accounts / 1024),
      rssPerAccountKb: Math.round((after.rss - before.rss) / options.accounts / 1024),
    }
  } finally {
    await linda.stop()
    await Promise.all(fakes.map((f) => f.stop()))
    rmSync(dataDir, { recursive: true, force: true })
  }
}
