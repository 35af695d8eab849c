import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SendLimiter, SpacingBook } from './rate-limiter.js'

/** A clock the test moves by hand. */
function makeClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let now = start
  return {
    now: () => now,
    advance: (ms) => {
      now += ms
    },
  }
}

/** The most sends any half-open window [t, t + windowMs) holds (times sorted ascending). */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let most = 0
  let first = 0
  for (let last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= windowMs) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}

/**
 * Runs the sender's use of the limiter on a simulated clock: each send arrives after its
 * gap, books its turn, waits for it, then takes (waiting more when the window says so).
 * Sends may start late (`late`), as real ones do under load. Returns when each one went.
 */
function simulate(rate: number, gaps: number[], late: number[] = []): number[] {
  const clock = makeClock()
  const limiter = new SendLimiter(clock.now)
  const sent: number[] = []
  const pending: Array<{ at: number }> = []
  let arrival = clock.now()
  for (const [i, gap] of gaps.entries()) {
    arrival += gap
    pending.push({ at: 0 })
    // Arrivals book in order; the clock is at the arrival when they do.
    if (clock.now() < arrival) clock.advance(arrival - clock.now())
    pending[pending.length - 1]!.at = limiter.reserve('acc', rate) + (late[i] ?? 0)
  }
  pending.sort((a, b) => a.at - b.at)
  for (const send of pending) {
    if (clock.now() < send.at) clock.advance(send.at - clock.now())
    for (let wait = limiter.take('acc', rate); wait > 0; wait = limiter.take('acc', rate)) {
      clock.advance(wait)
    }
    sent.push(clock.now())
  }
  return sent
}

describe(SendLimiter.name, () => {
  it('lets a one-second burst through at once, then nothing more within that second', () => {
    const clock = makeClock()
    const limiter = new SendLimiter(clock.now)
    const start = clock.now()
    const turns = Array.from({ length: 12 }, () => limiter.reserve('acc', 10) - start)
    expect(turns).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 1000])
  })

  it('spaces sends 1/rate apart below one a second', () => {
    const clock = makeClock()
    const limiter = new SendLimiter(clock.now)
    const start = clock.now()
    expect([1, 2, 3].map(() => limiter.reserve('acc', 0.5) - start)).toEqual([0, 2000, 4000])
  })

  it('does not make a key wait after it has been idle', () => {
    const clock = makeClock()
    const limiter = new SendLimiter(clock.now)
    for (let i = 0; i < 10; i++) limiter.reserve('acc', 10)
    clock.advance(5000)
    expect(limiter.reserve('acc', 10)).toBe(clock.now())
  })

  it('keeps each key on its own', () => {
    const clock = makeClock()
    const limiter = new SendLimiter(clock.now)
    for (let i = 0; i < 10; i++) limiter.reserve('a', 10)
    expect(limiter.reserve('b', 10)).toBe(clock.now())
    expect(limiter.reserve('a', 10)).toBe(clock.now() + 1000)
  })

  it('gives the latest booking back to the next one', () => {
    const clock = makeClock()
    const limiter = new SendLimiter(clock.now)
    for (let i = 0; i < 10; i++) limiter.reserve('acc', 10)
    const at = limiter.reserve('acc', 10)
    limiter.release('acc', at)
    expect(limiter.reserve('acc', 10)).toBe(at)
  })

  it('makes a late send wait rather than bunch up with the next ones', () => {
    const clock = makeClock()
    const limiter = new SendLimiter(clock.now)
    for (let i = 0; i < 2; i++) expect(limiter.take('acc', 2)).toBe(0)
    clock.advance(400)
    // The window, and half a millisecond more (rounded up to whole ms).
    expect(limiter.take('acc', 2)).toBe(601)
    clock.advance(601)
    expect(limiter.take('acc', 2)).toBe(0)
  })

  it('starts afresh when the rate changes', () => {
    const clock = makeClock()
    const limiter = new SendLimiter(clock.now)
    for (let i = 0; i < 5; i++) limiter.take('acc', 5)
    expect(limiter.take('acc', 5)).toBeGreaterThan(0)
    expect(limiter.take('acc', 50)).toBe(0)
  })

  it('never lets more than a second’s allowance through in any second of a long run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 2000 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 2000 }),
        (rate, gaps, late) => {
          const sent = simulate(rate, gaps, late)
          expect(busiestWindow(sent, 1000)).toBeLessThanOrEqual(rate)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('keeps to the rate over a long run at fractional rates too', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 60, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 2, maxLength: 1000 }),
        (rate, gaps) => {
          const sent = simulate(rate, gaps)
          const allowance = Math.max(1, Math.floor(rate))
          // Any stretch of time holds at most the burst plus the rate times its length.
          for (const span of [1000, 5000, 60_000]) {
            expect(busiestWindow(sent, span)).toBeLessThanOrEqual(
              allowance + Math.floor((rate * span) / 1000),
            )
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  it('keeps up with its rate when sends queue up: a backlog goes out at the full rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (rate) => {
        const n = rate * 20
        const sent = simulate(
          rate,
          Array.from({ length: n }, () => 0),
        )
        // n sends at `rate` a second, the first second's worth at once: (n/rate - 1) s,
        // and within a few ms of it (each window waits half a millisecond more).
        const ideal = ((n - rate) / rate) * 1000
        expect(sent.at(-1)! - sent[0]!).toBeGreaterThanOrEqual(ideal)
        expect(sent.at(-1)! - sent[0]!).toBeLessThanOrEqual(ideal + (n / rate) * 2)
      }),
      { numRuns: 50 },
    )
  })
})

describe(SpacingBook.name, () => {
  it('spaces sends to one contact and keeps a waiting send’s turn', () => {
    const clock = makeClock()
    const book = new SpacingBook(clock.now)
    expect(book.wait('acc:+1', 'm1', 1000)).toBe(0)
    expect(book.wait('acc:+1', 'm2', 1000)).toBe(1000)
    expect(book.wait('acc:+1', 'm3', 1000)).toBe(2000)
    // m2 comes back at its turn and finds it kept (m3's is after it).
    clock.advance(1000)
    expect(book.wait('acc:+1', 'm2', 1000)).toBe(0)
    expect(book.wait('acc:+1', 'm3', 1000)).toBe(1000)
    expect(book.wait('acc:+2', 'm4', 1000)).toBe(0)
  })

  it('holds a contact back until a block ends', () => {
    const clock = makeClock()
    const book = new SpacingBook(clock.now)
    book.block('acc:+1', clock.now() + 6000)
    expect(book.wait('acc:+1', 'm1', 0)).toBe(6000)
    expect(book.wait('acc:+2', 'm2', 0)).toBe(0)
  })

  it('forgets what holds no one back', () => {
    const clock = makeClock()
    const book = new SpacingBook(clock.now)
    book.wait('acc:+1', 'm1', 1000)
    book.release('m1')
    clock.advance(2000)
    book.prune()
    expect(book.size).toBe(0)
  })
})
