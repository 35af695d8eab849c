import { describe, expect, it } from 'vitest'
import {
  addDays,
  isTimeZone,
  localTime,
  parseInstant,
  parseLocalTime,
  zonedToUtc,
} from './zoned-time.js'

const at = (text: string, zone: string) => zonedToUtc(parseLocalTime(text)!, zone).toISOString()

describe(zonedToUtc.name, () => {
  it('reads an ordinary local time with the zone offset of that day', () => {
    expect(at('2026-01-15T09:00', 'Europe/Berlin')).toBe('2026-01-15T08:00:00.000Z')
    expect(at('2026-07-15T09:00', 'Europe/Berlin')).toBe('2026-07-15T07:00:00.000Z')
    expect(at('2026-07-15T09:00', 'America/New_York')).toBe('2026-07-15T13:00:00.000Z')
    expect(at('2026-07-15T09:00', 'UTC')).toBe('2026-07-15T09:00:00.000Z')
  })

  it('moves a time in the spring gap forward by the gap', () => {
    // Berlin: 02:00 CET becomes 03:00 CEST on 29 March 2026.
    expect(at('2026-03-29T02:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z')
    // New York: 02:00 EST becomes 03:00 EDT on 8 March 2026.
    expect(at('2026-03-08T02:30', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z')
  })

  it('takes the first of the two instants of a time in the autumn overlap', () => {
    // Berlin: 03:00 CEST goes back to 02:00 CET on 25 October 2026.
    expect(at('2026-10-25T02:30', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z')
    // New York: 02:00 EDT goes back to 01:00 EST on 1 November 2026.
    expect(at('2026-11-01T01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z')
  })

  it('is the inverse of localTime outside the gaps', () => {
    for (const zone of [
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
    ]) {
      for (
        let ms = Date.UTC(2026, 0, 1);
        ms < Date.UTC(2027, 0, 1);
        ms += 7 * 3600 * 1000 + 60_000
      ) {
        const local = localTime(new Date(ms), zone)
        const back = zonedToUtc(local, zone).getTime()
        // An overlap's second instant maps back to its first: never later, at most 1 h earlier.
        expect(ms - back).toBeGreaterThanOrEqual(0)
        expect(ms - back).toBeLessThanOrEqual(3600 * 1000)
        expect(localTime(new Date(back), zone)).toEqual(local)
      }
    }
  })
})

describe(parseInstant.name, () => {
  it('takes an offset as it is and a local time in the zone', () => {
    expect(parseInstant('2026-05-01T10:00:00Z', 'Asia/Dubai')?.toISOString()).toBe(
      '2026-05-01T10:00:00.000Z',
    )
    expect(parseInstant('2026-05-01T10:00:00+04:00', 'UTC')?.toISOString()).toBe(
      '2026-05-01T06:00:00.000Z',
    )
    expect(parseInstant('2026-05-01T10:00', 'Asia/Dubai')?.toISOString()).toBe(
      '2026-05-01T06:00:00.000Z',
    )
  })

  it.each(['tomorrow', '2026-02-30T10:00', '2026-05-01T25:00', '2026-05-01', ''])(
    'refuses %j',
    (text) => {
      expect(parseInstant(text, 'UTC')).toBeUndefined()
    },
  )
})

describe(isTimeZone.name, () => {
  it('knows IANA names and refuses the rest', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true)
    expect(isTimeZone('UTC')).toBe(true)
    expect(isTimeZone('Mars/Olympus')).toBe(false)
    expect(isTimeZone('+04:00')).toBe(false)
  })
})

describe(addDays.name, () => {
  it('rolls over months and years', () => {
    expect(addDays({ year: 2026, month: 12, day: 31, hour: 9, minute: 0, second: 0 }, 1)).toEqual({
      year: 2027,
      month: 1,
      day: 1,
      hour: 9,
      minute: 0,
      second: 0,
    })
  })
})
