import type { AccountSettings } from '../accounts/index.js'
import type { TransportKind } from '../transports/index.js'

/** Where an account stands in its warm-up today. */
export interface WarmupPlan {
  /** Whether a cap on new conversations applies today. */
  active: boolean
  /** Day of the warm-up, 1 on the first; null when it is off or over. */
  day: number | null
  /** New conversations allowed today; null: no cap. */
  cap: number | null
}

const off: WarmupPlan = { active: false, day: null, cap: null }
const DAY_MS = 86_400_000

/**
 * Today's cap for the account: the step of the schedule that today falls in, counting
 * calendar days in the account's time zone from `startedAt` (or the account's creation).
 * On for WhatsApp Web accounts unless the setting says otherwise; no cap once the last
 * step is over.
 */
export function warmupPlan(
  settings: AccountSettings['warmup'],
  account: { transport: TransportKind; createdAt: string },
  now: number,
  timeZone: string,
): WarmupPlan {
  const enabled = settings.enabled ?? account.transport === 'baileys'
  if (!enabled) return off
  const start = Date.parse(settings.startedAt ?? account.createdAt)
  const day = Math.max(1, daysBetween(localDay(start, timeZone), localDay(now, timeZone)) + 1)
  let last = 0
  for (const step of settings.steps) {
    last += step.days
    if (day <= last) return { active: true, day, cap: step.newConversationsPerDay }
  }
  return off
}

const formats = new Map<string, Intl.DateTimeFormat>()

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formats.set(timeZone, f)
  }
  return f
}

/** The wall-clock time at `ms` in the zone, as if it were UTC (ms). */
function wallClock(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {}
  for (const p of format(timeZone).formatToParts(ms)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value)
  }
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts
  return Date.UTC(year, month - 1, day, hour, minute, second) + (ms % 1000)
}

/** The calendar day at `ms` in the zone, `YYYY-MM-DD`. */
export function localDay(ms: number, timeZone: string): string {
  return new Date(wallClock(ms, timeZone)).toISOString().slice(0, 10)
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS)
}

/** When the next calendar day begins in the zone (ms since the epoch), DST included. */
export function nextLocalMidnight(ms: number, timeZone: string): number {
  const wall = wallClock(ms, timeZone)
  const offset = wall - ms
  const nextWallMidnight = Math.floor(wall / DAY_MS) * DAY_MS + DAY_MS
  let at = nextWallMidnight - offset
  // The offset may change by then (a DST switch in between): measure it there.
  const offsetThen = wallClock(at, timeZone) - at
  if (offsetThen !== offset) at = nextWallMidnight - offsetThen
  return at
}
