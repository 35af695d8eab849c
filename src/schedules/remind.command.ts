import type { AccountsService } from '../accounts/index.js'
import { AppError } from '../platform/errors.js'
import { addDays, localTime, parseInstant, zonedToUtc } from '../platform/zoned-time.js'
import type { SchedulesService } from './schedules.service.js'

/** What the bot hands a command (a subset of the bot's `CommandContext`). */
export interface RemindContext {
  args: string[]
  from: string
  accountId: string
  prefix: string
}

/**
 * The `!remind` command, in the shape of the bot's commands (`name`, `summary`, `usage`,
 * `permission`, `run`): `app.ts` adds it to the bot's command registry.
 */
export interface RemindCommand {
  name: 'remind'
  summary: string
  usage: string
  /** The team: the bot's team numbers and the account's admin numbers. */
  permission: 'team'
  run(ctx: RemindContext): Promise<string>
}

const units: Record<string, number> = {
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
}

const clock = /^([01]?\d|2[0-3])[:.h]([0-5]\d)$|^([01]?\d|2[0-3])$/

function clockOf(word: string | undefined): { hour: number; minute: number } | undefined {
  const m = word === undefined ? null : clock.exec(word.toLowerCase())
  if (!m) return undefined
  return { hour: Number(m[1] ?? m[3]), minute: Number(m[2] ?? 0) }
}

/**
 * Reads when a reminder is due from the first words of `!remind`: `in 2h`, `in 30m`,
 * `in 1h30m`, `in 2 hours`, `today 18:00`, `tomorrow 9:00` (or `tomorrow at 9`), `at 9:00`
 * (today, or tomorrow when that has passed), an ISO date-time (`2026-12-01T09:00`, local to
 * `timeZone`, or with an offset) or a date and a time (`2026-12-01 09:00`). Returns the
 * time and the words left (the text), or undefined when the words say no time.
 */
export function parseWhen(
  args: readonly string[],
  now: Date,
  timeZone: string,
): { at: Date; rest: string[] } | undefined {
  const words = args.map((w) => w.toLowerCase())
  const [first, second, third] = words
  if (first === 'in') {
    let ms = 0
    let used = 1
    // "in 1h30m", "in 2 hours", "in 1 hour 30 minutes"
    for (let i = 1; i < words.length; i++) {
      const compact = /^(\d{1,4})([a-z]+)$/.exec(words[i]!)
      if (compact && units[compact[2]!]) {
        ms += Number(compact[1]) * units[compact[2]!]!
        used = i + 1
        continue
      }
      const pairs = [...words[i]!.matchAll(/(\d{1,4})([a-z]+)/g)]
      if (
        pairs.length > 1 &&
        pairs.every((p) => units[p[2]!]) &&
        pairs.map((p) => p[0]).join('') === words[i]
      ) {
        for (const p of pairs) ms += Number(p[1]) * units[p[2]!]!
        used = i + 1
        continue
      }
      if (/^\d{1,4}$/.test(words[i]!) && units[words[i + 1] ?? '']) {
        ms += Number(words[i]) * units[words[i + 1]!]!
        used = i + 2
        i++
        continue
      }
      break
    }
    if (ms === 0) return undefined
    return { at: new Date(now.getTime() + ms), rest: args.slice(used) }
  }
  if (first === 'today' || first === 'tomorrow' || first === 'at') {
    const atWord = second === 'at' ? third : second
    const time = first === 'at' ? clockOf(second) : clockOf(atWord)
    if (!time) return undefined
    const used = first !== 'at' && second === 'at' ? 3 : 2
    const today = localTime(now, timeZone)
    const day = first === 'tomorrow' ? addDays(today, 1) : today
    let at = zonedToUtc({ ...day, ...time, second: 0 }, timeZone)
    if (first === 'at' && at <= now)
      at = zonedToUtc({ ...addDays(today, 1), ...time, second: 0 }, timeZone)
    return { at, rest: args.slice(used) }
  }
  if (first && /^\d{4}-\d{2}-\d{2}$/.test(first) && clockOf(second)) {
    const time = clockOf(second)!
    const at = parseInstant(
      `${first}T${String(time.hour).padStart(2, '0')}:${String(time.minute).padStart(2, '0')}`,
      timeZone,
    )
    return at ? { at, rest: args.slice(2) } : undefined
  }
  const at = first ? parseInstant(args[0]!.toUpperCase(), timeZone) : undefined
  return at ? { at, rest: args.slice(1) } : undefined
}

function describe(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at)
}

/**
 * `!remind <when> <text>`: a team member (a team or admin number of the account) asks to be
 * reminded; a one-off schedule writes the text back to them at that time.
 */
export function remindCommand(
  schedules: SchedulesService,
  accounts: AccountsService,
  now: () => Date = () => new Date(),
): RemindCommand {
  const usage = 'remind <when> <text>'
  return {
    name: 'remind',
    summary: 'Remind me: in 2h, in 30m, tomorrow 9:00, at 18:30 or 2026-12-01T09:00',
    usage,
    permission: 'team',
    async run({ args, from, accountId, prefix }) {
      const account = accounts.live(accountId) ?? (await accounts.get(accountId))
      const timeZone = account.settings.timezone
      const when = parseWhen(args, now(), timeZone)
      if (!when) {
        return `I could not read when. Try ${prefix}remind in 2h Call Aisha, ${prefix}remind tomorrow 9:00 Send the report, or ${prefix}remind 2026-12-01T09:00 Renew the domain.`
      }
      const text = when.rest.join(' ').trim()
      if (!text) return `What should I remind you of? ${prefix}${usage}`
      if (when.at.getTime() <= now().getTime()) return 'That time has passed; give one to come.'
      try {
        await schedules.create(
          {
            name: `Reminder: ${text.slice(0, 60)}`,
            accountId,
            target: { type: 'phone', phone: from },
            message: { type: 'text', text: `⏰ Reminder: ${text}`.slice(0, 4096) },
            at: when.at.toISOString(),
            timezone: timeZone,
            missedPolicy: 'run_once',
          },
          { createdBy: `whatsapp:${from}` },
        )
      } catch (err) {
        if (err instanceof AppError) return err.message
        throw err
      }
      return `OK, I will remind you on ${describe(when.at, timeZone)} (${timeZone}): ${text}`
    },
  }
}
