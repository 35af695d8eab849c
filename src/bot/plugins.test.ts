import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Message } from '../messages/index.js'
import { CommandRegistry, type Command } from './commands.js'
import type { Decision } from './dispatcher.js'
import { definePlugin, PluginHost } from './plugins.js'

const logger = pino({ level: 'silent' })

function makeHost(registry = new CommandRegistry()) {
  return new PluginHost({
    logger,
    addCommand: (c: Command) => registry.add(c),
    timeoutMs: 100,
  })
}

const message = { id: 'm1', text: 'hi' } as Message
const decision = { handledBy: 'none' } as Decision

describe(PluginHost.name, () => {
  it('adds commands, actions and hooks of a plugin whose setup succeeds', async () => {
    const registry = new CommandRegistry()
    const host = makeHost(registry)
    await host.install(
      definePlugin({
        name: 'crm',
        setup(api) {
          api.addCommand({ name: 'order', summary: 'Order status', run: () => 'shipped' })
          api.addAction({
            name: 'note',
            params: z.object({ text: z.string() }),
            run: ({ text }) => [{ type: 'text', text: `noted: ${text}` }],
          })
        },
      }),
    )
    expect(host.loaded).toEqual(['crm'])
    expect(registry.get('order')).toBeDefined()
    expect(host.actionNames()).toEqual(['crm.note'])
    await expect(
      host.runAction(
        'crm.note',
        { text: 'call back' },
        { message, rule: { id: 'r', name: 'r' }, logger },
      ),
    ).resolves.toEqual([{ type: 'text', text: 'noted: call back' }])
  })

  it('registers nothing of a plugin whose setup throws', async () => {
    const registry = new CommandRegistry()
    const host = makeHost(registry)
    await expect(
      host.install({
        name: 'broken',
        setup(api) {
          api.addCommand({ name: 'half', summary: 'x', run: () => 'x' })
          throw new Error('no config')
        },
      }),
    ).rejects.toThrow('no config')
    expect(registry.get('half')).toBeUndefined()
    expect(host.loaded).toEqual([])
  })

  it('refuses what is not a plugin, naming the field', async () => {
    await expect(makeHost().install({ name: 'Bad Name', setup: () => {} })).rejects.toThrow(/name/)
    await expect(makeHost().install({ name: 'x' } as never)).rejects.toThrow(/setup/)
  })

  it('goes on past a hook that throws or hangs, and a plugin may stop a message', async () => {
    const host = makeHost()
    const seen: string[] = []
    await host.install({
      name: 'a',
      setup(api) {
        api.beforeDispatch(() => {
          throw new Error('boom')
        })
        api.afterDispatch(() => new Promise(() => {})) // never settles
      },
    })
    await host.install({
      name: 'b',
      setup(api) {
        api.beforeDispatch(({ message: m }) => {
          seen.push(`before ${m.id}`)
          return m.text === 'spam' ? 'stop' : undefined
        })
        api.afterDispatch(({ decision: d }) => void seen.push(`after ${d.handledBy}`))
      },
    })
    await expect(host.runBefore(message, false)).resolves.toBeUndefined()
    await host.runAfter(message, decision, false)
    expect(seen).toEqual(['before m1', 'after none'])
    await expect(host.runBefore({ ...message, text: 'spam' }, false)).resolves.toBe('b')
  })

  it('gives up on an action that takes too long', async () => {
    const host = makeHost()
    await host.install({
      name: 'slow',
      setup(api) {
        api.addAction({ name: 'wait', params: z.object({}), run: () => new Promise(() => {}) })
      },
    })
    await expect(
      host.runAction('slow.wait', {}, { message, rule: { id: 'r', name: 'r' }, logger }),
    ).rejects.toThrow(/longer than 100 ms/)
  })
})

describe('loading a plugins directory', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'linda-plugins-'))
    await writeFile(
      join(dir, 'a-good.ts'),
      `const plugin: { name: string; setup(api: { addCommand(c: unknown): void }): void } = {
        name: 'good',
        setup(api) {
          api.addCommand({ name: 'joke', summary: 'A joke', pure: true, run: () => 'knock knock' })
        },
      }
      export default plugin\n`,
    )
    await writeFile(join(dir, 'b-throws.mjs'), `throw new Error('broken at import')\n`)
    await writeFile(join(dir, 'c-not-a-plugin.mjs'), `export default { hello: 'world' }\n`)
    await writeFile(
      join(dir, 'd-also-good.mjs'),
      `export const plugin = { name: 'also', setup(api) { api.addCommand({ name: 'hi', summary: 'Hi', run: () => 'hello' }) } }\n`,
    )
    await writeFile(join(dir, 'notes.txt'), 'not code')
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('loads the good plugins (TypeScript too) and logs and skips the broken ones', async () => {
    const registry = new CommandRegistry()
    const host = makeHost(registry)
    await host.loadDir(dir)
    expect(host.loaded).toEqual(['good', 'also'])
    expect(host.failed.map((f) => f.file.split('/').pop())).toEqual([
      'b-throws.mjs',
      'c-not-a-plugin.mjs',
    ])
    expect(host.failed[0]?.error).toContain('broken at import')
    expect(registry.get('joke')).toBeDefined()
    expect(registry.get('hi')).toBeDefined()
  })

  it('treats a missing directory as no plugins', async () => {
    const host = makeHost()
    await host.loadDir(join(dir, 'nope'))
    expect(host.loaded).toEqual([])
  })
})
