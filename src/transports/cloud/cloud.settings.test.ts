import { describe, expect, it } from 'vitest'
import { cloudSettingsSchema } from './cloud.settings.js'

const minimal = {
  phoneNumberId: '106540352242922',
  accessToken: 'EAAG…',
  appSecret: 's',
  verifyToken: 'v',
}

describe('cloudSettingsSchema', () => {
  it("defaults to Meta's Graph API and v21.0", () => {
    expect(cloudSettingsSchema.parse(minimal)).toEqual({
      ...minimal,
      graphBaseUrl: 'https://graph.facebook.com',
      apiVersion: 'v21.0',
    })
  })

  it('takes another base URL (a fake in tests) without its trailing slash, and another version', () => {
    const s = cloudSettingsSchema.parse({
      ...minimal,
      wabaId: '102290129340398',
      graphBaseUrl: 'http://127.0.0.1:4000/',
      apiVersion: 'v23.0',
    })
    expect(s.graphBaseUrl).toBe('http://127.0.0.1:4000')
    expect(s.apiVersion).toBe('v23.0')
  })

  it('refuses ids that are not digits, empty secrets, odd versions and non-HTTP URLs', () => {
    for (const bad of [
      { phoneNumberId: '../x' },
      { wabaId: 'abc' },
      { accessToken: '' },
      { appSecret: '' },
      { verifyToken: '' },
      { apiVersion: '21' },
      { graphBaseUrl: 'file:///etc/passwd' },
    ]) {
      expect(cloudSettingsSchema.safeParse({ ...minimal, ...bad }).success).toBe(false)
    }
  })
})
