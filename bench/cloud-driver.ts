// The far side of the Cloud API benchmark, run in its own process so that it does not share
// Linda's core: the fake Graph API and the customers. It prints the fake's address, waits
// for Linda's webhook URL on stdin, then keeps `concurrency` customers writing for `seconds`
// (each waits for its reply before writing again) and prints what it measured.
import { createInterface } from 'node:readline'
import { startFakeCloudApi } from '../test/fakes/cloud-api/index.js'

const concurrency = Number(process.argv[2] ?? 64)
const seconds = Number(process.argv[3] ?? 10)
const waiting = new Map<string, () => void>()
const meta = await startFakeCloudApi({
  onSent: (message) => {
    const done = waiting.get(message.to)
    if (done) {
      waiting.delete(message.to)
      done()
    }
  },
})
process.stdout.write(JSON.stringify({ url: meta.url, credentials: meta.credentials }) + '\n')

const lines = createInterface({ input: process.stdin })
const webhookUrl = await new Promise<string>((resolve) => lines.once('line', resolve))
meta.setWebhookUrl(webhookUrl)

const latencies: number[] = []
let failures = 0
const phone = (customer: number, n: number) =>
  `+1555${String(customer).padStart(3, '0')}${String(n % 10_000).padStart(4, '0')}`

async function customer(id: number, until: number): Promise<void> {
  for (let n = 0; performance.now() < until; n++) {
    const from = phone(id, n)
    const replied = new Promise<void>((resolve) => waiting.set(from, resolve))
    const t0 = performance.now()
    const status = await meta.deliver(meta.inboundWebhook({ from, text: 'hi' })).catch(() => 0)
    if (status !== 200) {
      waiting.delete(from)
      failures++
      continue
    }
    await replied
    latencies.push(performance.now() - t0)
  }
}

// Warm-up, then the measured run.
await Promise.all(
  Array.from({ length: concurrency }, (_, i) => customer(i, performance.now() + 2000)),
)
latencies.length = 0
failures = 0
const start = performance.now()
await Promise.all(
  Array.from({ length: concurrency }, (_, i) => customer(i, performance.now() + seconds * 1000)),
)
const elapsed = (performance.now() - start) / 1000
latencies.sort((a, b) => a - b)
const at = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN
process.stdout.write(
  JSON.stringify({
    replies: latencies.length,
    failures,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50Ms: at(50),
    p95Ms: at(95),
    p99Ms: at(99),
  }) + '\n',
)
await meta.stop()
process.exit(0)
