/**
 * Per-key send limits over a sliding window: at most `allowance` sends in any window of
 * `window` ms, where for a rate of r sends a second the allowance is max(1, ⌊r⌋) and the
 * window allowance / r seconds. For a whole rate that is "never more than r sends in any
 * second": a burst is at most one second's allowance, and a burst is never followed by
 * another within the second, as a plain token bucket would allow.
 *
 * Two logs per key. `reserve` books when a send will go, in the order asked, so that a
 * sender knows how long to wait before it starts; `take` is the last word, at the moment of
 * sending, over the times sends really went (a booked send may start late and bunch up
 * with the next ones: `take` makes it wait the few milliseconds that keep the window).
 */
/** How far past the window `take` waits (0.05 % of a second: no rate is visibly lost). */
const TAKE_MARGIN_MS = 0.5

export class SendLimiter {
  private readonly keys = new Map<string, KeyState>()

  constructor(private readonly now: () => number = Date.now) {}

  /** Books the next send of `key`; returns when it may go (ms since the epoch). */
  reserve(key: string, ratePerSecond: number): number {
    const state = this.state(key, ratePerSecond)
    const { allowance, windowMs, booked } = state
    const now = this.now()
    const earlier = booked.length >= allowance ? booked[booked.length - allowance]! : -Infinity
    // Booked times never go down (see `release`), so the log stays sorted.
    const at = Math.max(now, earlier + windowMs, booked[booked.length - 1] ?? -Infinity)
    booked.push(at)
    // Twice what the window needs, so that a release leaves enough behind.
    if (booked.length > 2 * allowance) booked.shift()
    return at
  }

  /** Gives back a booking not used, when it is the latest one (older ones just lapse). */
  release(key: string, at: number): void {
    const booked = this.keys.get(key)?.booked
    if (booked && booked[booked.length - 1] === at) booked.pop()
  }

  /**
   * Takes a send now if the sends made in the last window allow it: returns 0 and counts
   * it. Otherwise returns how many ms to wait before asking again, and counts nothing.
   */
  take(key: string, ratePerSecond: number): number {
    const wait = this.waitToSend(key, ratePerSecond)
    if (wait === 0) this.count(key, ratePerSecond)
    return wait
  }

  /** How many ms until the sends made in the last window allow one more; 0: now. */
  waitToSend(key: string, ratePerSecond: number): number {
    const { allowance, windowMs, sent } = this.state(key, ratePerSecond)
    if (sent.length < allowance) return 0
    // A hair over the window: two sends exactly a window apart must not both land in one
    // window as the receiving end measures it.
    const free = sent[sent.length - allowance]! + windowMs + TAKE_MARGIN_MS
    const now = this.now()
    return now < free ? Math.ceil(free - now) : 0
  }

  /**
   * Counts a send that went, at the current time. Called just after the send started (not
   * before), so that whatever delayed its start is on the safe side of the next window.
   */
  count(key: string, ratePerSecond: number): void {
    const { allowance, sent } = this.state(key, ratePerSecond)
    sent.push(this.now())
    if (sent.length > allowance) sent.shift()
  }

  /** Forgets a key (its account was deleted). */
  forget(key: string): void {
    this.keys.delete(key)
  }

  private state(key: string, ratePerSecond: number): KeyState {
    let state = this.keys.get(key)
    // A new rate starts afresh: the old logs measured another window.
    if (!state || state.rate !== ratePerSecond) {
      const allowance = Math.max(1, Math.floor(ratePerSecond))
      state = {
        rate: ratePerSecond,
        allowance,
        windowMs: (allowance * 1000) / ratePerSecond,
        booked: [],
        sent: [],
      }
      this.keys.set(key, state)
    }
    return state
  }
}

interface KeyState {
  rate: number
  allowance: number
  windowMs: number
  /** The latest booked send times (up to twice `allowance`), ascending. */
  booked: number[]
  /** The latest `allowance` times sends went, ascending. */
  sent: number[]
}

/**
 * The earliest time each key may be sent to again (a contact's minimum spacing, a pair
 * rate limit). `wait` books turns in the order asked, per holder (a message), so that a
 * message told to come back at its turn finds it kept; `gap` is the last word at the
 * moment of sending, over the times sends really went.
 */
export class SpacingBook {
  private readonly next = new Map<string, number>()
  private readonly holds = new Map<string, { key: string; at: number }>()
  private readonly sentAt = new Map<string, number>()
  private readonly blocked = new Map<string, number>()

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * When `holder` may send to `key`: now (0) or the ms to wait. The holder's turn is kept
   * until `release` (it may leave and come back for it); sends after it queue behind it,
   * `spacingMs` apart.
   */
  wait(key: string, holder: string, spacingMs: number): number {
    const now = this.now()
    const held = this.holds.get(holder)
    if (held && held.key === key) return Math.max(0, held.at - now)
    const at = Math.max(now, this.next.get(key) ?? -Infinity)
    this.next.set(key, at + spacingMs)
    this.holds.set(holder, { key, at })
    return at - now
  }

  /** The holder is done with its turn (sent, failed, or gone). */
  release(holder: string): void {
    this.holds.delete(holder)
  }

  /** Nothing may be sent to `key` before `until` (a provider said so). */
  block(key: string, until: number): void {
    this.next.set(key, Math.max(until, this.next.get(key) ?? -Infinity))
    this.blocked.set(key, Math.max(until, this.blocked.get(key) ?? -Infinity))
  }

  /**
   * The last word before a send to `key`, over the times sends really went: how many ms
   * until it is `spacingMs` after the last one (and past any block); 0 to go now.
   */
  gap(key: string, spacingMs: number): number {
    const last = this.sentAt.get(key)
    const until = Math.max(
      last === undefined ? -Infinity : last + spacingMs,
      this.blocked.get(key) ?? -Infinity,
    )
    return Math.max(0, until - this.now())
  }

  /** A send to `key` goes now. */
  sent(key: string): void {
    this.sentAt.set(key, this.now())
  }

  /** Drops what no longer holds anyone back (call now and then). */
  prune(olderThanMs = 10 * 60_000): void {
    const now = this.now()
    for (const [key, at] of this.next) if (at <= now) this.next.delete(key)
    for (const [key, at] of this.blocked) if (at <= now) this.blocked.delete(key)
    const cutoff = now - olderThanMs
    for (const [key, at] of this.sentAt) if (at < cutoff) this.sentAt.delete(key)
    for (const [holder, hold] of this.holds) if (hold.at < cutoff) this.holds.delete(holder)
  }

  get size(): number {
    return this.next.size + this.holds.size + this.sentAt.size + this.blocked.size
  }
}
