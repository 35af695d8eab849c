// Many accounts in one process: one Cloud account whose API is slow and failing must not hold
// up the others' messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Account } from '../../src/accounts/index.js'
import { startFakeCloudApi, type FakeCloudApi } from '../fakes/cloud-api/index.js'
import {
  listAllMessages,
  startTestLinda,
  virtualPhone,
  waitFor,
  type TestLinda,
} from '../helpers/linda.js'

describe('account isolation on sqlite', () => {
  let t: TestLinda
  const fakes: FakeCloudApi[] = []
  const accounts: Account[] = []

  beforeAll(async () => {
    t = await startTestLinda('sqlite')
    await t.linda.http.listen({ port: 0, host: '127.0.0.1' })
    const address = t.linda.http.server.address()
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    for (let i = 0; i < 11; i++) {
      const meta = await startFakeCloudApi({ phoneNumberId: String(2_000_000 + i) })
      meta.setWebhookUrl(`${base}/webhooks/cloud`)
      fakes.push(meta)
      const res = await t.request<Account>('POST', '/api/v1/accounts', {
        name: `Line ${i}`,
        transport: 'cloud',
        cloud: { ...meta.credentials, graphBaseUrl: meta.url, apiVersion: 'v21.0' },
      })
      expect(res.status, res.body).toBe(201)
      accounts.push(res.json)
    }
  })

  afterAll(async () => {
    // The hanging API goes first, so that Linda's sends to it end and it can stop at once.
    await Promise.all(fakes.map((f) => f.stop()))
    await t?.stop()
  })

  it("keeps ten accounts' replies flowing while the eleventh's API is slow and failing", async () => {
    const broken = fakes[10]!
    // Its API hangs: a send to it never ends within this test.
    broken.setLatency(60_000)
    broken.failNext(1000, 131000)
    // Forty customers write to the broken line first, then five to each healthy one.
    const brokenPhones = Array.from({ length: 40 }, () => virtualPhone())
    for (const from of brokenPhones) {
      expect(await broken.deliver(broken.inboundWebhook({ from, text: 'hi' }))).toBe(200)
    }
    const healthy: Array<{ account: Account; from: string }> = []
    for (let i = 0; i < 10; i++) {
      for (let n = 0; n < 5; n++) {
        const from = virtualPhone()
        healthy.push({ account: accounts[i]!, from })
        expect(await fakes[i]!.deliver(fakes[i]!.inboundWebhook({ from, text: 'hi' }))).toBe(200)
      }
    }
    // Every healthy customer gets an answer at Meta while the broken line is still failing.
    await waitFor(async () => {
      for (const { account, from } of healthy) {
        const replies = await listAllMessages(t, {
          accountId: account.id,
          phone: from,
          direction: 'out',
        })
        expect(replies[0]?.status).toMatch(/^(sent|delivered|read)$/)
      }
    }, 20_000)
    const stuck = await listAllMessages(t, { accountId: accounts[10]!.id, direction: 'out' })
    expect(stuck.some((m) => m.status === 'sent')).toBe(false)
  }, 40_000)
})
