// Managing accounts from WhatsApp: the admin numbers of an account may ask for its status and
// the list of accounts, and remove one; anyone else is told the commands are for admins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Message } from '../../src/messages/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  contactWrites,
  startTestLinda,
  virtualPhone,
  waitForReplies,
  type TestLinda,
} from '../helpers/linda.js'

describe.each(testDialects())('account commands on %s', (dialect) => {
  let t: TestLinda
  const admin = virtualPhone()

  beforeAll(async () => {
    t = await startTestLinda(dialect)
    await t.setAccountSettings({ adminNumbers: [admin] })
    const other = await t.request('POST', '/api/v1/accounts', {
      name: 'Support',
      transport: 'sandbox',
    })
    expect(other.status).toBe(201)
  })

  afterAll(async () => {
    await t?.stop()
  })

  /** Sends `text` as `from` and waits for the reply that follows it. */
  async function ask(from: string, text: string): Promise<string> {
    const before = (await waitForReplies(t, from, () => true)).length
    await contactWrites(t, from, text)
    const replies = await waitForReplies(t, from, (r: Message[]) => r.length > before)
    return replies[0]!.text ?? ''
  }

  it('lists the accounts and their states for an admin', async () => {
    const reply = await ask(admin, '!accounts')
    expect(reply).toContain('Sandbox')
    expect(reply).toContain('Support')
    expect(reply).toContain('connected')
  })

  it("tells an admin this account's state", async () => {
    expect(await ask(admin, '!status')).toMatch(
      /Sandbox.*connected[\s\S]*2 of 2 accounts connected/,
    )
  })

  it('refuses the admin commands to anyone else, and leaves them out of their help', async () => {
    const stranger = virtualPhone()
    expect(await ask(stranger, '!accounts')).toContain("Only this account's admins")
    const help = await ask(stranger, '!help')
    expect(help).toContain('!ping')
    expect(help).not.toContain('!accounts')
    expect(await ask(admin, '!help')).toContain('!accounts')
  })

  it('answers a bad or unknown number for add and remove with the reason', async () => {
    expect(await ask(admin, '!add-account 12')).toMatch(/phone number/i)
    expect(await ask(admin, '!remove-account +15550009999')).toContain('No account has the number')
    expect(await ask(admin, '!remove-account')).toContain('Usage')
  })
})
