import { describe, expect, it } from 'vitest'
import { cronProblem, nextCron, nextCrons, occurrencesBetween } from './timing.js'

const iso = (d: Date | null) => d?.toISOString()

describe(nextCron.name, () => {
  it.each([
    // zone, expression, after, expected runs (UTC)
    [
      'Europe/Berlin',
      '30 2 * * *',
      '2027-03-27T12:00:00Z',
      // 02:30 does not exist on 28 March: it runs at 03:30 CEST, then at 02:30 CEST.
      ['2027-03-28T01:30:00.000Z', '2027-03-29T00:30:00.000Z'],
    ],
    [
      'Europe/Berlin',
      '30 2 * * *',
      '2027-10-30T12:00:00Z',
      // 02:30 comes twice on 31 October: it runs once, at the first (CEST), then CET.
      ['2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z'],
    ],
    [
      'America/New_York',
      '30 2 * * *',
      '2027-03-13T12:00:00Z',
      ['2027-03-14T07:30:00.000Z', '2027-03-15T06:30:00.000Z'],
    ],
    [
      'America/New_York',
      '30 1 * * *',
      '2027-11-06T12:00:00Z',
      ['2027-11-07T05:30:00.000Z', '2027-11-08T06:30:00.000Z'],
    ],
    [
      'America/New_York',
      '0 9 * * 1-5',
      '2027-03-12T15:00:00Z',
      // A weekday 09:00 keeps its local time across the change (EST → EDT).
      ['2027-03-15T13:00:00.000Z', '2027-03-16T13:00:00.000Z'],
    ],
  ])('in %s, %s after %s runs at %j', (zone, expression, after, expected) => {
    expect(nextCrons(expression, zone, new Date(after), 2).map(iso)).toEqual(expected)
  })

  it('runs a daily time once on each day of a year, in both zones', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York']) {
      const runs = nextCrons('30 2 * * *', zone, new Date('2026-12-31T23:00:00Z'), 365)
      const days = runs.map((d) => new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(d))
      expect(new Set(days).size).toBe(365)
    }
  })

  it('gives none for an expression that never comes (30 February)', () => {
    expect(nextCron('0 0 30 2 *', 'UTC', new Date())).toBeNull()
  })
})

describe(cronProblem.name, () => {
  it('says what is wrong with an expression, and nothing for a good one', () => {
    expect(cronProblem('*/5 * * * *', 'UTC')).toBeUndefined()
    expect(cronProblem('0 9 * * 1-5', 'Asia/Dubai')).toBeUndefined()
    expect(cronProblem('every day', 'UTC')).toMatch(/five, six/)
    expect(cronProblem('61 * * * *', 'UTC')).toBeDefined()
    expect(cronProblem('0 0 30 2 *', 'UTC')).toBe('never runs again')
  })
})

describe(occurrencesBetween.name, () => {
  it('counts the times that came due, and the last one', () => {
    const from = new Date('2027-01-01T00:00:00Z')
    const to = new Date('2027-01-01T01:00:00Z')
    const { count, last } = occurrencesBetween('*/10 * * * *', 'UTC', from, to)
    expect(count).toBe(6)
    expect(iso(last)).toBe('2027-01-01T01:00:00.000Z')
  })

  it('stops at the cap', () => {
    const from = new Date('2027-01-01T00:00:00Z')
    const to = new Date('2027-01-02T00:00:00Z')
    expect(occurrencesBetween('* * * * *', 'UTC', from, to, 50).count).toBe(50)
  })
})
