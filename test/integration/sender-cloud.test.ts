// The sender with a Cloud API account against the fake Graph API: the bot's answer marks the
// customer's message read at Meta, and Meta's spam restriction (131048) pauses the number
// until an admin resumes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Account } from '../../src/accounts/index.js'
import { startFakeCloudApi, type FakeCloudApi } from '../fakes/cloud-api/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  connectCloudAccount,
  getMessage,
  listAllMessages,
  startTestLinda,
  waitFor,
  type TestLinda,
} from '../helpers/linda.js'

describe.each(testDialects())('the sender on a Cloud API account on %s', (dialect) => {
  let t: TestLinda
  let meta: FakeCloudApi
  let account: Account

  beforeAll(async () => {
    meta = await startFakeCloudApi()
    t = await startTestLinda(dialect)
    ;({ account } = await connectCloudAccount(t, meta))
  })

  afterAll(async () => {
    await t?.stop()
    await meta?.stop()
  })

  it("marks the customer's message read at Meta when the bot answers it", async () => {
    const from = '+971501112233'
    expect(await meta.deliver(meta.inboundWebhook({ from, text: 'hi' }))).toBe(200)
    const inbound = await waitFor(async () => {
      const [message] = await listAllMessages(t, {
        accountId: account.id,
        phone: from,
        direction: 'in',
      })
      expect(message?.status).toBe('read')
      return message!
    })
    expect(meta.reads).toContain(inbound.externalId)
  })

  it('pauses the number on a spam restriction (131048), and sends again once resumed', async () => {
    const to = '+971504445566'
    // The customer wrote: free-form answers are inside the 24-hour window.
    expect(await meta.deliver(meta.inboundWebhook({ from: to, text: 'order status?' }))).toBe(200)
    meta.failNext(1, 131048)
    const res = await t.request<{ id: string }>('POST', '/api/v1/messages', {
      accountId: account.id,
      to,
      type: 'text',
      text: 'It ships today',
    })
    expect(res.status).toBe(202)
    const paused = await waitFor(async () => {
      const got = await t.request<Account>('GET', `/api/v1/accounts/${account.id}`)
      expect(got.json.health?.sending.status).toBe('paused')
      return got.json.health!.sending
    })
    expect(paused.pauseReason).toMatch(/spam/)
    expect(Date.parse(paused.pausedUntil!) - Date.now()).toBeGreaterThan(55 * 60_000)
    expect(await getMessage(t, res.json.id)).toMatchObject({ status: 'queued', attempts: 0 })

    const resumed = await t.request<Account>(
      'POST',
      `/api/v1/accounts/${account.id}/resume-sending`,
    )
    expect(resumed.json.health?.sending.status).toBe('active')
    await waitFor(async () =>
      expect(['sent', 'delivered', 'read']).toContain((await getMessage(t, res.json.id)).status),
    )
  })
})
