/**
 * Wall-clock time in IANA time zones, for schedules, reminders and quiet hours. Dates are
 * instants (`Date`); a `LocalTime` is what a clock on the wall of a zone shows.
 */
export interface LocalTime {
  year: number
  /** 1–12. */
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** Whether Node knows `name` as a time zone (IANA names; offsets such as `+04:00` are not). */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return false
  try {
    formatter(name)
    return true
  } catch {
    return false
  }
}

/** What the clock shows in `timeZone` at the instant `date`. */
export function localTime(date: Date, timeZone: string): LocalTime {
  const parts: Record<string, number> = {}
  for (const p of formatter(timeZone).formatToParts(date)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value)
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  }
}

/** How far `timeZone` is ahead of UTC at the instant `ms`, in ms. */
function offsetAt(ms: number, timeZone: string): number {
  const l = localTime(new Date(ms), timeZone)
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second)
  return asUtc - Math.floor(ms / 1000) * 1000
}

function sameLocal(a: LocalTime, b: LocalTime): boolean {
  return (
    a.year === b.year &&
    a.month === b.month &&
    a.day === b.day &&
    a.hour === b.hour &&
    a.minute === b.minute &&
    a.second === b.second
  )
}

/**
 * The instant a wall clock in `timeZone` shows `local`. Across daylight-saving changes: a
 * time that occurs twice (the autumn overlap) is its first occurrence; a time that does not
 * exist (the spring gap) moves forward by the gap (02:30 becomes 03:30), as croner does.
 */
export function zonedToUtc(local: LocalTime, timeZone: string): Date {
  const guess = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
  )
  const day = 24 * 3600 * 1000
  const before = offsetAt(guess - day, timeZone)
  const after = offsetAt(guess + day, timeZone)
  const candidates = [...new Set([guess - before, guess - after])]
    .filter((t) => sameLocal(localTime(new Date(t), timeZone), local))
    .sort((a, b) => a - b)
  // In a gap no instant shows this time: the offset before the change carries it forward.
  return new Date(candidates[0] ?? guess - before)
}

const localPattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/

/** Reads `YYYY-MM-DDTHH:MM[:SS]` (no offset) as a local time; undefined when it is not one. */
export function parseLocalTime(text: string): LocalTime | undefined {
  const m = localPattern.exec(text)
  if (!m) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const probe = new Date(Date.UTC(year, month - 1, day))
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  return { year, month, day, hour, minute, second }
}

/**
 * An instant from text: ISO 8601 with an offset or `Z` as it says, or a local date-time
 * without one on the clock of `timeZone`. Undefined when it is neither.
 */
export function parseInstant(text: string, timeZone: string): Date | undefined {
  const local = parseLocalTime(text)
  if (local) return zonedToUtc(local, timeZone)
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    return undefined
  }
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? new Date(ms) : undefined
}

/** The local calendar day `days` after `local`'s (month and year roll over). */
export function addDays(local: LocalTime, days: number): LocalTime {
  const d = new Date(Date.UTC(local.year, local.month - 1, local.day + days))
  return { ...local, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }
}
