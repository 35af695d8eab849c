import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkAnswer, questionText } from './flows.answers.js'
import { answerSchema, type AnswerSpec } from './flows.schemas.js'

const spec = (input: unknown): AnswerSpec => answerSchema.parse(input)
const value = (text: string | null, s: AnswerSpec, replyId?: string) => {
  const checked = checkAnswer({ text, ...(replyId ? { replyId } : {}) }, s)
  return checked.ok ? checked.value : undefined
}

describe(checkAnswer.name, () => {
  it('takes any text within its length', () => {
    const s = spec({ type: 'text', minLength: 2, maxLength: 5 })
    expect(value('  Ana ', s)).toBe('Ana')
    expect(value('A', s)).toBeUndefined()
    expect(value('Anastasia', s)).toBeUndefined()
    expect(checkAnswer({ text: null }, spec({ type: 'text' }))).toEqual({
      ok: false,
      hint: 'Please answer with a text.',
    })
  })

  it('reads numbers as people write them, within min and max', () => {
    const s = spec({ type: 'number', min: 1, max: 2000 })
    expect(value('12', s)).toBe(12)
    expect(value('1,5', s)).toBe(1.5)
    expect(value('1 000', s)).toBe(1000)
    expect(value('€ 12.50', s)).toBe(12.5)
    expect(value('3 kg', s)).toBe(3)
    expect(value('0', s)).toBeUndefined()
    expect(value('2001', s)).toBeUndefined()
    expect(value('twelve', s)).toBeUndefined()
    expect(value('1e3', s)).toBeUndefined()
    expect(value('2.5', spec({ type: 'number', integer: true }))).toBeUndefined()
    expect(checkAnswer({ text: 'x' }, spec({ type: 'number', min: 5 }))).toEqual({
      ok: false,
      hint: 'Please answer with a number of at least 5.',
    })
  })

  it('takes email addresses, lower-casing the domain', () => {
    const s = spec({ type: 'email' })
    expect(value('Ana.Lima+shop@Example.COM', s)).toBe('Ana.Lima+shop@example.com')
    for (const bad of ['ana', 'ana@', '@example.com', 'ana@example', 'a b@example.com']) {
      expect(value(bad, s), bad).toBeUndefined()
    }
  })

  it('reads dates in the given order and refuses days that do not exist', () => {
    expect(value('03/04/2026', spec({ type: 'date' }))).toBe('2026-04-03')
    expect(value('03/04/2026', spec({ type: 'date', order: 'mdy' }))).toBe('2026-03-04')
    expect(value('2026.04.03', spec({ type: 'date', order: 'ymd' }))).toBe('2026-04-03')
    expect(value('2026-04-03', spec({ type: 'date', order: 'mdy' }))).toBe('2026-04-03')
    expect(value('3.4.26', spec({ type: 'date' }))).toBe('2026-04-03')
    expect(value('31/02/2026', spec({ type: 'date' }))).toBeUndefined()
    expect(value('tomorrow', spec({ type: 'date' }))).toBeUndefined()
    const bounded = spec({ type: 'date', min: '2026-01-01', max: '2026-12-31' })
    expect(value('2025-12-31', bounded)).toBeUndefined()
    expect(checkAnswer({ text: '1/1/2027' }, bounded)).toEqual({
      ok: false,
      hint: 'Please answer with a date as DD/MM/YYYY between 2026-01-01 and 2026-12-31.',
    })
  })

  describe('choices', () => {
    const s = spec({
      type: 'choice',
      choices: [
        { value: 'small', label: 'Small (25 cm)', synonyms: ['s', 'pequeña'] },
        { value: 'large', synonyms: ['big', 'XL'] },
      ],
    })

    it('takes a value, a label, a synonym or a number', () => {
      expect(value('SMALL', s)).toBe('small')
      expect(value('small (25 cm)', s)).toBe('small')
      expect(value('Pequena', s)).toBe('small')
      expect(value('xl', s)).toBe('large')
      expect(value('2', s)).toBe('large')
      expect(value('1.', s)).toBe('small')
      expect(value('3', s)).toBeUndefined()
    })

    it('takes a sentence that names exactly one choice', () => {
      expect(value('the big one please', s)).toBe('large')
      expect(value('small or big?', s)).toBeUndefined()
      expect(value('smallish', s)).toBeUndefined()
    })

    it('takes the id of a button or list row picked', () => {
      expect(value('Whatever the title', s, 'large')).toBe('large')
    })

    it('lists the numbered choices under the question', () => {
      expect(questionText('Size?', s)).toBe('Size?\n1. Small (25 cm)\n2. large')
      const plain = spec({ type: 'choice', numbered: false, choices: [{ value: 'a' }] })
      expect(questionText('Size?', plain)).toBe('Size?')
      expect(value('1', plain)).toBeUndefined()
    })
  })

  it('matches regex patterns in linear time, hostile ones included', () => {
    const s = spec({ type: 'regex', pattern: '^[A-Z]{2}\\d{4}$', ignoreCase: true })
    expect(value('ab1234', s)).toBe('ab1234')
    expect(value('ab12345', s)).toBeUndefined()
    // Exponential for a backtracking engine; RE2 answers at once.
    const hostile = spec({ type: 'regex', pattern: '^(a+)+$' })
    expect(value(`${'a'.repeat(4000)}!`, hostile)).toBeUndefined()
    expect(value('a'.repeat(4000), hostile)).toBe('a'.repeat(4000))
  })

  it('never throws on any text, for any kind of answer', () => {
    const specs = [
      spec({ type: 'text' }),
      spec({ type: 'number', min: -5, max: 5 }),
      spec({ type: 'email' }),
      spec({ type: 'date', order: 'mdy' }),
      spec({ type: 'choice', choices: [{ value: 'yes', synonyms: ['y'] }, { value: 'no' }] }),
      spec({ type: 'regex', pattern: '(x|y)*z', ignoreCase: true }),
    ]
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 300 })),
        fc.constantFrom(...specs),
        (text, s) => {
          const checked = checkAnswer({ text }, s)
          if (checked.ok) expect(checked.value).toBeDefined()
          else expect(checked.hint).toMatch(/\S/)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('reads back every integer it is given, in range or not', () => {
    const s = spec({ type: 'number', min: 0, max: 100, integer: true })
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), (n) => {
        expect(value(String(n), s)).toBe(n >= 0 && n <= 100 ? n : undefined)
      }),
    )
  })
})
