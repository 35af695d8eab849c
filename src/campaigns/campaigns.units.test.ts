import { describe, expect, it } from 'vitest'
import { csvCell } from './campaigns.csv.js'
import { byLanguage, fill, recipientVars, TextRenderer, variablesOf } from './render.js'
import { accountChooser } from './spread.js'
import { Pacer, quietUntil } from './throttle.js'

describe(fill.name, () => {
  it('fills variables, with fallbacks, and leaves unknown ones empty', () => {
    expect(fill('Hi {{name}}, {{ city | there }}! {{nope}}.', { name: 'Aisha' })).toBe(
      'Hi Aisha, there! .',
    )
  })

  it('never reads a variable as a pattern', () => {
    expect(fill('{{name}}', { name: '{{code}} $& $1' })).toBe('{{code}} $& $1')
  })
})

describe(TextRenderer.name, () => {
  const renderer = new TextRenderer()
  const message = {
    type: 'text' as const,
    text: 'Hello {{name}}',
    translations: { ar: 'مرحبا {{name}}', pt: 'Olá {{name}}' },
  }

  it("picks the contact's language, then its base language, then the default", () => {
    const vars = { name: 'Sam' }
    expect(renderer.render(message, { vars, language: 'ar' })).toEqual({
      type: 'text',
      text: 'مرحبا Sam',
    })
    expect(renderer.render(message, { vars, language: 'pt-BR' })).toEqual({
      type: 'text',
      text: 'Olá Sam',
    })
    expect(renderer.render(message, { vars, language: 'de' })).toEqual({
      type: 'text',
      text: 'Hello Sam',
    })
    expect(renderer.render(message, { vars, language: null })).toEqual({
      type: 'text',
      text: 'Hello Sam',
    })
  })

  it('fills template parameters and picks the template language', () => {
    const template = {
      type: 'template' as const,
      template: {
        name: 'promo',
        language: 'en_US',
        languages: { es: 'es' },
        components: [
          { type: 'body' as const, parameters: [{ type: 'text' as const, text: '{{name}}' }] },
        ],
      },
    }
    expect(renderer.render(template, { vars: { name: 'Ana' }, language: 'es-MX' })).toEqual({
      type: 'template',
      template: {
        name: 'promo',
        language: 'es',
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }],
      },
    })
    expect(variablesOf(template)).toEqual(['name'])
  })

  it('finds the variables of every language', () => {
    expect(
      variablesOf({ type: 'text', text: '{{a}}', translations: { fr: '{{b}} {{a}}' } }),
    ).toEqual(['a', 'b'])
    expect(byLanguage(undefined, 'en')).toBeUndefined()
  })
})

describe(recipientVars.name, () => {
  it("takes the recipient's own values first, then the contact's fields and attributes", () => {
    const contact = {
      name: 'Aisha Khan',
      phone: '+971501234567',
      language: 'ar',
      attributes: { city: 'Dubai', tier: 2, nested: { a: 1 } },
    }
    expect(
      recipientVars(
        ['name', 'firstName', 'city', 'attributes.tier', 'code', 'nested', 'phone'],
        contact,
        { code: 'X1' },
      ),
    ).toEqual({
      name: 'Aisha Khan',
      firstName: 'Aisha',
      city: 'Dubai',
      'attributes.tier': '2',
      code: 'X1',
      phone: '+971501234567',
    })
    expect(recipientVars([], contact, undefined)).toBeNull()
  })
})

describe(quietUntil.name, () => {
  const quiet = { start: '22:00', end: '08:00' }

  it('says when quiet hours that run past midnight end, on the zone’s clock', () => {
    // 23:30 in Berlin (CET, UTC+1) → 08:00 next morning = 07:00 UTC.
    expect(
      quietUntil(new Date('2027-01-10T22:30:00Z'), quiet, 'Europe/Berlin')?.toISOString(),
    ).toBe('2027-01-11T07:00:00.000Z')
    // 03:00 in New York (EST) → 08:00 the same morning = 13:00 UTC.
    expect(
      quietUntil(new Date('2027-01-10T08:00:00Z'), quiet, 'America/New_York')?.toISOString(),
    ).toBe('2027-01-10T13:00:00.000Z')
  })

  it('is undefined outside quiet hours, and when they are empty', () => {
    expect(quietUntil(new Date('2027-01-10T12:00:00Z'), quiet, 'Europe/Berlin')).toBeUndefined()
    expect(
      quietUntil(new Date('2027-01-10T12:00:00Z'), { start: '09:00', end: '09:00' }, 'UTC'),
    ).toBeUndefined()
  })

  it('handles hours within a day, and the night of a DST change', () => {
    const lunch = { start: '12:00', end: '14:00' }
    expect(quietUntil(new Date('2027-06-01T12:30:00Z'), lunch, 'UTC')?.toISOString()).toBe(
      '2027-06-01T14:00:00.000Z',
    )
    // Berlin springs forward on 28 March 2027: 08:00 CEST is 06:00 UTC.
    expect(
      quietUntil(new Date('2027-03-27T23:00:00Z'), quiet, 'Europe/Berlin')?.toISOString(),
    ).toBe('2027-03-28T06:00:00.000Z')
  })
})

describe(Pacer.name, () => {
  it('books each account on its own grid at the rate', () => {
    const pacer = new Pacer(600) // 10 a second: one every 100 ms
    expect([0, 0, 0].map(() => pacer.book('a', 1000))).toEqual([1000, 1100, 1200])
    expect(pacer.book('b', 1000)).toBe(1000)
    // Booked late but on the grid: the rate over time holds.
    expect(pacer.book('a', 1250)).toBe(1300)
  })

  it('starts a new grid after falling far behind, rather than bursting', () => {
    const pacer = new Pacer(600)
    pacer.book('a', 0)
    expect(pacer.book('a', 5000)).toBe(5000)
    expect(pacer.book('a', 5000)).toBe(5100)
  })

  it('moves each send by at most the jitter, keeping the average', () => {
    let r = 0
    const randoms = [0, 1, 0.5]
    const pacer = new Pacer(600, 0.2, () => randoms[r++ % 3]!)
    expect([0, 0, 0].map(() => pacer.book('a', 0))).toEqual([0, 120, 200])
  })
})

describe(accountChooser.name, () => {
  it('takes accounts in turn', () => {
    const choose = accountChooser('round_robin', ['a', 'b', 'c'])
    expect(Array.from({ length: 5 }, () => choose())).toEqual(['a', 'b', 'c', 'a', 'b'])
  })

  it('spreads by weight, interleaved', () => {
    const choose = accountChooser('weighted', ['a', 'b'], { a: 3, b: 1 })
    const picks = Array.from({ length: 8 }, () => choose())
    expect(picks.filter((p) => p === 'a')).toHaveLength(6)
    expect(picks.slice(0, 4).filter((p) => p === 'b')).toHaveLength(1)
  })

  it("keeps a contact on its last account when it is one of the campaign's", () => {
    const choose = accountChooser('last_account', ['a', 'b'])
    expect([choose('b'), choose('x'), choose(undefined), choose('a')]).toEqual(['b', 'a', 'b', 'a'])
  })
})

describe(csvCell.name, () => {
  it('quotes what needs quoting and defuses formulas, but not phone numbers', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(csvCell('+15550001111')).toBe('+15550001111')
    expect(csvCell(null)).toBe('')
    expect(csvCell(12)).toBe('12')
  })
})
