import { ruleMatchSchema } from './rules.schemas.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compileMatch,
  foldText,
  matches,
  matchKeys,
  MatchIndex,
  prepareText,
  words,
} from './matcher.js'
import type { RuleMatch } from './rules.schemas.js'

const exact = (value: RuleMatch['value']): RuleMatch => ({ type: 'exact', value })
const keyword = (value: RuleMatch['value']): RuleMatch => ({ type: 'keyword', value })
const contains = (value: RuleMatch['value']): RuleMatch => ({ type: 'contains', value })

describe(foldText.name, () => {
  it('lower-cases, strips accents and collapses spaces', () => {
    expect(foldText('  Olá   Mundo\n\tÇA VA ')).toBe('ola mundo ca va')
  })

  it('folds plain ASCII text as the full Unicode folding would', () => {
    const full = (text: string) =>
      text
        .normalize('NFD')
        .replace(/(?<!\p{Script=Cyrillic}\p{M}*)\p{M}+/gu, '')
        .normalize('NFC')
        .toLocaleLowerCase('und')
        .replace(/\s+/gu, ' ')
        .trim()
    fc.assert(fc.property(fc.string(), (s) => foldText(s) === full(s)))
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => foldText(s) === full(s)))
  })

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => foldText(foldText(s)) === foldText(s)),
    )
  })
})

describe(words.name, () => {
  it('splits on anything that is not a letter or a digit, in any script', () => {
    expect(words('Hello, wörld! 42 times… Привет—мир; مرحبا')).toEqual([
      'hello',
      'world',
      '42',
      'times',
      'привет',
      'мир',
      'مرحبا',
    ])
  })
})

describe(matches.name, () => {
  describe('exact', () => {
    it('matches the whole text only', () => {
      expect(matches(exact('hello'), 'hello')).toBe(true)
      expect(matches(exact('hello'), 'hello there')).toBe(false)
      expect(matches(exact('hello there'), 'hello')).toBe(false)
    })

    it('ignores case, accents and surrounding or repeated spaces', () => {
      expect(matches(exact('hello'), '  HÉLLO ')).toBe(true)
      expect(matches(exact('bom dia'), 'Bom   Día')).toBe(true)
    })

    it('does not ignore punctuation', () => {
      expect(matches(exact('hello'), 'hello!')).toBe(false)
    })
  })

  describe('keyword', () => {
    it('matches a whole word anywhere in the text', () => {
      expect(matches(keyword('price'), 'What is the price?')).toBe(true)
      expect(matches(keyword('price'), 'price')).toBe(true)
      expect(matches(keyword('price'), 'Price: 10€')).toBe(true)
    })

    it('ignores case and accents on both sides', () => {
      expect(matches(keyword('hello'), 'HÉLLO')).toBe(true)
      expect(matches(keyword('HÉLLO'), 'well, hello there')).toBe(true)
      expect(matches(keyword('cafe'), 'Un café, por favor')).toBe(true)
    })

    it('respects word boundaries', () => {
      expect(matches(keyword('hi'), 'this')).toBe(false)
      expect(matches(keyword('hi'), 'high')).toBe(false)
      expect(matches(keyword('hi'), 'ohi')).toBe(false)
      expect(matches(keyword('hi'), 'oh hi!')).toBe(true)
      expect(matches(keyword('hi'), 'hi-fi')).toBe(true)
    })

    it('matches a multi-word phrase as consecutive words', () => {
      const rule = keyword('opening hours')
      expect(matches(rule, 'What are your opening hours?')).toBe(true)
      expect(matches(rule, 'OPENING, hours please')).toBe(true)
      expect(matches(rule, 'opening   hours')).toBe(true)
      expect(matches(rule, 'hours of opening')).toBe(false)
      expect(matches(rule, 'opening late hours')).toBe(false)
      expect(matches(rule, 'reopening hours')).toBe(false)
    })

    it('matches words in Arabic and Cyrillic', () => {
      expect(matches(keyword('مرحبا'), 'مرحبا بك في متجرنا')).toBe(true)
      // Arabic diacritics (harakat) are marks and fold away.
      expect(matches(keyword('مرحبا'), 'مَرْحَبًا')).toBe(true)
      expect(matches(keyword('متجر'), 'مرحبا بك في متجرنا')).toBe(false)
      expect(matches(keyword('привет'), 'Привет, как дела?')).toBe(true)
      expect(matches(keyword('привет'), 'Приветствую вас')).toBe(false)
      expect(matches(keyword('как дела'), 'Привет, КАК ДЕЛА?')).toBe(true)
    })

    it('never matches a pattern with no words in it', () => {
      expect(matches(keyword('?!'), 'what?!')).toBe(false)
    })

    it('matches a word with surrounding punctuation and any casing wherever it stands', () => {
      const word = fc.stringMatching(/^[a-zA-Zàéîõüç0-9]{1,8}$/)
      const separator = fc.constantFrom(' ', ', ', '! ', '\n', ' - ', '... ')
      fc.assert(
        fc.property(
          fc.array(fc.tuple(word, separator), { minLength: 1, maxLength: 8 }),
          fc.nat(),
          fc.nat(),
          (parts, a, b) => {
            const text = parts.map(([w, sep]) => w + sep).join('')
            const from = a % parts.length
            const to = from + (b % (parts.length - from))
            const phrase = parts
              .slice(from, to + 1)
              .map(([w]) => w.toUpperCase())
              .join(' ')
            expect(matches(keyword(phrase), text)).toBe(true)
          },
        ),
      )
    })

    it('never matches a word that only appears inside a longer word', () => {
      const letters = fc.stringMatching(/^[a-z]{1,6}$/)
      fc.assert(
        fc.property(letters, letters, letters, (before, kw, after) => {
          const text = `${before}${kw}${after}`
          expect(matches(keyword(kw), text)).toBe(false)
          expect(matches(contains(kw), text)).toBe(true)
        }),
      )
    })
  })

  describe('contains', () => {
    it('matches any substring, inside words too', () => {
      expect(matches(contains('hi'), 'this')).toBe(true)
      expect(matches(contains('order #'), 'About ORDER #123')).toBe(true)
      expect(matches(contains('refund'), 'I want my money back')).toBe(false)
    })

    it('ignores case and accents', () => {
      expect(matches(contains('ELLO'), 'héllo')).toBe(true)
      expect(matches(contains('café'), 'CAFETERIA')).toBe(true)
    })
  })

  describe('a list of alternatives', () => {
    it('matches when any alternative matches', () => {
      const rule = keyword(['hi', 'hello', 'good morning'])
      expect(matches(rule, 'Hello!')).toBe(true)
      expect(matches(rule, 'good morning to you')).toBe(true)
      expect(matches(rule, 'hi')).toBe(true)
      expect(matches(rule, 'goodbye')).toBe(false)
      expect(matches(rule, 'this is high')).toBe(false)
    })

    it('works for exact and contains too', () => {
      expect(matches(exact(['yes', 'sí', 'oui']), 'SI')).toBe(true)
      expect(matches(exact(['yes', 'sí', 'oui']), 'si senor')).toBe(false)
      expect(matches(contains(['unsub', 'stop']), 'please UNSUBSCRIBE me')).toBe(true)
    })
  })
})

describe('ruleMatchSchema', () => {
  it('refuses a keyword with no letter or digit, naming the value', () => {
    const result = ruleMatchSchema.safeParse({ type: 'keyword', value: ['hi', '?!'] })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.path).toEqual(['value', 1])
  })

  it('accepts symbols for contains', () => {
    expect(ruleMatchSchema.safeParse({ type: 'contains', value: '?!' }).success).toBe(true)
  })
})

describe('accent folding and Cyrillic', () => {
  it('keeps й and и apart, and ї and і', () => {
    expect(foldText('Йогурт')).toBe('йогурт')
    expect(matches(keyword('йогурт'), 'Хочу ЙОГУРТ')).toBe(true)
    expect(matches(keyword('иогурт'), 'Хочу йогурт')).toBe(false)
    expect(matches(exact('мій'), 'мии')).toBe(false)
    expect(matches(keyword('їжак'), 'іжак')).toBe(false)
  })

  it('still folds Latin accents next to Cyrillic text', () => {
    expect(foldText('Café й')).toBe('cafe й')
  })
})

describe('the any match', () => {
  it('matches every message, even one without text', () => {
    const any: RuleMatch = { type: 'any' }
    expect(matches(any, '')).toBe(true)
    expect(matches(any, 'anything at all')).toBe(true)
  })

  it('takes no value, while the others need one', () => {
    expect(ruleMatchSchema.safeParse({ type: 'any', value: 'x' }).success).toBe(false)
    expect(ruleMatchSchema.safeParse({ type: 'keyword' }).error?.issues[0]?.path).toEqual(['value'])
  })
})

describe('compiled matches', () => {
  it('decide as the uncompiled match does, for any value and text', () => {
    const type = fc.constantFrom('exact', 'keyword', 'contains') as fc.Arbitrary<
      'exact' | 'keyword' | 'contains'
    >
    fc.assert(
      fc.property(type, fc.string({ minLength: 1, maxLength: 20 }), fc.string(), (t, v, text) => {
        const match: RuleMatch = { type: t, value: v }
        expect(compileMatch(match)(prepareText(text))).toBe(matches(match, text))
      }),
    )
  })

  it('matches a text against itself with exact and contains, whatever its case', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }), (text) => {
        fc.pre(foldText(text).length > 0)
        expect(matches(exact(text), text.toUpperCase())).toBe(
          foldText(text) === foldText(text.toUpperCase()),
        )
        expect(matches(contains(text), `>> ${text} <<`)).toBe(true)
      }),
    )
  })
})

describe(MatchIndex.name, () => {
  const value = fc.oneof(
    fc.constantFrom('hi', 'price', 'order status', 'café', 'Привет', 'refund', 'ok'),
    fc.stringMatching(/^[a-z]{1,6}( [a-z]{1,6})?$/),
  )
  const match: fc.Arbitrary<RuleMatch> = fc.oneof(
    fc.record({
      type: fc.constantFrom('exact', 'keyword', 'contains') as fc.Arbitrary<
        'exact' | 'keyword' | 'contains'
      >,
      value: fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 })),
    }),
    fc.constant<RuleMatch>({ type: 'any' }),
    fc.constant<RuleMatch>({ type: 'regex', value: '^order #?\\d{2,4}$' }),
  )
  const text = fc.oneof(
    fc.constantFrom('hi', 'Order status?', 'CAFE', 'привет!', 'order #123', 'ok ok', ''),
    fc.stringMatching(/^[a-zA-Z ,.!?]{0,30}$/),
  )

  it('yields exactly the items whose match passes, in their order', () => {
    fc.assert(
      fc.property(fc.array(match, { maxLength: 25 }), text, (matches_, t) => {
        const entries = matches_.map((m, i) => ({
          item: i,
          match: compileMatch(m),
          keys: matchKeys(m),
        }))
        const index = new MatchIndex(entries)
        const input = prepareText(t)
        expect([...index.matching(input)]).toEqual(
          entries.filter((e) => e.match(input)).map((e) => e.item),
        )
      }),
    )
  })
})
