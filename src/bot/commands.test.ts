import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  builtinCommands,
  CommandRegistry,
  parseArgs,
  type Command,
  type CommandContext,
} from './commands.js'

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
    contactId: 'contact_1',
    language: 'en',
    dryRun: false,
    setLanguage: () => Promise.resolve(),
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
        '!lang <code> — Choose the language I answer in',
        '!report <text> — Report a problem to the team (coming soon)',
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

describe('parseArgs with typed quotes', () => {
  it('keeps phrases in curly and angle quotes together, as phones type them', () => {
    expect(parseArgs('note “call back” ‘after 5’ « tout de suite »')).toEqual([
      'note',
      'call back',
      'after 5',
      'tout de suite',
    ])
  })

  it('reads an unbalanced quote as an ordinary character', () => {
    expect(parseArgs('say "hello there')).toEqual(['say', '"hello', 'there'])
  })

  const plainWord = fc.stringMatching(/^[^\s"'“”‘’«»]{1,10}$/)
  const phrase = fc.array(plainWord, { minLength: 1, maxLength: 4 }).map((words) => words.join(' '))

  it('gives back any words joined by spaces', () => {
    fc.assert(
      fc.property(
        fc.array(plainWord, { maxLength: 8 }),
        fc.constantFrom(' ', '  ', '\t'),
        (words, sep) => {
          expect(parseArgs(words.join(sep))).toEqual(words)
        },
      ),
    )
  })

  it('gives back any phrases, each quoted with any kind of quote', () => {
    const quotes = fc.constantFrom(['"', '"'], ["'", "'"], ['“', '”'], ['‘', '’'])
    fc.assert(
      fc.property(fc.array(fc.tuple(phrase, quotes), { maxLength: 6 }), (parts) => {
        const line = parts.map(([p, [open, close]]) => `${open}${p}${close}`).join(' ')
        expect(parseArgs(line)).toEqual(parts.map(([p]) => p))
      }),
    )
  })

  it('never throws and never gives an argument with whitespace outside quotes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (line) => {
        const args = parseArgs(line)
        expect(Array.isArray(args)).toBe(true)
        if (!/["'“‘«]/.test(line)) for (const a of args) expect(a).not.toMatch(/\s/)
      }),
    )
  })
})

describe(CommandRegistry.name, () => {
  it('refuses a second command of the same name, and malformed names', () => {
    const registry = new CommandRegistry(builtinCommands)
    expect(() => registry.add(makeCommand({ name: 'help' }))).toThrow(/already/)
    expect(() => registry.add(makeCommand({ name: 'Bad Name' }))).toThrow(/lower case/)
  })

  it('finds the closest command to a typo, and nothing for a word far from all', () => {
    const registry = new CommandRegistry(builtinCommands)
    expect(registry.closest('hlep')).toBe('help')
    expect(registry.closest('pnig')).toBe('ping')
    expect(registry.closest('lnag')).toBe('lang')
    expect(registry.closest('reprot')).toBe('report')
    expect(registry.closest('weather')).toBeUndefined()
  })

  it('looks names up case-insensitively', () => {
    expect(new CommandRegistry(builtinCommands).get('PING')?.name).toBe('ping')
  })
})

describe('help in other languages', () => {
  it('writes the list and the summaries in the contact language', async () => {
    const answer = await builtin('help').run(makeContext({ language: 'es' }))
    expect(answer.split('\n')[0]).toBe('Comandos:')
    expect(answer).toContain('!ping — Comprueba que el bot está escuchando')
  })

  it('uses a plugin command summary in English when it has none in the language', async () => {
    const commands = [makeCommand({ summary: { en: 'Echo', fr: 'Écho' } })]
    expect(await builtin('help').run(makeContext({ commands, language: 'fr' }))).toContain('Écho')
    expect(await builtin('help').run(makeContext({ commands, language: 'ar' }))).toContain('Echo')
  })
})

describe('lang command', () => {
  it('sets the contact language and confirms in the new language', async () => {
    const setLanguage = vi.fn(() => Promise.resolve())
    const answer = await builtin('lang').run(makeContext({ args: ['pt-BR'], setLanguage }))
    expect(setLanguage).toHaveBeenCalledWith('pt')
    expect(answer).toBe('A partir de agora vou responder em português.')
  })

  it('lists the languages for one it does not speak, changing nothing', async () => {
    const setLanguage = vi.fn(() => Promise.resolve())
    const answer = await builtin('lang').run(makeContext({ args: ['de'], setLanguage }))
    expect(setLanguage).not.toHaveBeenCalled()
    expect(answer).toContain('"de"')
    expect(answer).toContain('ar (العربية)')
  })

  it('explains its usage when called without a code', async () => {
    expect(await builtin('lang').run(makeContext())).toBe('Usage: !lang <code>')
  })
})

describe('report command', () => {
  it('says honestly that reports are not filed yet', async () => {
    const answer = await builtin('report').run(makeContext({ args: ['the', 'app', 'crashes'] }))
    expect(answer).toContain('not available yet')
    expect(answer).toContain('nothing was filed')
  })
})
