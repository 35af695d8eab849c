/** What a command sees when it runs. */
export interface CommandContext {
  /** Arguments after the command name; quoted phrases stay together. */
  args: string[]
  /** The sender's number, E.164. */
  from: string
  accountId: string
  /** When the message was received, for latency answers. */
  receivedAt: string
  /** The commands the sender may use, for help. */
  commands: readonly Command[]
  prefix: string
}

export interface Command {
  name: string
  /** One line for `!help`. */
  summary: string
  usage?: string
  /** Who may run it: anyone (default), or the account's admin numbers only. */
  permission?: 'anyone' | 'admin'
  /** The text to answer with. */
  run(ctx: CommandContext): string | Promise<string>
}

/** Splits a command line into words, keeping "quoted phrases" together. */
export function parseArgs(line: string): string[] {
  const args: string[] = []
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) args.push(m[1] ?? m[2] ?? m[3] ?? '')
  return args
}

export const builtinCommands: readonly Command[] = [
  {
    name: 'help',
    summary: 'List the commands, or explain one',
    usage: 'help [command]',
    run({ args, commands, prefix }) {
      const wanted = args[0]?.replace(prefix, '').toLowerCase()
      if (wanted) {
        const command = commands.find((c) => c.name === wanted)
        if (!command)
          return `There is no command ${prefix}${wanted}. Send ${prefix}help for the list.`
        return `${prefix}${command.usage ?? command.name}\n${command.summary}`
      }
      const lines = commands.map((c) => `${prefix}${c.usage ?? c.name} — ${c.summary}`)
      return `Commands:\n${lines.join('\n')}`
    },
  },
  {
    name: 'ping',
    summary: 'Check that the bot is listening',
    run({ receivedAt }) {
      const ms = Math.max(0, Date.now() - Date.parse(receivedAt))
      return `pong (${ms} ms)`
    },
  },
]
