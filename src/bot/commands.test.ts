import { afterEach, describe, expect, it, vi } from 'vitest'
import { builtinCommands, parseArgs, type Command, type CommandContext } from './commands.js'

function makeCommand(overrides: Partial<Command> = {}): Command {
  return {
    name: 'echo',
    summary: 'Repeat what you said',
    run: ({ args }) => args.join(' '),
    ...overrides,
  }
}

function makeContext(overrides: Partial<CommandContext> = {}): CommandContext {
  return {
    args: [],
    from: '+15550001111',
    accountId: 'acc_1',
    receivedAt: new Date().toISOString(),
    commands: builtinCommands,
    prefix: '!',
    ...overrides,
  }
}

function builtin(name: string): Command {
  const command = builtinCommands.find((c) => c.name === name)
  if (!command) throw new Error(`no builtin command ${name}`)
  return command
}

describe(parseArgs.name, () => {
  it('splits on whitespace', () => {
    expect(parseArgs('order  status\t42 ')).toEqual(['order', 'status', '42'])
  })

  it('keeps double- and single-quoted phrases together, without their quotes', () => {
    expect(parseArgs(`note "call back tomorrow" 'after 5 pm' done`)).toEqual([
      'note',
      'call back tomorrow',
      'after 5 pm',
      'done',
    ])
  })

  it('keeps an empty quoted argument', () => {
    expect(parseArgs('set name ""')).toEqual(['set', 'name', ''])
  })

  it('keeps the other kind of quote inside a quoted phrase', () => {
    expect(parseArgs(`say "it's fine" 'a "quote"'`)).toEqual(['say', "it's fine", 'a "quote"'])
  })

  it('gives nothing for an empty or blank line', () => {
    expect(parseArgs('')).toEqual([])
    expect(parseArgs('   ')).toEqual([])
  })
})

describe('help command', () => {
  const help = builtin('help')

  it('lists every command with its usage and summary', async () => {
    const commands = [...builtinCommands, makeCommand({ usage: 'echo <text>' })]
    const answer = await help.run(makeContext({ commands }))
    expect(answer).toBe(
      [
        'Commands:',
        '!help [command] — List the commands, or explain one',
        '!ping — Check that the bot is listening',
        '!echo <text> — Repeat what you said',
      ].join('\n'),
    )
  })

  it('uses the account prefix', async () => {
    const answer = await help.run(makeContext({ prefix: '/' }))
    expect(answer).toContain('/help [command]')
    expect(answer).toContain('/ping')
    expect(answer).not.toContain('!')
  })

  it('explains one command', async () => {
    const commands = [...builtinCommands, makeCommand({ usage: 'echo <text>' })]
    expect(await help.run(makeContext({ commands, args: ['echo'] }))).toBe(
      '!echo <text>\nRepeat what you said',
    )
  })

  it('explains a command asked for with its prefix or in capitals', async () => {
    expect(await help.run(makeContext({ args: ['!PING'] }))).toBe(
      '!ping\nCheck that the bot is listening',
    )
  })

  it('says so when the command does not exist', async () => {
    expect(await help.run(makeContext({ args: ['nope'] }))).toBe(
      'There is no command !nope. Send !help for the list.',
    )
  })
})

describe('ping command', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('answers with the time since the message was received', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T12:00:00.042Z') })
    const answer = await builtin('ping').run(
      makeContext({ receivedAt: '2026-01-01T12:00:00.000Z' }),
    )
    expect(answer).toBe('pong (42 ms)')
  })

  it('never answers with a negative time when clocks disagree', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T12:00:00.000Z') })
    const answer = await builtin('ping').run(
      makeContext({ receivedAt: '2026-01-01T12:00:05.000Z' }),
    )
    expect(answer).toBe('pong (0 ms)')
  })
})
