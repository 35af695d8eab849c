import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SendPacer } from './rate-limiter.js'

/** A pacer on a clock the test moves by hand. */
function makePacer(start = 1_000_000): { pacer: SendPacer; advance(ms: number): void } {
  let now = start
  return {
    pacer: new SendPacer(() => now),
    advance: (ms) => {
      now += ms
    },
  }
}

const reserveMany = (pacer: SendPacer, key: string, rate: number | null, n: number): number[] =>
  Array.from({ length: n }, () => pacer.reserve(key, rate))

describe(SendPacer.name, () => {
  it('never waits with a null rate', () => {
    const { pacer } = makePacer()
    expect(reserveMany(pacer, 'acc', null, 1000).every((wait) => wait === 0)).toBe(true)
  })

  it('lets a one-second burst through, then spaces sends 1/rate apart', () => {
    const { pacer } = makePacer()
    const waits = reserveMany(pacer, 'acc', 10, 14)
    expect(waits).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200, 300, 400])
  })

  it('sends at once and then every 1/rate seconds for a rate below one a second', () => {
    const { pacer } = makePacer()
    expect(reserveMany(pacer, 'acc', 0.5, 3)).toEqual([0, 2000, 4000])
  })

  it('does not make a slow key wait again after it has been idle', () => {
    const { pacer, advance } = makePacer()
    expect(pacer.reserve('acc', 0.2)).toBe(0)
    advance(60_000)
    expect(pacer.reserve('acc', 0.2)).toBe(0)
    expect(pacer.reserve('acc', 0.2)).toBe(5000)
  })

  it('lets a slow key send once its slot comes, even after giving slots back', () => {
    // The sender releases a slot it would wait over a second for and retries later; the
    // retry must find the slot free rather than be pushed back again.
    const { pacer, advance } = makePacer()
    pacer.reserve('acc', 0.2)
    const wait = pacer.reserve('acc', 0.2)
    pacer.release('acc', 0.2)
    advance(wait)
    expect(pacer.reserve('acc', 0.2)).toBe(0)
  })

  it('counts waits from the current time as the clock moves', () => {
    const { pacer, advance } = makePacer()
    reserveMany(pacer, 'acc', 10, 10)
    expect(pacer.reserve('acc', 10)).toBe(100)
    advance(150)
    expect(pacer.reserve('acc', 10)).toBe(50)
  })

  it('refills the burst after an idle second', () => {
    const { pacer, advance } = makePacer()
    reserveMany(pacer, 'acc', 10, 12)
    advance(5000)
    expect(reserveMany(pacer, 'acc', 10, 11)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100])
  })

  it('paces each key on its own', () => {
    const { pacer } = makePacer()
    reserveMany(pacer, 'a', 10, 12)
    expect(pacer.reserve('b', 10)).toBe(0)
    expect(pacer.reserve('a', 10)).toBe(300)
  })

  it('gives a released slot back to the next reservation', () => {
    const { pacer } = makePacer()
    reserveMany(pacer, 'acc', 10, 10)
    expect(pacer.reserve('acc', 10)).toBe(100)
    pacer.release('acc', 10)
    expect(pacer.reserve('acc', 10)).toBe(100)
    expect(pacer.reserve('acc', 10)).toBe(200)
  })

  it('ignores a release for a key with no reservation or a null rate', () => {
    const { pacer } = makePacer()
    pacer.release('unknown', 10)
    pacer.release('acc', null)
    expect(reserveMany(pacer, 'acc', 10, 11).at(-1)).toBe(100)
  })

  it('never lets more than a burst plus rate × seconds through in any stretch of time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 200 }),
        (rate, gaps) => {
          const { pacer, advance } = makePacer()
          let now = 0
          const sendTimes: number[] = []
          for (const gap of gaps) {
            advance(gap)
            now += gap
            sendTimes.push(now + pacer.reserve('acc', rate))
          }
          sendTimes.sort((x, y) => x - y)
          // Over any window, sends ≤ burst (rate) + rate × window length in seconds.
          for (let i = 0; i < sendTimes.length; i++) {
            for (let j = i; j < sendTimes.length; j++) {
              const span = (sendTimes[j] ?? 0) - (sendTimes[i] ?? 0)
              expect(j - i + 1).toBeLessThanOrEqual(rate + (rate * span) / 1000 + 1)
            }
          }
        },
      ),
      { numRuns: 50 },
    )
  })
})
