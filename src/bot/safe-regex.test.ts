import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileMatch, prepareText } from './matcher.js'
import { ruleMatchSchema } from './rules.schemas.js'
import { REGEX_INPUT_LIMIT, regexProblem } from './safe-regex.js'

// Patterns known to backtrack catastrophically (OWASP's ReDoS examples and friends).
const hostile = [
  '(a+)+$',
  '(a|aa)+$',
  '(a|a?)+$',
  '(.*a){12}',
  '^(\\w+\\s?)*$',
  '(x+x+)+y',
  '^(([a-z])+.)+[A-Z]([a-z])+$',
  '(\\w+\\.)+\\w+@',
  '^(a+)+b',
]

describe(regexProblem.name, () => {
  it.each(hostile)('refuses the catastrophic pattern %s', (pattern) => {
    expect(regexProblem(pattern)).toMatch(/backtrack catastrophically/)
  })

  it.each([
    '^order #?\\d{3,10}$',
    '\\b(refund|return)s?\\b',
    '^(yes|no|maybe)$',
    '^[a-z]+ \\d+$',
    'invoice',
    '^[a-z]+@[a-z]+\\.com$',
  ])('accepts the ordinary pattern %s', (pattern) => {
    expect(regexProblem(pattern)).toBeUndefined()
  })

  it('refuses what is not a regular expression, saying why', () => {
    expect(regexProblem('(unclosed')).toMatch(/not a valid regular expression/)
  })

  it('is refused by the rule schema, naming the value', () => {
    const result = ruleMatchSchema.safeParse({ type: 'regex', value: ['^ok$', '(a+)+$'] })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.path).toEqual(['value', 1])
  })
})

describe('regex matching', () => {
  it('ignores case and finds the pattern anywhere unless anchored', () => {
    const match = compileMatch({ type: 'regex', value: 'order #?\\d{4}' })
    expect(match(prepareText('About ORDER #1234, please'))).toBe(true)
    expect(match(prepareText('order 12'))).toBe(false)
  })

  it(`only ever reads the first ${REGEX_INPUT_LIMIT} characters of a message`, () => {
    const match = compileMatch({ type: 'regex', value: 'needle' })
    expect(match(prepareText(`${'x'.repeat(REGEX_INPUT_LIMIT - 6)}needle`))).toBe(true)
    expect(match(prepareText(`${'x'.repeat(REGEX_INPUT_LIMIT)}needle`))).toBe(false)
  })

  it('agrees with `contains` on escaped literal text', () => {
    const word = fc.stringMatching(/^[a-z0-9 ]{1,12}$/).filter((s) => s.trim().length > 0)
    fc.assert(
      fc.property(word, fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (w, a, b) => {
        const escaped = w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        const text = `${a}${w.toUpperCase()}${b}`
        expect(compileMatch({ type: 'regex', value: escaped })(prepareText(text))).toBe(true)
      }),
    )
  })
})
