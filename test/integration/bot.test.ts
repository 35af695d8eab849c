// The bot dispatcher end to end, through the HTTP API and the sandbox: opt-out and opt-in,
// commands, rules (priority, conditions, actions, cooldown), the fallback, bot pause, the
// loop guard, groups, the order of replies, and simulations that change nothing.
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Decision } from '../../src/bot/index.js'
import type { Rule } from '../../src/bot/rules.schemas.js'
import { signBody } from '../../src/bot/webhook.js'
import type { Message } from '../../src/messages/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  contactWrites,
  listAllMessages,
  startTestLinda,
  virtualPhone,
  waitFor,
  waitForReplies,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

/** A JSON column: text on SQLite, parsed already on PostgreSQL. */
const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value)

describe.each(testDialects())('the bot on %s', (dialect) => {
  let t: TestLinda
  const hooks: Array<{ body: string; signature: string | undefined }> = []
  const hookServer = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      hooks.push({ body, signature: req.headers['x-linda-signature'] as string | undefined })
      res.statusCode = 204
      res.end()
    })
  })
  let hookUrl = ''

  beforeAll(async () => {
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve))
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`
    t = await startTestLinda(dialect, { env: { LINDA_WEBHOOKS_ALLOW_LOOPBACK: 'true' } })
  })

  afterAll(async () => {
    await t?.stop()
    hookServer.closeAllConnections()
    await new Promise((resolve) => hookServer.close(resolve))
  })

  async function createRule(body: Record<string, unknown>): Promise<Rule> {
    const res = await t.request<Rule>('POST', '/api/v1/rules', body)
    if (res.status !== 201) throw new Error(`create rule: ${res.status} ${res.body}`)
    return res.json
  }

  /** Texts `phone` received, oldest first. */
  async function received(phone: string): Promise<string[]> {
    const replies = await listAllMessages(t, { phone, direction: 'out' })
    return replies.map((m) => m.text ?? '').reverse()
  }

  /** Writes `text` as `from` and waits until `from` has received `count` replies in all. */
  async function say(from: string, text: string, count: number): Promise<string[]> {
    await contactWrites(t, from, text)
    await waitForReplies(t, from, (r: Message[]) => r.length >= count)
    return received(from)
  }

  async function contactRow(phone: string) {
    return t.linda.db.db
      .selectFrom('contacts')
      .selectAll()
      .where('phone', '=', phone)
      .executeTakeFirstOrThrow()
  }

  it('opts a contact out with STOP, confirms once, and opts it back in with START', async () => {
    const phone = virtualPhone()
    expect(await say(phone, 'STOP', 1)).toEqual([
      'You will not receive messages from us any more. Send START to receive them again.',
    ])
    const out = await contactRow(phone)
    expect(out.opted_out).toBe(1)
    expect(out.opted_out_source).toBe('keyword')
    expect(out.opted_out_at).not.toBeNull()
    // A second STOP changes nothing and is not answered: the next reply is !ping's.
    await contactWrites(t, phone, 'stop')
    const afterPing = await say(phone, '!ping', 2)
    expect(afterPing[1]).toMatch(/^pong/)
    const back = await say(phone, 'Start', 3)
    expect(back[2]).toContain('Welcome back')
    expect((await contactRow(phone)).opted_out).toBe(0)
  })

  it('confirms an opt-out in the language of the keyword or of the contact', async () => {
    const spanish = virtualPhone()
    expect((await say(spanish, 'BAJA', 1))[0]).toBe(
      'Ya no recibirás más mensajes nuestros. Envía START para volver a recibirlos.',
    )
    const arabic = virtualPhone()
    expect((await say(arabic, 'توقف', 1))[0]).toContain('لن تصلك رسائلنا')
    const french = virtualPhone()
    await say(french, '!lang fr', 1)
    expect((await contactRow(french)).language).toBe('fr')
    expect((await say(french, 'STOP', 2))[1]).toBe(
      'Vous ne recevrez plus nos messages. Envoyez START pour les recevoir à nouveau.',
    )
  })

  it('suggests the closest command, and answers help in the contact language', async () => {
    const phone = virtualPhone()
    const [unknown] = await say(phone, '!hlep', 1)
    expect(unknown).toBe(
      "I don't know the command !hlep. Did you mean !help? Send !help to see what I can do.",
    )
    await say(phone, '!lang es', 2)
    const help = (await say(phone, '!help', 3))[2]!
    expect(help.split('\n')[0]).toBe('Comandos:')
    expect(help).toContain('!lang <code> — Elige el idioma en el que respondo')
    expect((await say(phone, '!report the app crashes', 4))[3]).toContain('no están disponibles')
  })

  it('lists the commands with their permissions', async () => {
    const res = await t.request<{
      prefix: string
      items: Array<{ name: string; permission: string }>
    }>('GET', '/api/v1/commands?language=fr')
    expect(res.status).toBe(200)
    expect(res.json.prefix).toBe('!')
    const byName = Object.fromEntries(res.json.items.map((c) => [c.name, c]))
    expect(byName.help?.permission).toBe('anyone')
    expect(byName.accounts?.permission).toBe('admin')
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['lang', 'report', 'ping']))
  })

  it('fires the rule of highest priority, and runs its actions in order', async () => {
    const phone = virtualPhone()
    await createRule({
      name: 'Low',
      match: { type: 'keyword', value: 'pricing' },
      actions: [{ type: 'reply', text: 'low' }],
      priority: 1,
    })
    await createRule({
      name: 'High',
      match: { type: 'contains', value: 'pricing' },
      actions: [
        { type: 'reply', text: 'See our prices' },
        { type: 'addTags', tags: ['lead', 'pricing'] },
        { type: 'setAttribute', key: 'interest', value: 'pricing' },
        { type: 'reply', content: { type: 'image', media: { link: 'https://example.com/p.png' } } },
        { type: 'webhook', url: hookUrl, secret: 'sixteen-chars-secret' },
      ],
      priority: 50,
    })
    const replies = await say(phone, 'What is your PRICING?', 2)
    expect(replies[0]).toBe('See our prices')
    const all = await listAllMessages(t, { phone, direction: 'out' })
    expect(all.map((m) => m.type).sort()).toEqual(['image', 'text'])
    const contact = await contactRow(phone)
    expect(json(contact.tags)).toEqual(['lead', 'pricing'])
    expect(json(contact.attributes)).toEqual({ interest: 'pricing' })
    await waitFor(() => expect(hooks.some((h) => h.body.includes(phone))).toBe(true))
    const hook = hooks.find((h) => h.body.includes(phone))!
    expect(hook.signature).toBe(signBody(hook.body, 'sixteen-chars-secret'))
    expect(JSON.parse(hook.body)).toMatchObject({
      event: 'rule.fired',
      rule: { name: 'High' },
      message: { from: phone, text: 'What is your PRICING?' },
      contact: { tags: ['lead', 'pricing'] },
    })
  })

  it('never shows a webhook secret, and keeps it through a PATCH that leaves it out', async () => {
    const rule = await createRule({
      name: 'Hook',
      match: { type: 'exact', value: 'hook me zz' },
      actions: [{ type: 'webhook', url: hookUrl, secret: 'another-16-char-secret' }],
    })
    expect(JSON.stringify(rule)).not.toContain('another-16-char-secret')
    expect(rule.actions[0]).toMatchObject({ type: 'webhook', signed: true })
    const patched = await t.request<Rule>('PATCH', `/api/v1/rules/${rule.id}`, {
      actions: [{ type: 'webhook', url: hookUrl }],
    })
    expect(patched.json.actions[0]).toMatchObject({ signed: true })
  })

  it('refuses a webhook to a private network, naming the field', async () => {
    const res = await t.request<Problem>('POST', '/api/v1/rules', {
      name: 'Inward',
      match: { type: 'any' },
      actions: [{ type: 'webhook', url: 'http://192.168.1.10/admin' }],
    })
    expect(res.status).toBe(400)
    expect(res.json.errors).toEqual([
      { path: 'body.actions.0.url', message: expect.stringContaining('private') },
    ])
  })

  it('refuses a catastrophic regex at write time and answers with a safe one', async () => {
    const bad = await t.request<Problem>('POST', '/api/v1/rules', {
      name: 'ReDoS',
      match: { type: 'regex', value: '^(a+)+$' },
      actions: [{ type: 'reply', text: 'x' }],
    })
    expect(bad.status).toBe(400)
    expect(bad.json.errors?.[0]?.path).toBe('body.match.value')
    await createRule({
      name: 'Order number',
      match: { type: 'regex', value: '^order #?\\d{4,8}$' },
      actions: [{ type: 'reply', text: 'Looking up your order' }],
    })
    const phone = virtualPhone()
    expect(await say(phone, 'ORDER #12345', 1)).toEqual(['Looking up your order'])
  })

  it('applies conditions: tags, first message and language', async () => {
    await createRule({
      name: 'VIP',
      match: { type: 'keyword', value: 'zebra' },
      conditions: { tags: { all: ['vip'] } },
      actions: [{ type: 'reply', text: 'Hello VIP' }],
      priority: 10,
    })
    await createRule({
      name: 'Make VIP',
      match: { type: 'keyword', value: 'zebra' },
      actions: [
        { type: 'reply', text: 'You are VIP now' },
        { type: 'addTags', tags: ['vip'] },
      ],
      priority: 5,
    })
    await createRule({
      name: 'Portuguese',
      match: { type: 'keyword', value: 'ornitorrinco' },
      conditions: { languages: ['pt'] },
      actions: [{ type: 'reply', text: 'Olá' }],
    })
    const phone = virtualPhone()
    expect(await say(phone, 'zebra', 1)).toEqual(['You are VIP now'])
    expect(await say(phone, 'zebra', 2)).toEqual(['You are VIP now', 'Hello VIP'])
    await contactWrites(t, phone, 'ornitorrinco') // not Portuguese yet: no answer
    await say(phone, '!lang pt', 3)
    expect((await say(phone, 'ornitorrinco', 4))[3]).toBe('Olá')
  })

  it('welcomes only a first message', async () => {
    const account = await t.request<{ id: string }>('POST', '/api/v1/accounts', {
      name: 'Welcome desk',
      transport: 'sandbox',
    })
    await t.request('POST', `/api/v1/accounts/${account.json.id}/connect`)
    await createRule({
      name: 'Welcome',
      accountId: account.json.id,
      match: { type: 'any' },
      conditions: { firstMessage: true },
      actions: [{ type: 'reply', text: 'Welcome, first-timer!' }],
      priority: 100,
    })
    const phone = virtualPhone()
    const write = (text: string) =>
      t.request('POST', `/api/v1/sandbox/${account.json.id}/inbound`, { from: phone, text })
    await waitFor(async () => expect((await write('good morning')).status).toBe(202))
    await waitForReplies(t, phone, (r) => r.length >= 1)
    await write('!ping')
    const replies = await waitForReplies(t, phone, (r) => r.length >= 2)
    expect(replies.map((r) => r.text).reverse()[0]).toBe('Welcome, first-timer!')
    expect(replies[0]!.text).toMatch(/^pong/)
  })

  it('keeps a rule quiet for a contact during its cooldown', async () => {
    await createRule({
      name: 'Cooldown',
      match: { type: 'keyword', value: 'quokka' },
      actions: [{ type: 'reply', text: 'Quokka fact' }],
      cooldownSeconds: 3600,
    })
    const phone = virtualPhone()
    expect(await say(phone, 'quokka', 1)).toEqual(['Quokka fact'])
    await contactWrites(t, phone, 'quokka')
    const replies = await say(phone, '!ping', 2)
    expect(replies[1]).toMatch(/^pong/)
    // Another contact is not held back by the first one's cooldown.
    expect(await say(virtualPhone(), 'quokka', 1)).toEqual(['Quokka fact'])
  })

  it('sends the fallback reply when set, and nothing when not', async () => {
    const phone = virtualPhone()
    await contactWrites(t, phone, 'blorp')
    const set = await t.request('PATCH', `/api/v1/bot/settings/${t.accountId}`, {
      fallbackReply: 'Sorry, I did not get that.',
    })
    expect(set.status).toBe(200)
    expect(await say(phone, 'blorp again', 1)).toEqual(['Sorry, I did not get that.'])
    await t.request('PATCH', `/api/v1/bot/settings/${t.accountId}`, { fallbackReply: null })
  })

  it('stops answering once a rule pauses the bot in the conversation', async () => {
    await createRule({
      name: 'Human please',
      match: { type: 'keyword', value: 'agent' },
      actions: [
        { type: 'reply', text: 'A person will answer you soon.' },
        { type: 'assign', assigneeId: 'user_42' },
        { type: 'pauseBot' },
      ],
      priority: 900,
    })
    const phone = virtualPhone()
    expect(await say(phone, 'I want an agent', 1)).toEqual(['A person will answer you soon.'])
    const conversation = await t.linda.db.db
      .selectFrom('conversations')
      .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
      .select(['conversations.bot_paused', 'conversations.assignee_id'])
      .where('contacts.phone', '=', phone)
      .executeTakeFirstOrThrow()
    expect(conversation).toEqual({ bot_paused: 1, assignee_id: 'user_42' })
    const { id } = await contactWrites(t, phone, '!ping')
    const sim = await t.request<Decision>('POST', '/api/v1/bot/simulate', {
      accountId: t.accountId,
      from: phone,
      text: '!ping',
    })
    expect(sim.json.botPaused).toBe(true)
    // The job of the !ping ran (it is gone from the queue) without an answer.
    await waitFor(async () => {
      const jobs = await t.linda.db.db
        .selectFrom('jobs')
        .select('id')
        .where('queue', '=', 'message.process')
        .execute()
      expect(jobs.length).toBe(0)
    })
    expect(id).toBeTruthy()
    expect(await received(phone)).toEqual(['A person will answer you soon.'])
  })

  it('caps automatic replies per conversation per minute (the loop guard)', async () => {
    const account = await t.request<{ id: string }>('POST', '/api/v1/accounts', {
      name: 'Loop',
      transport: 'sandbox',
    })
    const accountId = account.json.id
    await t.request('POST', `/api/v1/accounts/${accountId}/connect`)
    await t.request('PATCH', `/api/v1/bot/settings/${accountId}`, { maxAutoRepliesPerMinute: 3 })
    const phone = virtualPhone()
    for (let i = 0; i < 6; i++) {
      await waitFor(async () => {
        const res = await t.request('POST', `/api/v1/sandbox/${accountId}/inbound`, {
          from: phone,
          text: '!ping',
        })
        expect(res.status).toBe(202)
      })
    }
    await waitFor(async () => {
      const jobs = await t.linda.db.db
        .selectFrom('jobs')
        .select('id')
        .where('queue', '=', 'message.process')
        .execute()
      expect(jobs.length).toBe(0)
      expect((await received(phone)).length).toBe(3)
    })
    const sim = await t.request<Decision>('POST', '/api/v1/bot/simulate', {
      accountId,
      from: phone,
      text: '!ping',
    })
    expect(sim.json).toMatchObject({ handledBy: 'none', loopGuard: true })
  })

  it('answers one conversation in the order its messages came', async () => {
    await createRule({
      name: 'Numbers',
      match: { type: 'regex', value: '^n(\\d)$' },
      actions: [{ type: 'reply', text: 'number' }],
    })
    for (const [word, digit] of [
      ['uno', '1'],
      ['dos', '2'],
      ['tres', '3'],
      ['cuatro', '4'],
    ]) {
      await createRule({
        name: `n${digit}`,
        match: { type: 'exact', value: word },
        actions: [{ type: 'reply', text: digit! }],
      })
    }
    const phone = virtualPhone()
    for (const word of ['uno', 'dos', 'tres', 'cuatro']) await contactWrites(t, phone, word)
    await waitForReplies(t, phone, (r) => r.length >= 4)
    const replies = await listAllMessages(t, { phone, direction: 'out' })
    const byTime = [...replies].sort((a, b) =>
      a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1,
    )
    expect(byTime.map((m) => m.text)).toEqual(['1', '2', '3', '4'])
  })

  it('answers in a group only where enabled, and when mentioned or commanded', async () => {
    const phone = virtualPhone()
    const write = (text: string, group: { id: string; mentionsAccount: boolean }) =>
      t.request('POST', `/api/v1/sandbox/${t.accountId}/inbound`, { from: phone, text, group })
    const simulate = (text: string, group: { id: string; mentionsAccount: boolean }) =>
      t
        .request<Decision>('POST', '/api/v1/bot/simulate', {
          accountId: t.accountId,
          from: phone,
          text,
          group,
        })
        .then((r) => r.json)
    expect(await simulate('!ping', { id: 'team@g.us', mentionsAccount: true })).toMatchObject({
      handledBy: 'ignored',
      reason: expect.stringContaining('not enabled'),
    })
    await t.request('PATCH', `/api/v1/bot/settings/${t.accountId}`, {
      groups: { enabled: ['team@g.us'] },
    })
    expect(await simulate('zebra', { id: 'team@g.us', mentionsAccount: false })).toMatchObject({
      handledBy: 'ignored',
      reason: expect.stringContaining('mention'),
    })
    expect(await simulate('zebra', { id: 'team@g.us', mentionsAccount: true })).toMatchObject({
      handledBy: 'rule',
    })
    await write('zebra', { id: 'other@g.us', mentionsAccount: true })
    await write('zebra', { id: 'team@g.us', mentionsAccount: false })
    await write('!ping', { id: 'team@g.us', mentionsAccount: false })
    const replies = await waitForReplies(t, phone, (r) => r.length >= 1)
    expect(replies.map((r) => r.text)).toEqual([expect.stringMatching(/^pong/)])
  })

  it('simulates without sending or storing anything', async () => {
    const phone = virtualPhone()
    const countRows = async () => ({
      messages: Number(
        (
          await t.linda.db.db
            .selectFrom('messages')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      contacts: Number(
        (
          await t.linda.db.db
            .selectFrom('contacts')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    })
    const before = await countRows()
    const stop = await t.request<Decision>('POST', '/api/v1/bot/simulate', {
      accountId: t.accountId,
      from: phone,
      text: 'unsubscribe',
    })
    expect(stop.status).toBe(200)
    expect(stop.json).toMatchObject({
      handledBy: 'optOut',
      sends: [{ type: 'text', text: expect.stringContaining('START') }],
    })
    const rule = await t.request<Decision>('POST', '/api/v1/bot/simulate', {
      accountId: t.accountId,
      from: phone,
      text: 'pricing?',
    })
    expect(rule.json).toMatchObject({
      handledBy: 'rule',
      rule: { name: 'High' },
      sends: [
        { type: 'text', text: 'See our prices' },
        { type: 'image', media: { link: 'https://example.com/p.png' } },
      ],
      effects: expect.arrayContaining([
        { type: 'addTags', detail: 'lead, pricing' },
        { type: 'webhook', detail: `POST ${hookUrl}` },
      ]),
    })
    const lang = await t.request<Decision>('POST', '/api/v1/bot/simulate', {
      accountId: t.accountId,
      from: phone,
      text: '!lang es',
    })
    expect(lang.json.command).toEqual({ name: 'lang', known: true, allowed: true, ran: false })
    expect(await countRows()).toEqual(before)
    const hooksBefore = hooks.length
    expect(hooks.length).toBe(hooksBefore)
  })

  it("never answers the account's own number", async () => {
    const own = virtualPhone()
    const account = await t.request<{ id: string }>('POST', '/api/v1/accounts', {
      name: 'Own number',
      transport: 'baileys',
      baileys: { phone: own },
    })
    expect(account.status).toBe(201)
    const sim = await t.request<Decision>('POST', '/api/v1/bot/simulate', {
      accountId: account.json.id,
      from: own,
      text: '!ping',
    })
    expect(sim.json).toMatchObject({ handledBy: 'ignored', reason: "the account's own message" })
  })

  it('changes nothing in any simulation, whatever the message', async () => {
    // (Not the jobs table: the earlier reply's send and receipts are still settling there.)
    const tables = [
      'messages',
      'contacts',
      'conversations',
      'bot_rule_fires',
      'bot_reply_windows',
    ] as const
    const snapshot = async () => {
      const counts: Record<string, number> = {}
      for (const table of tables) {
        const row = await t.linda.db.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
        counts[table] = Number(row.n)
      }
      const contacts = await t.linda.db.db
        .selectFrom('contacts')
        .select(['phone', 'opted_out', 'language', 'tags', 'attributes'])
        .orderBy('phone')
        .execute()
      return JSON.stringify({ counts, contacts })
    }
    const known = virtualPhone()
    await say(known, '!ping', 1)
    const before = await snapshot()
    const texts = fc.oneof(
      fc.constantFrom('STOP', 'start', 'BAJA', '!lang es', '!help', '!hlep', 'pricing', 'agent'),
      fc.constantFrom('zebra', 'quokka', 'I want an agent', 'ORDER #1234', 'uno', '!report x'),
      fc.string({ maxLength: 60 }),
    )
    await fc.assert(
      fc.asyncProperty(texts, fc.boolean(), async (text, existing) => {
        const res = await t.request<Decision>('POST', '/api/v1/bot/simulate', {
          accountId: t.accountId,
          from: existing ? known : '+15550007777',
          text,
        })
        expect(res.status).toBe(200)
      }),
      { numRuns: 40 },
    )
    expect(await snapshot()).toBe(before)
  })

  it('refuses to simulate for an unknown account or a bad number', async () => {
    const none = await t.request<Problem>('POST', '/api/v1/bot/simulate', {
      accountId: 'nope',
      from: '+15550001111',
      text: 'hi',
    })
    expect(none.status).toBe(404)
    const bad = await t.request<Problem>('POST', '/api/v1/bot/simulate', {
      accountId: t.accountId,
      from: 'not a number',
      text: 'hi',
    })
    expect(bad.status).toBe(422)
    expect(bad.json.errors?.[0]?.path).toBe('body.from')
  })

  it('sees a rule written by another process', async () => {
    // A second bot on the same database stands for another Linda process.
    const { BotService } = await import('../../src/bot/index.js')
    const other = new BotService({
      db: t.linda.db.db,
      accounts: t.linda.accounts,
      messages: t.linda.messages,
      logger: t.linda.logger,
    })
    await other.createRule({
      name: 'From elsewhere',
      accountId: null,
      match: { type: 'keyword', value: 'axolotl' },
      conditions: {},
      actions: [{ type: 'reply', text: 'Axolotls regrow limbs' }],
      priority: 0,
      enabled: true,
      cooldownSeconds: 0,
    })
    const phone = virtualPhone()
    await waitFor(async () => {
      const sim = await t.request<Decision>('POST', '/api/v1/bot/simulate', {
        accountId: t.accountId,
        from: phone,
        text: 'an axolotl!',
      })
      expect(sim.json.rule?.name).toBe('From elsewhere')
    })
  })

  it('keeps bot settings per scope, names bad ones and changes nothing then', async () => {
    const bad = await t.request<Problem>('PATCH', '/api/v1/bot/settings', {
      commandPrefix: 'go',
      maxAutoRepliesPerMinute: 0,
    })
    expect(bad.status).toBe(400)
    expect(bad.json.errors?.map((e) => e.path).sort()).toEqual([
      'body.commandPrefix',
      'body.maxAutoRepliesPerMinute',
    ])
    const instance = await t.request<{ effective: { commandPrefix: string } }>(
      'GET',
      '/api/v1/bot/settings',
    )
    expect(instance.json.effective.commandPrefix).toBe('!')
    const viewerOnly = await t.request<{ settings: Record<string, unknown> }>(
      'GET',
      `/api/v1/bot/settings/${t.accountId}`,
    )
    expect(viewerOnly.status).toBe(200)
  })
})
