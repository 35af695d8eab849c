// What signing in and checking credentials cost: a sign-in (argon2id verify, a new session),
// and an authenticated request with a session cookie and with an API key.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLinda } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/platform/logging.js'

export interface AuthResult {
  signInMedianMs: number
  signInP95Ms: number
  sessionRequestsPerSecond: number
  keyRequestsPerSecond: number
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0
}

const round = (n: number) => Math.round(n * 10) / 10

export async function benchAuth(options: {
  signIns: number
  requests: number
  log: (line: string) => void
}): Promise<AuthResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'linda-bench-auth-'))
  const key = `linda_bench_${'k'.repeat(24)}`
  const config = loadConfig(
    { dataDir, port: 0 },
    { LINDA_LOG_LEVEL: 'silent', LINDA_RATE_LIMIT: '0', LINDA_BOOTSTRAP_API_KEY: key },
  )
  const linda = await createLinda(config, { logger: createLogger('silent') })
  try {
    const token = linda.ownerSetupLink?.token
    if (!token) throw new Error('bench: no setup link')
    const email = 'bench@example.com'
    const password = 'correct horse battery staple'
    await linda.users.completeLink(token, { email, name: 'Bench', password })

    options.log(`auth: ${options.signIns} sign-ins…`)
    const times: number[] = []
    let cookie = ''
    for (let i = 0; i < options.signIns; i++) {
      const t0 = performance.now()
      const res = await linda.http.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password },
      })
      times.push(performance.now() - t0)
      if (res.statusCode !== 200) throw new Error(`bench sign-in: ${res.statusCode} ${res.body}`)
      cookie = String(res.headers['set-cookie']).split(';')[0]!
    }
    times.sort((a, b) => a - b)

    const rate = async (headers: Record<string, string>) => {
      const t0 = performance.now()
      for (let i = 0; i < options.requests; i++) {
        const res = await linda.http.inject({ method: 'GET', url: '/api/v1/auth/me', headers })
        if (res.statusCode !== 200) throw new Error(`bench /auth/me: ${res.statusCode}`)
      }
      return Math.round((options.requests / (performance.now() - t0)) * 1000)
    }
    options.log(`auth: ${options.requests} requests with a session, then with a key…`)
    const sessionRequestsPerSecond = await rate({ cookie })
    const keyRequestsPerSecond = await rate({ authorization: `Bearer ${key}` })
    return {
      signInMedianMs: round(percentile(times, 50)),
      signInP95Ms: round(percentile(times, 95)),
      sessionRequestsPerSecond,
      keyRequestsPerSecond,
    }
  } finally {
    await linda.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
