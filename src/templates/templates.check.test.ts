import { describe, expect, it } from 'vitest'
import { checkTemplate } from './templates.check.js'
import { createTemplateBody, type TemplateDefinition } from './templates.schemas.js'

function def(change: Partial<TemplateDefinition>): TemplateDefinition {
  return {
    name: 'order',
    category: 'utility',
    description: null,
    variables: [
      { name: 'name', type: 'text' },
      { name: 'n', type: 'number' },
      { name: 'when', type: 'date' },
    ],
    variants: [{ language: 'en', text: 'Hi {name}' }],
    ...change,
  }
}

const problems = (change: Partial<TemplateDefinition>) => checkTemplate(def(change))

describe(checkTemplate.name, () => {
  it('accepts plural, select, number and date formats on variables of fitting types', () => {
    expect(
      problems({
        variables: [
          { name: 'name', type: 'text' },
          { name: 'n', type: 'number' },
          { name: 'when', type: 'date' },
          { name: 'vip', type: 'boolean', default: false },
        ],
        variants: [
          {
            language: 'en',
            text: '{name}: {n, plural, one {# item} other {# items}} on {when, date, ::yMMMd} at {when, time, short}; {n, number, ::currency/EUR} {vip, select, true {VIP} other {}}',
          },
          { language: 'ar', text: '{n, plural, zero {لا شيء} other {# عنصر}}' },
        ],
      }),
    ).toEqual([])
  })

  it('names the variant and the place of an ICU syntax error', () => {
    expect(
      problems({
        variants: [
          { language: 'en', text: 'Hi {name}' },
          { language: 'fr', text: 'Bonjour {name' },
        ],
      }),
    ).toEqual([
      {
        path: 'variants.1.text',
        message:
          'the fr variant is not valid ICU MessageFormat: expect argument closing brace at line 1, column 9',
      },
    ])
  })

  it('refuses a plural without its "other" case', () => {
    const [problem] = problems({
      variants: [{ language: 'en', text: '{n, plural, one {# item}}' }],
    })
    expect(problem?.path).toBe('variants.0.text')
    expect(problem?.message).toMatch(/missing other clause/)
  })

  it('refuses variables that are not declared, or used against their type', () => {
    expect(
      problems({
        variants: [
          {
            language: 'en',
            text: '{city} {name, plural, other {x}} {when} {n, select, a {b} other {c}} {name, date}',
          },
        ],
      }).map((p) => p.message),
    ).toEqual([
      'the en variant uses {city}, which is not declared in `variables`',
      'the en variant uses the text variable {name} in a plural; declare it a number',
      'the en variant uses the text variable {name} as a date or time; declare it a date',
      'the en variant uses the date variable {when} as {x}; a date needs {x, date, medium} or {x, time, short}',
      'the en variant uses the number variable {n} in a select; declare it text or boolean',
    ])
  })

  it('refuses plural and select nested more than 4 deep, and brace bombs, before they cost anything', () => {
    const nest = (depth: number): string =>
      depth === 0 ? 'x' : `{name, select, a {${nest(depth - 1)}} other {y}}`
    expect(problems({ variants: [{ language: 'en', text: nest(4) }] })).toEqual([])
    expect(problems({ variants: [{ language: 'en', text: nest(5) }] })[0]?.message).toBe(
      'the en variant nests plural and select more than 4 deep',
    )
    expect(
      problems({ variants: [{ language: 'en', text: '{'.repeat(2000) + '}'.repeat(2000) }] })[0]
        ?.message,
    ).toBe('the en variant nests braces more than 12 deep')
  })

  it('refuses two variants of one language, media with buttons, and a caption too long', () => {
    expect(
      problems({
        variants: [
          { language: 'en', text: 'Hi' },
          { language: 'en', text: 'Hello' },
          {
            language: 'fr',
            text: 'x'.repeat(1025),
            media: { type: 'image', link: 'https://example.com/a.png' },
            buttons: [{ id: 'a', title: 'A' }],
          },
        ],
      }).map((p) => p.path),
    ).toEqual(['variants.1.language', 'variants.2.buttons', 'variants.2.text'])
  })

  it('refuses defaults of the wrong type and variables declared twice', () => {
    expect(
      problems({
        variables: [
          { name: 'n', type: 'number', default: 'many' },
          { name: 'n', type: 'number' },
          { name: 'when', type: 'date', default: 'soon' },
        ],
        variants: [{ language: 'en', text: 'x' }],
      }),
    ).toEqual([
      { path: 'variables.0.default', message: 'must be a number (n is number)' },
      { path: 'variables.1.name', message: 'declares n twice' },
      {
        path: 'variables.2.default',
        message:
          'must be an ISO 8601 date or time, e.g. 2026-03-05 or 2026-03-05T14:30:00Z (when is date)',
      },
    ])
  })

  it('checks the Cloud mapping against the variables and the variant', () => {
    expect(
      problems({
        variants: [
          {
            language: 'en',
            text: 'Hi',
            cloud: {
              name: 'order',
              language: 'fr',
              header: { type: 'media' },
              body: [
                { type: 'currency', variable: 'name', code: 'USD' },
                { type: 'dateTime', variable: 'nope' },
                { type: 'text', text: '{total}', name: 'total' },
              ],
              buttons: [
                { subType: 'quick_reply', index: 0, payload: 'ok' },
                { subType: 'url', index: 0, text: '{oops' },
              ],
            },
          },
        ],
      }).map((p) => p.path),
    ).toEqual([
      'variants.0.cloud.header',
      'variants.0.cloud.body.0.variable',
      'variants.0.cloud.body.1.variable',
      'variants.0.cloud.body.2.text',
      'variants.0.cloud',
      'variants.0.cloud.buttons.1.index',
      'variants.0.cloud.buttons.1.text',
      'variants.0.cloud.language',
    ])
  })
})

describe('createTemplateBody', () => {
  it('refuses a giant text, naming the field, before any parsing', () => {
    const result = createTemplateBody.safeParse({
      name: 'big',
      category: 'marketing',
      variants: [{ language: 'en', text: 'x'.repeat(4097) }],
    })
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['variants.0.text', 'must be at most 4096 characters'],
    ])
  })

  it('canonicalises language tags and refuses what is not one', () => {
    const ok = createTemplateBody.parse({
      name: 'x',
      category: 'utility',
      variants: [{ language: 'PT-br', text: 'Olá' }],
    })
    expect(ok.variants[0]?.language).toBe('pt-BR')
    const bad = createTemplateBody.safeParse({
      name: 'x',
      category: 'utility',
      variants: [{ language: 'Portuguese!', text: 'Olá' }],
    })
    expect(bad.error?.issues[0]?.path.join('.')).toBe('variants.0.language')
  })
})
