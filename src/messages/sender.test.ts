import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { retryDelay } from './sender.js'

describe(retryDelay.name, () => {
  const options = { baseMs: 1000, maxMs: 300_000 }

  it('backs off exponentially with jitter, capped', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, r) => {
          const delay = retryDelay(attempt, undefined, { ...options, random: () => r })
          const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1))
          expect(delay).toBeGreaterThanOrEqual(ceiling / 2)
          expect(delay).toBeLessThanOrEqual(ceiling)
        },
      ),
    )
  })

  it('never retries sooner than the provider asked, and spreads throttled retries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, hint, r) => {
          const delay = retryDelay(attempt, hint, { ...options, random: () => r })
          expect(delay).toBeGreaterThanOrEqual(hint)
          expect(delay).toBeLessThanOrEqual(Math.max(hint * 1.2 + 1, options.maxMs))
        },
      ),
    )
    const a = retryDelay(1, 6000, { ...options, random: () => 0 })
    const b = retryDelay(1, 6000, { ...options, random: () => 0.9 })
    expect(a).not.toBe(b)
  })
})
