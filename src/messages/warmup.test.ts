import { describe, expect, it } from 'vitest'
import { accountSettingsSchema } from '../accounts/index.js'
import { localDay, nextLocalMidnight, warmupPlan } from './warmup.js'

const settings = accountSettingsSchema.parse({}).warmup
const created = '2026-11-01T10:00:00.000Z'
const day = (n: number) => Date.parse(created) + (n - 1) * 86_400_000

describe(warmupPlan.name, () => {
  it('is on for WhatsApp Web accounts and off for the others unless set', () => {
    expect(
      warmupPlan(settings, { transport: 'baileys', createdAt: created }, day(1), 'UTC'),
    ).toEqual({
      active: true,
      day: 1,
      cap: 20,
    })
    expect(
      warmupPlan(settings, { transport: 'cloud', createdAt: created }, day(1), 'UTC').active,
    ).toBe(false)
    expect(
      warmupPlan(
        { ...settings, enabled: true },
        { transport: 'sandbox', createdAt: created },
        day(1),
        'UTC',
      ).active,
    ).toBe(true)
    expect(
      warmupPlan(
        { ...settings, enabled: false },
        { transport: 'baileys', createdAt: created },
        day(1),
        'UTC',
      ).active,
    ).toBe(false)
  })

  it('grows the cap step by step over the first weeks, then lifts it', () => {
    const account = { transport: 'baileys' as const, createdAt: created }
    const caps = [1, 3, 4, 7, 8, 14, 15, 21, 22, 28].map(
      (n) => warmupPlan(settings, account, day(n), 'UTC').cap,
    )
    expect(caps).toEqual([20, 20, 40, 40, 80, 80, 150, 150, 250, 250])
    expect(warmupPlan(settings, account, day(29), 'UTC')).toEqual({
      active: false,
      day: null,
      cap: null,
    })
  })

  it('counts calendar days in the account time zone, from startedAt when set', () => {
    const account = { transport: 'baileys' as const, createdAt: created }
    // 23:30 in Dubai on the day of creation is still day 1; 00:30 the next day is day 2.
    expect(
      warmupPlan(settings, account, Date.parse('2026-11-01T19:30:00Z'), 'Asia/Dubai').day,
    ).toBe(1)
    expect(
      warmupPlan(settings, account, Date.parse('2026-11-01T20:30:00Z'), 'Asia/Dubai').day,
    ).toBe(2)
    const restarted = { ...settings, startedAt: '2026-11-20T00:00:00.000Z' }
    expect(warmupPlan(restarted, account, Date.parse('2026-11-21T12:00:00Z'), 'UTC').day).toBe(2)
  })
})

describe(nextLocalMidnight.name, () => {
  it('is the start of the next calendar day in the zone', () => {
    const at = Date.parse('2026-11-01T19:30:00Z')
    expect(new Date(nextLocalMidnight(at, 'Asia/Dubai')).toISOString()).toBe(
      '2026-11-01T20:00:00.000Z',
    )
    expect(new Date(nextLocalMidnight(at, 'UTC')).toISOString()).toBe('2026-11-02T00:00:00.000Z')
    expect(localDay(nextLocalMidnight(at, 'Asia/Dubai'), 'Asia/Dubai')).toBe('2026-11-02')
  })

  it('keeps to local midnight across a daylight saving change', () => {
    // New York leaves DST on 2026-11-01 at 02:00 local: that day has 25 hours.
    const at = Date.parse('2026-11-01T12:00:00Z')
    expect(new Date(nextLocalMidnight(at, 'America/New_York')).toISOString()).toBe(
      '2026-11-02T05:00:00.000Z',
    )
    const spring = Date.parse('2026-03-08T12:00:00Z')
    expect(new Date(nextLocalMidnight(spring, 'America/New_York')).toISOString()).toBe(
      '2026-03-09T04:00:00.000Z',
    )
  })
})
