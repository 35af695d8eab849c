import { describe, expect, it } from 'vitest'
import { ar, en, es, fr, pt } from './catalogs.js'
import { languages, pickLanguage, supportedLanguage, translate, type MessageKey } from './i18n.js'

const sample = {
  prefix: '!',
  name: 'ping',
  usage: 'help [command]',
  summary: 'A summary',
  suggestion: 'help',
  permission: 'admin',
  ms: 12,
  code: 'xx',
  languages: 'en, es',
  connected: 1,
  total: 2,
  phone: '+15550001111',
  state: 'connected',
}

describe(translate.name, () => {
  it('formats every text of every catalog, with no placeholder left unfilled', () => {
    for (const language of languages) {
      for (const key of Object.keys(en) as MessageKey[]) {
        const text = translate(language, key, sample)
        expect(text, `${language} ${key}`).not.toMatch(/[{}]/)
        expect(text.length).toBeGreaterThan(0)
      }
    }
  })

  it('has the same keys in every catalog', () => {
    for (const catalog of [es, fr, pt, ar]) {
      expect(Object.keys(catalog).sort()).toEqual(Object.keys(en).sort())
    }
  })

  it('is written in each language, not copied from English', () => {
    expect(translate('es', 'optout.confirmed')).not.toBe(translate('en', 'optout.confirmed'))
    expect(translate('ar', 'help.header')).toBe('الأوامر:')
    expect(translate('fr', 'lang.set')).toContain('français')
  })

  it('offers the closest command only when there is one', () => {
    const base = { prefix: '!', name: 'hlep' }
    expect(translate('en', 'command.unknown', { ...base, suggestion: 'help' })).toContain(
      'Did you mean !help?',
    )
    expect(translate('en', 'command.unknown', { ...base, suggestion: 'none' })).not.toContain(
      'Did you mean',
    )
  })
})

describe(pickLanguage.name, () => {
  it('takes the first supported language, reading regional codes by their base', () => {
    expect(pickLanguage('pt-BR', 'es')).toBe('pt')
    expect(pickLanguage('de', 'ES')).toBe('es')
    expect(pickLanguage(null, undefined, 'ar_AE')).toBe('ar')
  })

  it('falls back to English', () => {
    expect(pickLanguage('de', null)).toBe('en')
    expect(pickLanguage()).toBe('en')
  })
})

describe(supportedLanguage.name, () => {
  it('refuses what Linda does not write', () => {
    expect(supportedLanguage('zz')).toBeUndefined()
    expect(supportedLanguage('')).toBeUndefined()
    expect(supportedLanguage('FR')).toBe('fr')
  })
})
