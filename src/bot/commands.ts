import { distance } from 'fastest-levenshtein'
import {
  languageNames,
  languages,
  supportedLanguage,
  translate,
  type Language,
  type MessageKey,
} from '../i18n/index.js'

export const commandPermissions = ['anyone', 'team', 'admin'] as const
/**
 * Who may run a command: anyone who writes; the team (the bot settings' `teamNumbers`,
 * and the admins); or the account's `adminNumbers` only.
 */
export type CommandPermission = (typeof commandPermissions)[number]

/** A text in each language it is written in; English (or the first given) is the fallback. */
export type LocalizedText = string | Partial<Record<Language, string>>

/** What a command sees when it runs. */
export interface CommandContext {
  /** Arguments after the command name; quoted phrases stay together. */
  args: string[]
  /** The sender's number, E.164. */
  from: string
  accountId: string
  /** The sender's contact id, when the contact exists (a simulation of a new number has none). */
  contactId: string | undefined
  /** When the message was received, for latency answers. */
  receivedAt: string
  /** The commands the sender may use, for help. */
  commands: readonly Command[]
  prefix: string
  /** The language to answer in. */
  language: Language
  /** A simulation: the command must change nothing (only `pure` commands run then). */
  dryRun: boolean
  /** Sets the contact's language (`!lang`); a no-op in a dry run. */
  setLanguage(language: Language): Promise<void>
}

export interface Command {
  /** Lower case letters, digits and dashes; what follows the prefix. */
  name: string
  /** One line for help. */
  summary: LocalizedText
  /** How to call it, without the prefix, e.g. `lang <code>`. */
  usage?: string
  /** Who may run it; default anyone. */
  permission?: CommandPermission
  /**
   * It changes nothing when it runs (it only reads): a simulation may run it to show its
   * answer. Commands that are not pure are reported, not run, by a simulation.
   */
  pure?: boolean
  /** The text to answer with. */
  run(ctx: CommandContext): string | Promise<string>
}

export const commandNamePattern = /^[a-z][a-z0-9-]{0,31}$/

/** A localized text in `language`, falling back to English, then to any language given. */
export function localize(text: LocalizedText, language: Language): string {
  if (typeof text === 'string') return text
  return text[language] ?? text.en ?? Object.values(text).find((v) => v !== undefined) ?? ''
}

/** Every language's text of a catalog key, for commands' summaries. */
export function catalogText(key: MessageKey): Partial<Record<Language, string>> {
  return Object.fromEntries(languages.map((l) => [l, translate(l, key)]))
}

// Straight and typographic quotes (phones turn "…" into “…” as people type).
const argPattern = /"([^"]*)"|'([^']*)'|“([^”]*)”|‘([^’]*)’|«\s?([^»]*?)\s?»|(\S+)/g

/**
 * Splits a command line into words, keeping quoted phrases together (straight, curly and
 * « » quotes). An unbalanced quote is an ordinary character.
 */
export function parseArgs(line: string): string[] {
  const args: string[] = []
  for (const m of line.matchAll(argPattern)) {
    args.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? m[6] ?? '')
  }
  return args
}

/** The commands the bot knows: built in, account management, and plugins'. */
export class CommandRegistry {
  private readonly byName = new Map<string, Command>()

  constructor(commands: Iterable<Command> = []) {
    for (const command of commands) this.add(command)
  }

  /** Adds a command; throws when its name is malformed or taken. */
  add(command: Command): void {
    if (!commandNamePattern.test(command.name)) {
      throw new Error(
        `The command name "${command.name}" must be lower case letters, digits and dashes`,
      )
    }
    if (this.byName.has(command.name)) {
      throw new Error(`There is already a command named "${command.name}"`)
    }
    this.byName.set(command.name, command)
  }

  get(name: string): Command | undefined {
    return this.byName.get(name.toLowerCase())
  }

  list(): Command[] {
    return [...this.byName.values()]
  }

  /** The known command closest to a mistyped name, when one is close enough to be meant. */
  closest(name: string, among: readonly Command[] = this.list()): string | undefined {
    const wanted = name.toLowerCase()
    let best: { name: string; d: number } | undefined
    for (const command of among) {
      const d = distance(wanted, command.name)
      if (!best || d < best.d) best = { name: command.name, d }
    }
    if (!best) return undefined
    // Two edits (a swapped pair of letters is two), or a third of a long word, at most three.
    const allowed = Math.min(3, Math.max(2, Math.floor(wanted.length / 3)))
    return best.d <= allowed ? best.name : undefined
  }
}

function usageOf(command: Command): string {
  return command.usage ?? command.name
}

export const builtinCommands: readonly Command[] = [
  {
    name: 'help',
    summary: catalogText('command.help.summary'),
    usage: 'help [command]',
    pure: true,
    run({ args, commands, prefix, language }) {
      const wanted = args[0]?.startsWith(prefix)
        ? args[0].slice(prefix.length).toLowerCase()
        : args[0]?.toLowerCase()
      if (wanted) {
        const command = commands.find((c) => c.name === wanted)
        if (!command) return translate(language, 'help.unknown', { prefix, name: wanted })
        return translate(language, 'help.detail', {
          prefix,
          usage: usageOf(command),
          summary: localize(command.summary, language),
        })
      }
      const lines = commands.map((c) =>
        translate(language, 'help.line', {
          prefix,
          usage: usageOf(c),
          summary: localize(c.summary, language),
        }),
      )
      return `${translate(language, 'help.header')}\n${lines.join('\n')}`
    },
  },
  {
    name: 'ping',
    summary: catalogText('command.ping.summary'),
    pure: true,
    run({ receivedAt, language }) {
      const ms = Math.max(0, Date.now() - Date.parse(receivedAt))
      return translate(language, 'ping.reply', { ms })
    },
  },
  {
    name: 'lang',
    summary: catalogText('command.lang.summary'),
    usage: 'lang <code>',
    async run({ args, prefix, language, setLanguage }) {
      const code = args[0]
      if (!code) return translate(language, 'command.usage', { prefix, usage: 'lang <code>' })
      const chosen = supportedLanguage(code)
      if (!chosen) {
        return translate(language, 'lang.unknown', {
          code,
          languages: languages.map((l) => `${l} (${languageNames[l]})`).join(', '),
        })
      }
      await setLanguage(chosen)
      return translate(chosen, 'lang.set')
    },
  },
  {
    name: 'report',
    summary: catalogText('command.report.summary'),
    usage: 'report <text>',
    // Reserved for tickets, which come with the inbox: it files nothing yet, and says so.
    pure: true,
    run({ args, prefix, language }) {
      if (args.length === 0) {
        return translate(language, 'command.usage', { prefix, usage: 'report <text>' })
      }
      return translate(language, 'report.unavailable')
    },
  },
]
