import { describe, expect, it } from 'vitest'
import { parseWhen } from './remind.command.js'

const now = new Date('2026-06-10T10:15:00Z')
const when = (line: string, zone = 'Asia/Dubai') => {
  const parsed = parseWhen(line.split(' '), now, zone)
  return parsed && { at: parsed.at.toISOString(), rest: parsed.rest.join(' ') }
}

describe(parseWhen.name, () => {
  it.each([
    ['in 2h Call Aisha', '2026-06-10T12:15:00.000Z', 'Call Aisha'],
    ['in 30m stand up', '2026-06-10T10:45:00.000Z', 'stand up'],
    ['in 1h30m tea', '2026-06-10T11:45:00.000Z', 'tea'],
    ['in 2 hours lunch', '2026-06-10T12:15:00.000Z', 'lunch'],
    ['in 1 day 2 hours renew', '2026-06-11T12:15:00.000Z', 'renew'],
    // Dubai is UTC+4: 9:00 there is 05:00 UTC.
    ['tomorrow 9:00 Send the report', '2026-06-11T05:00:00.000Z', 'Send the report'],
    ['tomorrow at 9 Send it', '2026-06-11T05:00:00.000Z', 'Send it'],
    ['today 18:30 gym', '2026-06-10T14:30:00.000Z', 'gym'],
    // 14:15 in Dubai now: "at 9:00" is tomorrow's.
    ['at 9:00 call', '2026-06-11T05:00:00.000Z', 'call'],
    ['at 20:00 call', '2026-06-10T16:00:00.000Z', 'call'],
    ['2026-12-01T09:00 Renew the domain', '2026-12-01T05:00:00.000Z', 'Renew the domain'],
    ['2026-12-01 09:00 Renew', '2026-12-01T05:00:00.000Z', 'Renew'],
    ['2026-12-01T09:00:00Z utc', '2026-12-01T09:00:00.000Z', 'utc'],
  ])('reads %j', (line, at, rest) => {
    expect(when(line)).toEqual({ at, rest })
  })

  it('reads local times in the given zone', () => {
    expect(when('tomorrow 9:00 x', 'America/New_York')?.at).toBe('2026-06-11T13:00:00.000Z')
  })

  it.each(['soon call', 'in call', 'tomorrow call', 'at noon', '2026-02-30T09:00 x', ''])(
    'finds no time in %j',
    (line) => {
      expect(when(line)).toBeUndefined()
    },
  )
})
