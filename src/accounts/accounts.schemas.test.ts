import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { cloudSettingsSchema } from '../transports/cloud/index.js'
import {
  accountSettingsInput,
  accountSettingsSchema,
  createAccountBody,
  deleteAccountQuery,
  updateAccountBody,
} from './accounts.schemas.js'

/** The issues a schema finds in `value`, as `path: message` lines. */
function issues(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value)
  if (result.success) return []
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

const cloud = {
  phoneNumberId: '1234567890',
  accessToken: 'EAAG-secret-token',
  appSecret: 'app-secret',
  verifyToken: 'verify-me',
}

describe('accountSettingsSchema', () => {
  it('gives every setting its default', () => {
    expect(accountSettingsSchema.parse({})).toEqual({
      displayName: null,
      defaultCountry: null,
      timezone: 'UTC',
      defaultLanguage: null,
      adminNumbers: [],
      sendRatePerSecond: null,
      uncertainPolicy: 'mark',
      sandbox: { sendLatencyMs: 0, deliveredAfterMs: 300, readAfterMs: 1200, failureRate: 0 },
    })
  })
})

describe('accountSettingsInput', () => {
  it('normalises what it accepts', () => {
    expect(
      accountSettingsInput.parse({
        displayName: '  Dubai Branch ',
        defaultCountry: 'ae',
        timezone: 'asia/dubai',
        defaultLanguage: 'AR-ae',
        adminNumbers: ['+971 50 123 4567', '+971501234567', '+1 (555) 000-1111'],
      }),
    ).toEqual({
      displayName: 'Dubai Branch',
      defaultCountry: 'AE',
      timezone: 'Asia/Dubai',
      defaultLanguage: 'ar-AE',
      adminNumbers: ['+971501234567', '+15550001111'],
    })
  })

  it.each(['UTC', 'Europe/London', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata', 'Etc/GMT+4'])(
    'accepts the time zone %s',
    (timezone) => {
      expect(accountSettingsInput.parse({ timezone }).timezone).toBe(timezone)
    },
  )

  it('keeps only the keys given, so a change leaves the other settings alone', () => {
    expect(accountSettingsInput.parse({ sandbox: { failureRate: 0.5 } })).toEqual({
      sandbox: { failureRate: 0.5 },
    })
    expect(accountSettingsInput.parse({ displayName: null, defaultCountry: null })).toEqual({
      displayName: null,
      defaultCountry: null,
    })
  })

  it.each([
    [
      { timezone: 'Mars/Olympus_Mons' },
      'timezone: must be an IANA time zone name, e.g. Asia/Dubai',
    ],
    [{ timezone: '+04:00' }, 'timezone: must be an IANA time zone name, e.g. Asia/Dubai'],
    [{ timezone: '' }, 'timezone: must be an IANA time zone name, e.g. Asia/Dubai'],
    [
      { defaultLanguage: 'english please' },
      'defaultLanguage: must be a BCP 47 language tag, e.g. en or pt-BR',
    ],
    [
      { defaultCountry: 'XX' },
      'defaultCountry: must be an ISO 3166-1 alpha-2 country code with phone numbers, e.g. AE',
    ],
    [
      { defaultCountry: 'UAE' },
      'defaultCountry: must be an ISO 3166-1 alpha-2 country code with phone numbers, e.g. AE',
    ],
    [
      { adminNumbers: ['+15550001111', '0501234567'] },
      'adminNumbers.1: has no country code and no default country is set',
    ],
    [{ adminNumbers: ['+1 555'] }, 'adminNumbers.0: has the wrong length for its country code'],
    [
      { adminNumbers: '+15550001111' },
      'adminNumbers: Invalid input: expected array, received string',
    ],
    [{ displayName: '' }, 'displayName: must not be empty (null removes it)'],
    [{ displayName: 'x'.repeat(101) }, 'displayName: must be at most 100 characters'],
    [
      { uncertainPolicy: 'maybe' },
      'uncertainPolicy: Invalid option: expected one of "mark"|"resend"',
    ],
    [{ sendRatePerSecond: 0 }, 'sendRatePerSecond: Too small: expected number to be >0'],
    [{ sandbox: { failureRate: 2 } }, 'sandbox.failureRate: Too big: expected number to be <=1'],
    [{ timezon: 'UTC' }, ': Unrecognized key: "timezon"'],
  ])('refuses %j, naming the field', (settings, problem) => {
    expect(issues(accountSettingsInput, settings)).toEqual([problem])
  })

  it('names every failing field at once', () => {
    expect(
      issues(accountSettingsInput, { timezone: 'Nowhere', defaultCountry: 'ZZ' }).map(
        (line) => line.split(':')[0],
      ),
    ).toEqual(['defaultCountry', 'timezone'])
  })
})

describe('createAccountBody', () => {
  it('takes a sandbox account with settings', () => {
    expect(
      createAccountBody.parse({
        name: ' Support ',
        transport: 'sandbox',
        settings: { timezone: 'Asia/Dubai' },
      }),
    ).toEqual({ name: 'Support', transport: 'sandbox', settings: { timezone: 'Asia/Dubai' } })
  })

  it('fills in the Graph API defaults of a cloud account', () => {
    expect(createAccountBody.parse({ name: 'Sales', transport: 'cloud', cloud })).toEqual({
      name: 'Sales',
      transport: 'cloud',
      cloud: { ...cloud, graphBaseUrl: 'https://graph.facebook.com', apiVersion: 'v21.0' },
    })
  })

  it('stores nothing the Cloud API transport would refuse', () => {
    const parsed = createAccountBody.parse({
      name: 'Sales',
      transport: 'cloud',
      cloud: {
        ...cloud,
        wabaId: '987',
        graphBaseUrl: 'http://127.0.0.1:4010/',
        apiVersion: 'v22.0',
      },
    })
    if (parsed.transport !== 'cloud') throw new Error('expected a cloud account')
    expect(parsed.cloud.graphBaseUrl).toBe('http://127.0.0.1:4010')
    expect(cloudSettingsSchema.parse(parsed.cloud)).toEqual(parsed.cloud)
  })

  it('normalises the phone of a WhatsApp Web account', () => {
    expect(
      createAccountBody.parse({
        name: 'Branch 2',
        transport: 'baileys',
        baileys: { phone: '+971 50 123 4567' },
      }),
    ).toMatchObject({ baileys: { phone: '+971501234567' } })
  })

  it.each([
    [
      { name: 'X', transport: 'telegram' },
      'transport: must be "sandbox", "cloud" (with `cloud`) or "baileys" (with `baileys`)',
    ],
    [
      { name: 'X', transport: 'cloud' },
      'cloud: Invalid input: expected object, received undefined',
    ],
    [
      { name: 'X', transport: 'cloud', cloud: { ...cloud, phoneNumberId: '+971501234567' } },
      "cloud.phoneNumberId: must be digits (Meta's phone number id, not the phone number)",
    ],
    [
      { name: 'X', transport: 'cloud', cloud: { ...cloud, accessToken: '' } },
      'cloud.accessToken: must not be empty',
    ],
    [
      { name: 'X', transport: 'cloud', cloud: { ...cloud, graphBaseUrl: 'ftp://graph' } },
      'cloud.graphBaseUrl: must be an http(s) URL',
    ],
    [
      { name: 'X', transport: 'cloud', cloud: { ...cloud, apiVersion: '21' } },
      'cloud.apiVersion: must look like v21.0',
    ],
    [
      { name: 'X', transport: 'baileys', baileys: { phone: 'call me' } },
      'baileys.phone: is not a phone number',
    ],
    [{ name: 'X', transport: 'sandbox', cloud }, ': Unrecognized key: "cloud"'],
    [
      { name: 'X', transport: 'sandbox', settings: { timezone: 'Nowhere' } },
      'settings.timezone: must be an IANA time zone name, e.g. Asia/Dubai',
    ],
  ])('refuses %j, naming the field', (body, problem) => {
    expect(issues(createAccountBody, body)).toEqual([problem])
  })

  it('never repeats a secret in its messages', () => {
    const body = {
      name: 'X',
      transport: 'cloud',
      cloud: { ...cloud, accessToken: 42, appSecret: 'app-secret', graphBaseUrl: 'nope' },
    }
    const text = JSON.stringify(createAccountBody.safeParse(body).error?.issues)
    expect(text).not.toContain('app-secret')
    expect(text).not.toContain('verify-me')
  })
})

describe('updateAccountBody', () => {
  it('takes any one field', () => {
    expect(updateAccountBody.parse({ name: 'New' })).toEqual({ name: 'New' })
    expect(updateAccountBody.parse({ cloud: { accessToken: 'renewed', wabaId: null } })).toEqual({
      cloud: { accessToken: 'renewed', wabaId: null },
    })
  })

  it('refuses an empty change and unknown fields', () => {
    expect(issues(updateAccountBody, {})).toEqual([': give at least one field to change'])
    expect(issues(updateAccountBody, { state: 'connected' })).toContain(
      ': Unrecognized key: "state"',
    )
  })
})

describe('deleteAccountQuery', () => {
  it('purges only when asked', () => {
    expect(deleteAccountQuery.parse({})).toEqual({ purge: false })
    expect(deleteAccountQuery.parse({ purge: 'true' })).toEqual({ purge: true })
    expect(deleteAccountQuery.parse({ purge: 'false' })).toEqual({ purge: false })
    expect(issues(deleteAccountQuery, { purge: 'yes please' })).toEqual([
      'purge: must be true or false',
    ])
  })
})
