import { describe, expect, it } from 'vitest'
import { AppError } from '../platform/errors.js'
import { normalizePhone } from './phone.js'
import type { CountryCode } from 'libphonenumber-js/min'

/** The AppError normalizePhone throws for this input, or fails the test when it accepts it. */
function rejection(input: string | (() => unknown), field = 'to', country?: CountryCode): AppError {
  try {
    if (typeof input === 'function') input()
    else normalizePhone(input, field, country)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error(`expected "${String(input)}" to be rejected`)
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

describe('normalizePhone, strict (numbers people type in)', () => {
  it.each([
    ['+971 50 123 4567', undefined, '+971501234567'],
    ['050 123 4567', 'AE', '+971501234567'],
    ['+91 98765 43210', undefined, '+919876543210'],
    ['98765 43210', 'IN', '+919876543210'],
    ['+55 11 98765-4321', undefined, '+5511987654321'],
    ['(11) 98765-4321', 'BR', '+5511987654321'],
    ['+86 138 1234 5678', undefined, '+8613812345678'],
    ['+234 803 123 4567', undefined, '+2348031234567'],
    ['0803 123 4567', 'NG', '+2348031234567'],
    ['+61 412 345 678', undefined, '+61412345678'],
    ['+81 3-1234-5678', undefined, '+81312345678'],
    ['+966 50 123 4567', undefined, '+966501234567'],
    ['+20 100 123 4567', undefined, '+201001234567'],
    ['+7 916 123-45-67', undefined, '+79161234567'],
    ['612 34 56 78', 'ES', '+34612345678'],
    ['+351 912 345 678', undefined, '+351912345678'],
    ['+52 55 1234 5678', undefined, '+525512345678'],
    ['(201) 555-0123', 'US', '+12015550123'],
    ['+1 555 000 1111', undefined, '+15550001111'],
  ] as const)('normalises %j (default country %s) to %s', (input, country, e164) => {
    expect(normalizePhone(input, 'body.phone', country, { strict: true })).toBe(e164)
  })

  it.each([
    ['+33 0 12 34 56 78', 'is not a valid number in FR'],
    ['+1 123 456 7890', 'is not a valid number for country code +1'],
  ])('refuses %j, which has a possible length, as %s', (input, reason) => {
    const error = rejection(() => normalizePhone(input, 'body.phone', undefined, { strict: true }))
    expect(error.errors).toEqual([{ path: 'body.phone', message: reason }])
  })

  it('lets the same numbers through when not strict (WhatsApp judges what exists)', () => {
    expect(normalizePhone('+33 0 12 34 56 78', 'to')).toBe('+33012345678')
  })
})
