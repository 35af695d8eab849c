import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelay } from './port.js'

const lowest = () => 0
const highest = () => 0.999_999

describe(backoffDelay.name, () => {
  it('doubles its ceiling with each attempt', () => {
    const ceilings = [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, 100, 1e9, highest))
    expect(ceilings).toEqual([100, 200, 400, 800, 1600])
  })

  it('grows exponentially at any fixed jitter', () => {
    const delays = [1, 2, 3, 4].map((attempt) => backoffDelay(attempt, 1000, 1e9, () => 0.5))
    expect(delays).toEqual([750, 1500, 3000, 6000])
  })

  it('is capped at maxMs', () => {
    expect(backoffDelay(30, 1000, 60_000, highest)).toBe(60_000)
    expect(backoffDelay(30, 1000, 60_000, lowest)).toBe(30_000)
    expect(backoffDelay(1000, 1000, 60_000, highest)).toBe(60_000)
  })

  it('treats attempt 0 or less like the first attempt', () => {
    expect(backoffDelay(0, 100, 1e9, highest)).toBe(100)
    expect(backoffDelay(-3, 100, 1e9, highest)).toBe(100)
  })

  it('defaults to a one-second base and a five-minute cap', () => {
    expect(backoffDelay(1, undefined, undefined, highest)).toBe(1000)
    expect(backoffDelay(50, undefined, undefined, highest)).toBe(300_000)
  })

  it('stays within [ceiling / 2, ceiling] for any attempt and jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, maxMs, r) => {
          const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1))
          const delay = backoffDelay(attempt, baseMs, maxMs, () => r)
          expect(delay).toBeGreaterThanOrEqual(ceiling / 2)
          expect(delay).toBeLessThanOrEqual(ceiling)
        },
      ),
    )
  })

  it('spreads retries out with random jitter by default', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(3, 1000))
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(2000)
      expect(delay).toBeLessThanOrEqual(4000)
    }
    expect(new Set(delays).size).toBeGreaterThan(20)
  })
})
