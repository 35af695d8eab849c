// Bot plugins end to end: the example plugin's command, rule action and hook work through
// the sandbox; a plugin that throws at load, or whose hooks throw or hang, is logged and
// isolated, and the bot goes on answering.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Rule } from '../../src/bot/rules.schemas.js'
import { freshDataDir, testDialects } from '../helpers/databases.js'
import {
  captureLogs,
  contactWrites,
  startTestLinda,
  virtualPhone,
  waitForReplies,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

const examples = fileURLToPath(new URL('../../examples/plugins', import.meta.url))

describe.each(testDialects())('the example plugin on %s', (dialect) => {
  let t: TestLinda

  beforeAll(async () => {
    t = await startTestLinda(dialect, { env: { LINDA_PLUGINS_DIR: examples } })
  })

  afterAll(async () => {
    await t?.stop()
  })

  it('answers its command and lists it among the commands', async () => {
    const phone = virtualPhone()
    await contactWrites(t, phone, '!order #1042')
    const replies = await waitForReplies(t, phone, (r) => r.length >= 1)
    expect(replies[0]!.text).toBe('Order 1042 is shipped.')
    const commands = await t.request<{ items: Array<{ name: string; source: string }> }>(
      'GET',
      '/api/v1/commands?language=es',
    )
    expect(commands.json.items).toContainEqual(
      expect.objectContaining({
        name: 'order',
        source: 'plugin',
        summary: 'El estado de un pedido',
      }),
    )
  })

  it('runs its rule action, whose params are checked when the rule is written', async () => {
    const bad = await t.request<Problem>('POST', '/api/v1/rules', {
      name: 'Flag',
      match: { type: 'keyword', value: 'where' },
      actions: [{ type: 'plugin', name: 'order-status.flag', params: { tagPrefix: '' } }],
    })
    expect(bad.status).toBe(400)
    expect(bad.json.errors?.[0]?.path).toBe('body.actions.0.params.tagPrefix')
    const unknown = await t.request<Problem>('POST', '/api/v1/rules', {
      name: 'Nope',
      match: { type: 'keyword', value: 'where' },
      actions: [{ type: 'plugin', name: 'crm.note' }],
    })
    expect(unknown.json.errors?.[0]).toEqual({
      path: 'body.actions.0.name',
      message: expect.stringContaining('order-status.flag'),
    })
    const created = await t.request<Rule>('POST', '/api/v1/rules', {
      name: 'Flag',
      match: { type: 'keyword', value: 'where' },
      actions: [{ type: 'plugin', name: 'order-status.flag', params: { tagPrefix: 'Order' } }],
    })
    expect(created.status).toBe(201)
    const phone = virtualPhone()
    await contactWrites(t, phone, 'Where is 1043?')
    const replies = await waitForReplies(t, phone, (r) => r.length >= 1)
    expect(replies[0]!.text).toBe('Order 1043: packing')
  })

  it("leaves a blocked number's messages unanswered (its before hook)", async () => {
    const sim = await t.request<{ handledBy: string; reason: string }>(
      'POST',
      '/api/v1/bot/simulate',
      { accountId: t.accountId, from: '+15550009999', text: '!ping' },
    )
    expect(sim.json).toEqual(
      expect.objectContaining({
        handledBy: 'ignored',
        reason: 'stopped by the plugin order-status',
      }),
    )
  })
})

describe.each(testDialects())('broken plugins on %s', (dialect) => {
  let t: TestLinda
  const logs = captureLogs()

  beforeAll(async () => {
    const dir = join(await freshDataDir(), 'plugins')
    await mkdir(dir)
    await writeFile(join(dir, 'a-throws-at-load.mjs'), `throw new Error('cannot start')\n`)
    await writeFile(
      join(dir, 'b-setup-throws.mjs'),
      `export default { name: 'half', setup(api) { api.addCommand({ name: 'half', summary: 'x', run: () => 'x' }); throw new Error('setup broke') } }\n`,
    )
    await writeFile(
      join(dir, 'c-bad-hooks.mjs'),
      [
        `export default { name: 'noisy', setup(api) {`,
        `  api.beforeDispatch(() => { throw new Error('hook broke') })`,
        `  api.afterDispatch(() => new Promise(() => {}))`,
        `  api.addCommand({ name: 'crash', summary: 'Always fails', run: () => { throw new Error('command broke') } })`,
        `} }`,
      ].join('\n'),
    )
    await writeFile(
      join(dir, 'd-team.mjs'),
      `export default { name: 'ops', setup(api) { api.addCommand({ name: 'deploy', summary: 'Ship it', permission: 'team', run: () => 'deploying' }) } }\n`,
    )
    t = await startTestLinda(dialect, {
      env: { LINDA_PLUGINS_DIR: dir },
      logger: logs.logger,
    })
  })

  afterAll(async () => {
    await t?.stop()
  })

  it('loads what it can, logs the rest, and keeps answering', async () => {
    expect(t.linda.bot.plugins.loaded).toEqual(['noisy', 'ops'])
    expect(t.linda.bot.plugins.failed.map((f) => f.error)).toEqual(['cannot start', 'setup broke'])
    expect(logs.text()).toContain('plugin failed to load')
    const phone = virtualPhone()
    await contactWrites(t, phone, '!ping')
    const replies = await waitForReplies(t, phone, (r) => r.length >= 1)
    expect(replies[0]!.text).toMatch(/^pong/)
    expect(logs.text()).toContain('plugin hook failed; skipped')
  })

  it('answers a failing plugin command with an apology instead of silence', async () => {
    const phone = virtualPhone()
    await contactWrites(t, phone, '!crash')
    const replies = await waitForReplies(t, phone, (r) => r.length >= 1)
    expect(replies[0]!.text).toBe('Sorry, !crash failed. Please try again later.')
    const commands = await t.request<{ items: Array<{ name: string }> }>('GET', '/api/v1/commands')
    expect(commands.json.items.map((c) => c.name)).not.toContain('half')
  })
})

describe.each(testDialects())('command permissions on %s', (dialect) => {
  let t: TestLinda

  beforeAll(async () => {
    const dir = join(await freshDataDir(), 'plugins')
    await mkdir(dir)
    await writeFile(
      join(dir, 'team.mjs'),
      `export default { name: 'ops', setup(api) { api.addCommand({ name: 'deploy', summary: 'Ship it', permission: 'team', run: () => 'deploying' }) } }\n`,
    )
    t = await startTestLinda(dialect, { env: { LINDA_PLUGINS_DIR: dir } })
  })

  afterAll(async () => {
    await t?.stop()
  })

  it('lets the team numbers and the admins run a team command, and nobody else', async () => {
    const admin = virtualPhone()
    const member = virtualPhone()
    const stranger = virtualPhone()
    await t.setAccountSettings({ adminNumbers: [admin] })
    const set = await t.request('PATCH', '/api/v1/bot/settings', { teamNumbers: [member] })
    expect(set.status).toBe(200)
    for (const phone of [admin, member, stranger]) await contactWrites(t, phone, '!deploy')
    const answer = async (phone: string) =>
      (await waitForReplies(t, phone, (r) => r.length >= 1))[0]!.text
    expect(await answer(admin)).toBe('deploying')
    expect(await answer(member)).toBe('deploying')
    expect(await answer(stranger)).toBe(
      "Only this account's team can use !deploy. Send !help to see what you can do.",
    )
    await contactWrites(t, stranger, '!help')
    const help = await waitForReplies(t, stranger, (r) => r.length >= 2)
    expect(help[0]!.text).not.toContain('!deploy')
  })
})
