import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CircuitBreaker } from './breaker.js'

function makeBreaker(threshold = 3, coolDownMs = 1000) {
  let now = 1_000_000
  const breaker = new CircuitBreaker({ failureThreshold: threshold, coolDownMs }, () => now)
  return {
    breaker,
    advance: (ms: number) => {
      now += ms
    },
  }
}

describe(CircuitBreaker.name, () => {
  it('stays closed below the threshold, and a success starts the count again', () => {
    const { breaker } = makeBreaker(3)
    expect(breaker.failure(false)).toBeUndefined()
    expect(breaker.failure(false)).toBeUndefined()
    expect(breaker.success(false)).toBeUndefined()
    expect(breaker.failure(false)).toBeUndefined()
    expect(breaker.failure(false)).toBeUndefined()
    expect(breaker.state).toBe('closed')
    expect(breaker.admit()).toEqual({ go: true, probe: false })
  })

  it('opens after the threshold of failures in a row and makes sends wait the cool-down', () => {
    const { breaker, advance } = makeBreaker(3, 1000)
    breaker.failure(false)
    breaker.failure(false)
    expect(breaker.failure(false)).toBe('open')
    expect(breaker.admit()).toEqual({ go: false, waitMs: 1000 })
    advance(400)
    expect(breaker.waitMs()).toBe(600)
    expect(breaker.admit()).toEqual({ go: false, waitMs: 600 })
  })

  it('lets one probe through after the cool-down while the others wait, and closes on its success', () => {
    const { breaker, advance } = makeBreaker(1, 1000)
    breaker.failure(false)
    advance(1000)
    expect(breaker.admit()).toEqual({ go: true, probe: true })
    expect(breaker.state).toBe('half_open')
    expect(breaker.admit()).toMatchObject({ go: false })
    expect(breaker.success(true)).toBe('closed')
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 })
    expect(breaker.admit()).toEqual({ go: true, probe: false })
  })

  it('opens again for twice as long when the probe fails', () => {
    const { breaker, advance } = makeBreaker(1, 1000)
    breaker.failure(false)
    advance(1000)
    breaker.admit()
    expect(breaker.failure(true)).toBe('open')
    expect(breaker.waitMs()).toBe(2000)
    advance(2000)
    breaker.admit()
    breaker.failure(true)
    expect(breaker.waitMs()).toBe(4000)
  })

  it('lets another probe go when one ended without a verdict', () => {
    const { breaker, advance } = makeBreaker(1, 1000)
    breaker.failure(false)
    advance(1000)
    expect(breaker.admit()).toMatchObject({ probe: true })
    breaker.abandon(true)
    expect(breaker.admit()).toEqual({ go: true, probe: true })
  })

  it('closes by hand', () => {
    const { breaker } = makeBreaker(1)
    breaker.failure(false)
    expect(breaker.reset()).toBe('closed')
    expect(breaker.admit()).toEqual({ go: true, probe: false })
  })

  it('comes back from storage open, with its cool-down, even if it was half-open', () => {
    let now = 5000
    const breaker = new CircuitBreaker({ failureThreshold: 2, coolDownMs: 1000 }, () => now, {
      state: 'half_open',
      consecutiveFailures: 4,
      openedAt: 4000,
      probeAt: 5500,
    })
    expect(breaker.state).toBe('open')
    expect(breaker.admit()).toEqual({ go: false, waitMs: 500 })
    now = 5500
    expect(breaker.admit()).toEqual({ go: true, probe: true })
  })

  it('never lets two probes out at once, whatever happens', () => {
    // Random runs of admissions, outcomes and time: at most one probe is ever in flight,
    // and a closed breaker always admits.
    const step = fc.oneof(
      fc.constant('admit' as const),
      fc.constant('succeed' as const),
      fc.constant('fail' as const),
      fc.integer({ min: 1, max: 5000 }),
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const { breaker, advance } = makeBreaker(3, 1000)
        const inFlight: boolean[] = []
        for (const s of steps) {
          if (typeof s === 'number') advance(s)
          else if (s === 'admit') {
            const closed = breaker.state === 'closed'
            const a = breaker.admit()
            if (closed) expect(a.go).toBe(true)
            if (a.go) inFlight.push(a.probe)
            expect(inFlight.filter((p) => p).length).toBeLessThanOrEqual(1)
          } else if (inFlight.length > 0) {
            const probe = inFlight.shift()!
            if (s === 'succeed') breaker.success(probe)
            else breaker.failure(probe)
          }
        }
      }),
    )
  })
})
