// WhatsApp Web sessions in workers, as `linda start` runs them: Linda from its compiled build
// (dist/server-…, each session's worker from its entry there) in a process of its own, so
// that the memory measured is Linda's alone. The sessions run on the fake socket of the
// tests (compiled here for plain-JavaScript workers), linked by the fake network: nothing
// reaches WhatsApp. Prints one JSON line with what it measured.
//   node bin/run-ts.js bench/baileys-driver.ts SESSIONS RESTARTS
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { build } from 'esbuild'
import type { createLinda as CreateLinda } from '../src/app.js'
import type { loadConfig as LoadConfig } from '../src/config.js'
import type { createLogger as CreateLogger } from '../src/platform/logging.js'
import { FakeBaileysNetwork } from '../test/fakes/baileys/network.js'

const sessions = Number(process.argv[2] ?? 20)
const restarts = Number(process.argv[3] ?? 5)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const round = (n: number) => Math.round(n * 10) / 10
const MB = 1024 * 1024

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) gc()
  // The workers collect on their own time; give them a moment.
  await sleep(2_000)
  return process.memoryUsage().rss
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 120_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

// Linda as built for `linda start`.
const { ensureServerBuilt, holdBuild } = (await import(
  pathToFileURL(join(root, 'bin', 'build-server.js')).href
)) as { ensureServerBuilt(): Promise<string>; holdBuild(entry: string): void }
const entry = await ensureServerBuilt()
holdBuild(entry)
const dist = (file: string) => pathToFileURL(join(dirname(entry), file)).href
const { createLinda } = (await import(dist('app.js'))) as { createLinda: typeof CreateLinda }
const { loadConfig } = (await import(dist('config.js'))) as { loadConfig: typeof LoadConfig }
const { createLogger } = (await import(dist('platform/logging.js'))) as {
  createLogger: typeof CreateLogger
}

// The fake socket, as plain JavaScript for the workers (beside the build: it finds Baileys).
const socketModule = join(root, 'dist', `bench-fake-socket-${process.pid}.mjs`)
await build({
  entryPoints: [join(root, 'test/fakes/baileys/worker-socket.ts')],
  bundle: true,
  packages: 'external',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: socketModule,
  logLevel: 'warning',
})

const network = new FakeBaileysNetwork()
const dataDir = mkdtempSync(join(tmpdir(), 'linda-bench-baileys-'))
const config = loadConfig({ dataDir, port: 0 }, { LINDA_LOG_LEVEL: 'silent' })
const linda = await createLinda(config, {
  logger: createLogger('silent'),
  baileys: {
    socketModule: pathToFileURL(socketModule),
    heartbeat: { intervalMs: 500 },
    // The restart time measured is the session's own (no backoff), and never a crash loop.
    restart: { baseMs: 1, maxMs: 1, maxRestarts: 1_000 },
  },
})
try {
  await linda.start()
  const before = await settledRss()

  const phones: string[] = []
  const ids: string[] = []
  const createMs: number[] = []
  for (let i = 0; i < sessions; i++) {
    const phone = `+1555020${String(i).padStart(4, '0')}`
    const t0 = performance.now()
    const account = await linda.accounts.create({
      name: `Branch ${i}`,
      transport: 'baileys',
      baileys: { phone },
    } as Parameters<typeof linda.accounts.create>[0])
    createMs.push(performance.now() - t0)
    if (account.state !== 'linking') throw new Error(`session ${i} is ${account.state}`)
    phones.push(phone)
    ids.push(account.id)
  }
  for (const [i, id] of ids.entries()) {
    await waitUntil('a QR code', async () => Boolean((await linda.accounts.pairing(id)).qr))
    network.link(id, phones[i]!)
  }
  await waitUntil('every session connected', async () => {
    const states = await Promise.all(ids.map(async (id) => (await linda.accounts.get(id)).state))
    return states.every((s) => s === 'connected')
  })
  // Let every worker report its memory at a heartbeat.
  await sleep(1_500)
  const after = await settledRss()
  const heaps = (
    await linda.metrics.registry.getSingleMetric('linda_baileys_worker_memory_bytes')!.get()
  ).values.filter((v) => v.labels.kind === 'heap')

  // One session restarted at a time: its worker crashes → a new worker, the auth state read
  // back from the database, the socket open again → `connected`.
  const restartMs: number[] = []
  for (let i = 0; i < restarts; i++) {
    const id = ids[i % ids.length]!
    let seenDown = false
    let t1 = 0
    const unsubscribe = linda.events.subscribe('account.state', (e) => {
      if (e.data.id !== id) return
      if (e.data.state === 'reconnecting') seenDown = true
      else if (e.data.state === 'connected' && seenDown) t1 = performance.now()
    })
    const t0 = performance.now()
    network.crash(id, 'throw')
    await waitUntil('the session back', () => t1 > 0)
    unsubscribe()
    restartMs.push(t1 - t0)
  }

  process.stdout.write(
    JSON.stringify({
      sessions,
      createMedianMs: round(median(createMs)),
      rssBeforeMb: round(before / MB),
      rssAfterMb: round(after / MB),
      rssPerSessionMb: round((after - before) / sessions / MB),
      workerHeapMedianMb: round(median(heaps.map((v) => v.value)) / MB),
      restartMedianMs: round(median(restartMs)),
      restartMaxMs: round(Math.max(...restartMs)),
    }) + '\n',
  )
} finally {
  await linda.stop()
  network.close()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(socketModule, { force: true })
}
