import { describe, expect, it } from 'vitest'
import { afterFailure, emailPolicy, lockedForMs, type ThrottlePolicy } from './throttle.js'

const policy: ThrottlePolicy = {
  freeFailures: 3,
  baseLockMs: 1_000,
  maxLockMs: 8_000,
  forgetAfterMs: 60_000,
}

describe(afterFailure.name, () => {
  it('locks nothing during the free failures, then doubles the lockout up to its cap', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    let record = undefined
    const locks: number[] = []
    for (let i = 0; i < 8; i++) {
      record = afterFailure('email:a@example.com', record, now, policy)
      locks.push(lockedForMs([record], now))
    }
    expect(locks).toEqual([0, 0, 0, 1_000, 2_000, 4_000, 8_000, 8_000])
  })

  it('forgets failures after a quiet while', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    let record = afterFailure('ip:1.2.3.4', undefined, now, policy)
    record = afterFailure('ip:1.2.3.4', record, now + 1_000, policy)
    expect(record.failures).toBe(2)
    record = afterFailure('ip:1.2.3.4', record, now + 1_000 + 61_000, policy)
    expect(record.failures).toBe(1)
  })

  it('gives a person five tries by email before the first lockout', () => {
    const now = 0
    let record = undefined
    for (let i = 0; i < 5; i++) record = afterFailure('email:x', record, now, emailPolicy)
    expect(lockedForMs([record!], now)).toBe(0)
    record = afterFailure('email:x', record, now, emailPolicy)
    expect(lockedForMs([record], now)).toBe(1_000)
  })
})

describe(lockedForMs.name, () => {
  it('waits for the longest lockout among the keys, and none once they have passed', () => {
    const records = [
      { key: 'a', failures: 9, lastFailureAt: '', lockedUntil: new Date(5_000).toISOString() },
      { key: 'b', failures: 9, lastFailureAt: '', lockedUntil: new Date(2_000).toISOString() },
      { key: 'c', failures: 1, lastFailureAt: '', lockedUntil: null },
    ]
    expect(lockedForMs(records, 1_000)).toBe(4_000)
    expect(lockedForMs(records, 6_000)).toBe(0)
  })
})
