import type { RuleConditions } from './rules.schemas.js'

/** What a rule's conditions are checked against, for one message. */
export interface ConditionFacts {
  /** The account's IANA time zone (its business hours). */
  timezone: string
  now: Date
  contactLanguage: string | null
  tags: readonly string[]
  messageType: string
  /** Whether this is the contact's first message to the account (read only when asked). */
  firstMessage(): Promise<boolean>
}

const formatters = new Map<string, Intl.DateTimeFormat>()
const weekdays: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 }

/** The day of the week (1 = Monday) and minute of the day at `now` in `timezone`. */
export function localTime(now: Date, timezone: string): { day: number; minute: number } {
  let format = formatters.get(timezone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
    formatters.set(timezone, format)
  }
  let day = 1
  let hour = 0
  let minute = 0
  for (const part of format.formatToParts(now)) {
    if (part.type === 'weekday') day = weekdays[part.value] ?? 1
    else if (part.type === 'hour') hour = Number(part.value)
    else if (part.type === 'minute') minute = Number(part.value)
  }
  return { day, minute: hour * 60 + minute }
}

function minutesOf(clock: string): number {
  const [h = '0', m = '0'] = clock.split(':')
  return Number(h) * 60 + Number(m)
}

/**
 * Whether `now` is within the hours: on one of `days`, from `from` (inclusive) to `to`
 * (exclusive). Hours that run past midnight (`to` before `from`) belong to the day they
 * start on.
 */
export function withinHours(
  hours: NonNullable<RuleConditions['businessHours']>,
  now: Date,
  timezone: string,
): boolean {
  const { day, minute } = localTime(now, timezone)
  const from = minutesOf(hours.from)
  const to = minutesOf(hours.to)
  if (from === to) return hours.days.includes(day)
  if (from < to) return hours.days.includes(day) && minute >= from && minute < to
  const yesterday = day === 1 ? 7 : day - 1
  return (
    (hours.days.includes(day) && minute >= from) || (hours.days.includes(yesterday) && minute < to)
  )
}

function languageMatches(wanted: readonly string[], language: string | null): boolean {
  if (!language) return false
  const have = language.toLowerCase().replace('_', '-')
  return wanted.some((w) => {
    const want = w.toLowerCase().replace('_', '-')
    return have === want || have.startsWith(`${want}-`)
  })
}

/** Whether every condition given holds; synchronous unless `firstMessage` must be read. */
export function conditionsHold(
  conditions: RuleConditions,
  facts: ConditionFacts,
): boolean | Promise<boolean> {
  if (conditions.messageTypes && !conditions.messageTypes.includes(facts.messageType as never)) {
    return false
  }
  if (conditions.languages && !languageMatches(conditions.languages, facts.contactLanguage)) {
    return false
  }
  const tags = conditions.tags
  if (tags) {
    if (tags.all && !tags.all.every((t) => facts.tags.includes(t))) return false
    if (tags.any && !tags.any.some((t) => facts.tags.includes(t))) return false
    if (tags.none && tags.none.some((t) => facts.tags.includes(t))) return false
  }
  const hours = conditions.businessHours
  if (hours && withinHours(hours, facts.now, facts.timezone) !== hours.inside) return false
  const first = conditions.firstMessage
  if (first === undefined) return true
  return facts.firstMessage().then((isFirst) => isFirst === first)
}
