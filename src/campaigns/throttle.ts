import { addDays, localTime, zonedToUtc } from '../platform/zoned-time.js'

/** Quiet hours as stored: `HH:MM` on the recipient's (or the account's) clock. */
export interface QuietHours {
  start: string
  end: string
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number]
  return h * 60 + m
}

/**
 * When quiet hours that hold at `at` end, on the clock of `timeZone`; undefined when `at`
 * is outside them. Quiet hours may run past midnight (22:00–08:00); equal start and end
 * mean none.
 */
export function quietUntil(at: Date, quiet: QuietHours, timeZone: string): Date | undefined {
  const start = minutesOf(quiet.start)
  const end = minutesOf(quiet.end)
  if (start === end) return undefined
  const local = localTime(at, timeZone)
  const now = local.hour * 60 + local.minute
  const wraps = start > end
  const inside = wraps ? now >= start || now < end : now >= start && now < end
  if (!inside) return undefined
  // Past midnight's start, the end is tomorrow's.
  const day = wraps && now >= start ? addDays(local, 1) : local
  return zonedToUtc({ ...day, hour: Math.floor(end / 60), minute: end % 60, second: 0 }, timeZone)
}

/** How far behind its grid an account may fall and still catch up (in a short burst). */
const CATCH_UP_MS = 1000

/**
 * Paces sends per account at a fixed rate: each account's sends are booked on a fixed
 * grid (start + n × interval, each moved by up to ±jitter of an interval), so the rate
 * over time is the setting whatever the delays of single sends; an account that fell
 * more than a second behind starts a new grid rather than catching up in a burst.
 */
export class Pacer {
  private readonly intervalMs: number
  private readonly next = new Map<string, number>()

  constructor(
    perMinute: number,
    private readonly jitter: number = 0,
    private readonly random: () => number = Math.random,
  ) {
    this.intervalMs = 60_000 / perMinute
  }

  /** Books `account`'s next send: the time (ms) it may go, never before `now`. */
  book(account: string, now: number): number {
    let slot = this.next.get(account) ?? now
    // A little behind (a pause between batches), the grid catches up; far behind, it restarts.
    if (slot < now - Math.max(CATCH_UP_MS, this.intervalMs)) slot = now
    this.next.set(account, slot + this.intervalMs)
    const wobble = this.jitter > 0 ? (this.random() * 2 - 1) * this.jitter * this.intervalMs : 0
    return Math.max(now, slot + wobble)
  }

  /** When `account` could send next, without booking. */
  peek(account: string, now: number): number {
    return Math.max(now, this.next.get(account) ?? now)
  }
}
