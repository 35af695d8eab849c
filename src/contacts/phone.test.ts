import { describe, expect, it } from 'vitest'
import { AppError } from '../platform/errors.js'
import { normalizePhone } from './phone.js'
import type { CountryCode } from 'libphonenumber-js/min'

/** The AppError normalizePhone throws for this input, or fails the test when it accepts it. */
function rejection(input: string, field: string, country?: CountryCode): AppError {
  try {
    normalizePhone(input, field, country)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error(`expected "${input}" to be rejected`)
}

describe(normalizePhone.name, () => {
  it.each([
    ['+1 (555) 000-1111', '+15550001111'],
    ['+15550001111', '+15550001111'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+33 6 12 34 56 78', '+33612345678'],
    ['+49 30 123456', '+4930123456'],
    ['+1.555.000.1111', '+15550001111'],
    [' +1 555 000 1111 ', '+15550001111'],
    ['\t+15550001111\n', '+15550001111'],
  ])('normalises %j to E.164', (input, expected) => {
    expect(normalizePhone(input, 'body.to')).toBe(expected)
  })

  it.each([
    ['(555) 000-1111', 'US', '+15550001111'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['06 12 34 56 78', 'FR', '+33612345678'],
  ] as const)(
    'reads %j without a country code in the default country %s',
    (input, country, e164) => {
      expect(normalizePhone(input, 'body.to', country)).toBe(e164)
    },
  )

  it('lets an explicit country code win over the default country', () => {
    expect(normalizePhone('+44 20 7946 0958', 'body.to', 'US')).toBe('+442079460958')
  })

  it('rejects a number without a country code when there is no default country', () => {
    const error = rejection('5550001111', 'body.to')
    expect(error.code).toBe('PHONE_INVALID')
    expect(error.status).toBe(422)
    expect(error.errors).toEqual([
      { path: 'body.to', message: 'has no country code and no default country is set' },
    ])
  })

  it.each(['+1 555', '+1', '+44 20', '+44 20 7946 0958 12345'])(
    'rejects %j as the wrong length, naming the field',
    (input) => {
      const error = rejection(input, 'rows[3].phone')
      expect(error.code).toBe('PHONE_INVALID')
      expect(error.message).toContain(`"${input}"`)
      expect(error.errors).toEqual([
        { path: 'rows[3].phone', message: expect.stringMatching(/too short|length/) },
      ])
    },
  )

  it.each(['hello', '', 'call me maybe', '++--'])('rejects %j as not a number', (input) => {
    const error = rejection(input, 'query.phone', 'US')
    expect(error.code).toBe('PHONE_INVALID')
    expect(error.errors).toEqual([{ path: 'query.phone', message: 'is not a phone number' }])
    expect(error.message).toBe(`The phone number "${input}" is not a phone number`)
  })
})

describe('normalizePhone with an extension', () => {
  it('refuses a number with an extension, naming why', () => {
    expect(() => normalizePhone('+1 555 000 1111 ext 5', 'to')).toThrow(/extension/)
  })
})
