import { describe, expect, it } from 'vitest'
import { conditionsHold, localTime, withinHours, type ConditionFacts } from './conditions.js'
import { ruleConditionsSchema } from './rules.schemas.js'

function facts(overrides: Partial<ConditionFacts> = {}): ConditionFacts {
  return {
    timezone: 'UTC',
    now: new Date('2026-03-02T10:00:00Z'), // a Monday
    contactLanguage: null,
    tags: [],
    messageType: 'text',
    firstMessage: () => Promise.resolve(false),
    ...overrides,
  }
}

const weekdays = [1, 2, 3, 4, 5]

describe(localTime.name, () => {
  it('reads the day and time in the account time zone', () => {
    // 22:30 UTC on Monday is 02:30 on Tuesday in Dubai (UTC+4).
    expect(localTime(new Date('2026-03-02T22:30:00Z'), 'Asia/Dubai')).toEqual({
      day: 2,
      minute: 150,
    })
    expect(localTime(new Date('2026-03-01T12:00:00Z'), 'UTC').day).toBe(7)
  })
})

describe(withinHours.name, () => {
  const office = { days: weekdays, from: '09:00', to: '17:00', inside: true }

  it('holds from the opening minute up to, not including, the closing one', () => {
    expect(withinHours(office, new Date('2026-03-02T09:00:00Z'), 'UTC')).toBe(true)
    expect(withinHours(office, new Date('2026-03-02T16:59:00Z'), 'UTC')).toBe(true)
    expect(withinHours(office, new Date('2026-03-02T17:00:00Z'), 'UTC')).toBe(false)
    expect(withinHours(office, new Date('2026-03-02T08:59:00Z'), 'UTC')).toBe(false)
  })

  it('does not hold on a day off', () => {
    expect(withinHours(office, new Date('2026-03-07T10:00:00Z'), 'UTC')).toBe(false)
  })

  it('uses the account time zone', () => {
    // 06:00 UTC is 10:00 in Dubai: open there, not in London.
    const at = new Date('2026-03-02T06:00:00Z')
    expect(withinHours(office, at, 'Asia/Dubai')).toBe(true)
    expect(withinHours(office, at, 'Europe/London')).toBe(false)
  })

  it('runs hours past midnight on the day they start', () => {
    const night = { days: [5], from: '22:00', to: '02:00', inside: true }
    expect(withinHours(night, new Date('2026-03-06T23:00:00Z'), 'UTC')).toBe(true) // Fri
    expect(withinHours(night, new Date('2026-03-07T01:00:00Z'), 'UTC')).toBe(true) // Sat early
    expect(withinHours(night, new Date('2026-03-08T01:00:00Z'), 'UTC')).toBe(false) // Sun early
  })
})

describe(conditionsHold.name, () => {
  it('holds with no conditions', () => {
    expect(conditionsHold({}, facts())).toBe(true)
  })

  it('matches the contact language by its base code', () => {
    const c = { languages: ['pt', 'es'] }
    expect(conditionsHold(c, facts({ contactLanguage: 'pt-BR' }))).toBe(true)
    expect(conditionsHold(c, facts({ contactLanguage: 'en' }))).toBe(false)
    expect(conditionsHold(c, facts({ contactLanguage: null }))).toBe(false)
    expect(conditionsHold({ languages: ['pt-BR'] }, facts({ contactLanguage: 'pt' }))).toBe(false)
  })

  it('checks tags: all, any and none', () => {
    const tags = ['vip', 'es']
    expect(conditionsHold({ tags: { all: ['vip', 'es'] } }, facts({ tags }))).toBe(true)
    expect(conditionsHold({ tags: { all: ['vip', 'fr'] } }, facts({ tags }))).toBe(false)
    expect(conditionsHold({ tags: { any: ['fr', 'vip'] } }, facts({ tags }))).toBe(true)
    expect(conditionsHold({ tags: { none: ['blocked'] } }, facts({ tags }))).toBe(true)
    expect(conditionsHold({ tags: { none: ['vip'] } }, facts({ tags }))).toBe(false)
  })

  it('checks the message type', () => {
    expect(conditionsHold({ messageTypes: ['image'] }, facts())).toBe(false)
    expect(conditionsHold({ messageTypes: ['image'] }, facts({ messageType: 'image' }))).toBe(true)
  })

  it('inverts business hours with inside: false', () => {
    const closed = { businessHours: { days: weekdays, from: '09:00', to: '17:00', inside: false } }
    expect(conditionsHold(closed, facts())).toBe(false)
    expect(conditionsHold(closed, facts({ now: new Date('2026-03-02T20:00:00Z') }))).toBe(true)
  })

  it('reads whether it is the first message only when a rule asks', async () => {
    let asked = 0
    const first = facts({
      firstMessage: () => {
        asked++
        return Promise.resolve(true)
      },
    })
    expect(conditionsHold({ languages: ['en'] }, first)).toBe(false)
    expect(asked).toBe(0)
    await expect(conditionsHold({ firstMessage: true }, first)).resolves.toBe(true)
    await expect(conditionsHold({ firstMessage: false }, first)).resolves.toBe(false)
  })
})

describe('ruleConditionsSchema', () => {
  it('names a bad time and a bad day', () => {
    const result = ruleConditionsSchema.safeParse({
      businessHours: { days: [0, 3], from: '9am', to: '17:00' },
    })
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'businessHours.days.0',
      'businessHours.from',
    ])
  })

  it('refuses an unknown condition', () => {
    expect(ruleConditionsSchema.safeParse({ weather: 'sunny' }).success).toBe(false)
  })
})
