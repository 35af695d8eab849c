import { describe, expect, it } from 'vitest'
import {
  applySettingsChange,
  botSettingsInput,
  defaultStopKeywords,
  effectiveSettings,
} from './settings.schemas.js'

describe(effectiveSettings.name, () => {
  it('gives the defaults when nothing is set: fallback off, a cap, STOP in five languages', () => {
    const s = effectiveSettings({}, {})
    expect(s.fallbackReply).toBeNull()
    expect(s.commandPrefix).toBe('!')
    expect(s.maxAutoRepliesPerMinute).toBe(10)
    expect(s.optOut.stopKeywords).toEqual(defaultStopKeywords)
    expect(Object.keys(s.optOut.stopKeywords).sort()).toEqual(['ar', 'en', 'es', 'fr', 'pt'])
    expect(s.groups).toEqual({ enabled: [], replyWhen: 'mentioned' })
  })

  it('takes the account keys over the instance keys, merging objects one level deep', () => {
    const s = effectiveSettings(
      { commandPrefix: '/', groups: { enabled: ['g1'], replyWhen: 'always' } },
      { fallbackReply: 'Sorry?', groups: { enabled: ['g2'] } },
    )
    expect(s.commandPrefix).toBe('/')
    expect(s.fallbackReply).toBe('Sorry?')
    expect(s.groups).toEqual({ enabled: ['g2'], replyWhen: 'always' })
  })
})

describe(applySettingsChange.name, () => {
  it('changes only the keys given, and removes those set to null', () => {
    const stored = { commandPrefix: '/', maxAutoRepliesPerMinute: 5 }
    const change = botSettingsInput.parse({ commandPrefix: null, fallbackReply: 'Hm?' })
    expect(applySettingsChange(stored, change)).toEqual({
      maxAutoRepliesPerMinute: 5,
      fallbackReply: 'Hm?',
    })
  })
})

describe('botSettingsInput', () => {
  it('names each bad setting', () => {
    const result = botSettingsInput.safeParse({
      commandPrefix: 'go',
      teamNumbers: ['12345'],
      maxAutoRepliesPerMinute: 0,
      colour: 'red',
    })
    expect(result.error?.issues.map((i) => i.path.join('.') || i.code).sort()).toEqual([
      'commandPrefix',
      'maxAutoRepliesPerMinute',
      'teamNumbers.0',
      'unrecognized_keys',
    ])
  })
})
