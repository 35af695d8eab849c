// A Cloud API account end to end against the fake Graph API on 127.0.0.1: Meta verifies the
// webhook, a customer writes (a signed webhook), the bot answers through the Graph API, and
// Meta's signed status webhooks move the reply to read. Forged, malformed and repeated
// deliveries change nothing they should not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Account } from '../../src/accounts/index.js'
import type { Message } from '../../src/messages/index.js'
import { startFakeCloudApi, type FakeCloudApi } from '../fakes/cloud-api/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  captureLogs,
  listAllMessages,
  connectCloudAccount,
  startTestLinda,
  waitFor,
  type TestLinda,
} from '../helpers/linda.js'

describe.each(testDialects())('Cloud API webhooks on %s', (dialect) => {
  let t: TestLinda
  let meta: FakeCloudApi
  let account: Account
  let base: string
  const logs = captureLogs()

  beforeAll(async () => {
    meta = await startFakeCloudApi()
    t = await startTestLinda(dialect, { logger: logs.logger })
    ;({ account, base } = await connectCloudAccount(t, meta))
  })

  afterAll(async () => {
    await t?.stop()
    await meta?.stop()
  })

  const messagesOf = (phone: string) => listAllMessages(t, { accountId: account.id, phone })

  it("answers Meta's verification with the challenge, and only for a known verify token", async () => {
    const ok = await fetch(
      `${base}/webhooks/cloud?hub.mode=subscribe&hub.verify_token=${meta.credentials.verifyToken}&hub.challenge=1158201444`,
    )
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe('1158201444')
    const wrong = await fetch(
      `${base}/webhooks/cloud?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`,
    )
    expect(wrong.status).toBe(403)
  })

  it('ingests a signed message once, answers it through the Graph API, and follows the receipts to read', async () => {
    const from = '+971501234567'
    const webhook = meta.inboundWebhook({ from, text: 'hi', name: 'Aisha' })
    expect(await meta.deliver(webhook)).toBe(200)
    // Meta delivers again when unsure: the same message is stored once.
    expect(await meta.deliver(webhook)).toBe(200)
    await waitFor(async () => {
      const thread = await messagesOf(from)
      const reply = thread.find((m: Message) => m.direction === 'out')
      expect(reply?.status).toBe('read')
      expect(thread.filter((m: Message) => m.direction === 'in')).toHaveLength(1)
    })
    const sent = meta.sent.filter((s) => s.to.replace(/\D/g, '') === '971501234567')
    expect(sent).toHaveLength(1)
    expect(JSON.stringify(sent[0]?.body)).toContain('Hello')
  })

  it('refuses a forged or unsigned delivery with 401 and stores nothing', async () => {
    const from = '+971509999999'
    const webhook = meta.inboundWebhook({ from, text: 'forged' })
    const forged = await fetch(`${base}/webhooks/cloud`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: webhook.body,
    })
    expect(forged.status).toBe(401)
    const unsigned = await fetch(`${base}/webhooks/cloud`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: webhook.body,
    })
    expect(unsigned.status).toBe(401)
    // The right signature over a changed body is a forgery too.
    const tampered = Buffer.from(webhook.body.toString('utf8').replace('forged', 'FORGED'))
    const replayed = await fetch(`${base}/webhooks/cloud`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': webhook.signature },
      body: tampered,
    })
    expect(replayed.status).toBe(401)
    expect(await messagesOf(from)).toHaveLength(0)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toMatch(/linda_cloud_webhooks_total\{outcome="signature_rejected"\} [3-9]/)
  })

  it('acknowledges a signed but unreadable delivery with 200 so Meta stops retrying, storing nothing', async () => {
    const body = Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: 'x' }))
    const res = await fetch(`${base}/webhooks/cloud`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': meta.sign(body) },
      body,
    })
    expect(res.status).toBe(200)
  })

  it('never shows the credentials in answers or logs', async () => {
    const got = await t.request('GET', `/api/v1/accounts/${account.id}`)
    const text = got.body + logs.text()
    for (const secret of [
      meta.credentials.accessToken,
      meta.credentials.appSecret,
      meta.credentials.verifyToken,
    ]) {
      expect(text).not.toContain(secret)
    }
  })
})
