import { describe, expect, it } from 'vitest'
import { sendMessageBody } from '../messages/messages.schemas.js'
import { AppError } from '../platform/errors.js'
import { pickVariant, renderTemplate, type RenderOptions } from './templates.render.js'
import type { Template, TemplateVariable, TemplateVariant } from './templates.schemas.js'

function template(
  variants: TemplateVariant[],
  variables: TemplateVariable[] = [],
  name = 'order_update',
): Template {
  return {
    id: '0190aaaa-0000-7000-8000-000000000001',
    name,
    category: 'utility',
    description: null,
    variables,
    variants,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  }
}

const n: TemplateVariable = { name: 'n', type: 'number' }
const d: TemplateVariable = { name: 'd', type: 'date' }

function render(t: Template, options: RenderOptions) {
  return renderTemplate(t, options)
}

function refusal(fn: () => unknown): AppError {
  try {
    fn()
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe(renderTemplate.name, () => {
  it('follows Arabic plural rules: zero, one, two, few, many and other', () => {
    const t = template(
      [
        {
          language: 'ar',
          text: '{n, plural, zero {لا رسائل} one {رسالة واحدة} two {رسالتان} few {# رسائل} many {# رسالة} other {# رسالة أخرى}}',
        },
      ],
      [n],
    )
    const say = (count: number) => render(t, { vars: { n: count } }).text
    const num = (count: number) => new Intl.NumberFormat('ar').format(count)
    expect(say(0)).toBe('لا رسائل')
    expect(say(1)).toBe('رسالة واحدة')
    expect(say(2)).toBe('رسالتان')
    expect(say(3)).toBe(`${num(3)} رسائل`)
    expect(say(10)).toBe(`${num(10)} رسائل`)
    expect(say(11)).toBe(`${num(11)} رسالة`)
    expect(say(99)).toBe(`${num(99)} رسالة`)
    expect(say(100)).toBe(`${num(100)} رسالة أخرى`)
    expect(render(t, { vars: { n: 3 } }).direction).toBe('rtl')
  })

  it('follows French plural rules: 0 and 1.5 are singular, a million takes "de"', () => {
    const t = template(
      [
        {
          language: 'fr',
          text: '{n, plural, one {# article} many {# d’articles} other {# articles}}',
        },
      ],
      [n],
    )
    const say = (count: number) => render(t, { vars: { n: count } }).text
    expect(say(0)).toBe('0 article')
    expect(say(1)).toBe('1 article')
    expect(say(1.5)).toBe('1,5 article')
    expect(say(2)).toBe('2 articles')
    expect(say(1_000_000)).toMatch(/^1\s000\s000 d’articles$/u)
    expect(render(t, { vars: { n: 2 } }).direction).toBe('ltr')
  })

  it('writes dates, times and numbers for the locale, in the time zone given', () => {
    const variants: TemplateVariant[] = [
      {
        language: 'en-US',
        text: '{d, date, long} {d, time, short} {n} {n, number, ::currency/USD}',
      },
      { language: 'fr', text: '{d, date, long} {d, time, short} {n} {n, number, ::currency/EUR}' },
      { language: 'pt-BR', text: '{d, date, short} {n}' },
    ]
    const t = template(variants, [n, d])
    const vars = { n: 1234.5, d: '2026-03-05T18:30:00Z' }
    expect(render(t, { vars, language: 'en-US' }).text).toMatch(
      /^March 5, 2026 6:30\sPM 1,234\.5 \$1,234\.50$/u,
    )
    expect(render(t, { vars, language: 'fr', timeZone: 'Asia/Dubai' }).text).toMatch(
      /^5 mars 2026 22:30 1\s234,5 1\s234,50\s€$/u,
    )
    expect(render(t, { vars, language: 'pt-BR', timeZone: 'America/Sao_Paulo' }).text).toBe(
      '05/03/26 1.234,5',
    )
    // A date alone is midnight UTC; a time zone west of UTC sees the day before.
    expect(
      render(t, { vars: { n: 1, d: '2026-03-05' }, language: 'fr', timeZone: 'UTC' }).text,
    ).toMatch(/^5 mars 2026 00:00/)
  })

  it('selects on booleans and text', () => {
    const t = template(
      [
        {
          language: 'en',
          text: '{vip, select, true {Welcome back, VIP} other {Welcome}} ({tier, select, gold {G} other {-}})',
        },
      ],
      [
        { name: 'vip', type: 'boolean' },
        { name: 'tier', type: 'text' },
      ],
    )
    expect(render(t, { vars: { vip: true, tier: 'gold' } }).text).toBe('Welcome back, VIP (G)')
    expect(render(t, { vars: { vip: 'false', tier: 'silver' } }).text).toBe('Welcome (-)')
  })

  it("fills variables from the values given, then the contact's data, then defaults", () => {
    const t = template(
      [{ language: 'en', text: 'Hi {name}, {city} ({phone}) {greeting}' }],
      [
        { name: 'name', type: 'text' },
        { name: 'city', type: 'text' },
        { name: 'phone', type: 'text' },
        { name: 'greeting', type: 'text', default: 'welcome' },
      ],
    )
    const contact = {
      name: 'Aisha',
      phone: '+971501234567',
      language: null,
      attributes: { city: 'Dubai', name: 'ignored: the contact name wins' },
    }
    expect(render(t, { contact }).text).toBe('Hi Aisha, Dubai (+971501234567) welcome')
    expect(render(t, { contact, vars: { city: 'Abu Dhabi', greeting: 'hello' } }).text).toBe(
      'Hi Aisha, Abu Dhabi (+971501234567) hello',
    )
  })

  it('refuses to render without a value, or with a value of the wrong type, naming each variable', () => {
    const t = template(
      [{ language: 'en', text: '{name}: {n, plural, one {# day} other {# days}} from {d, date}' }],
      [{ name: 'name', type: 'text' }, n, d],
    )
    const err = refusal(() => render(t, { vars: { n: 'three', d: 'tomorrow' } }))
    expect(err.code).toBe('TEMPLATE_RENDER_FAILED')
    expect(err.errors?.map((e) => e.path).sort()).toEqual(['vars.d', 'vars.n', 'vars.name'])
    expect(err.errors?.find((e) => e.path === 'vars.n')?.message).toBe('must be a number')
  })

  it('ignores variables the chosen variant does not use', () => {
    const t = template(
      [
        { language: 'en', text: 'Hello' },
        { language: 'es', text: 'Hola {name}' },
      ],
      [{ name: 'name', type: 'text' }],
    )
    expect(render(t, { language: 'en' }).text).toBe('Hello')
  })

  it('makes a caption of media, an interactive body of buttons, and refuses a text too long', () => {
    const media = template([
      {
        language: 'en',
        text: 'Your invoice',
        media: { type: 'document', link: 'https://example.com/i.pdf', filename: 'invoice.pdf' },
      },
    ])
    expect(render(media, {}).content).toEqual({
      type: 'document',
      media: {
        link: 'https://example.com/i.pdf',
        caption: 'Your invoice',
        filename: 'invoice.pdf',
      },
    })
    const buttons = template([
      {
        language: 'en',
        text: 'Did it arrive?',
        buttons: [
          { id: 'yes', title: 'Yes' },
          { id: 'no', title: 'No' },
        ],
      },
    ])
    expect(render(buttons, {}).content).toEqual({
      type: 'interactive',
      interactive: {
        type: 'buttons',
        body: 'Did it arrive?',
        buttons: [
          { id: 'yes', title: 'Yes' },
          { id: 'no', title: 'No' },
        ],
      },
    })
    const long = template(
      [{ language: 'en', text: 'Note: {note}' }],
      [{ name: 'note', type: 'text' }],
    )
    const err = refusal(() => render(long, { vars: { note: 'x'.repeat(4095) } }))
    expect(err.code).toBe('TEMPLATE_RENDER_FAILED')
    expect(err.errors?.[0]?.path).toBe('variants.0.text')
    // Each content is what POST /messages accepts.
    for (const t of [media, buttons]) {
      const content = render(t, {}).content
      expect(
        sendMessageBody.safeParse({ accountId: 'a', to: '+15550001111', ...content }).success,
      ).toBe(true)
    }
  })
})

describe(pickVariant.name, () => {
  const variants: TemplateVariant[] = [
    { language: 'fr', text: 'Bonjour' },
    { language: 'pt-BR', text: 'Olá' },
    { language: 'en', text: 'Hello' },
    { language: 'ar', text: 'مرحبا' },
  ]
  const pick = (wanted: Parameters<typeof pickVariant>[1]) => {
    const { variant, reason } = pickVariant(variants, wanted)
    return [variant.language, reason]
  }

  it('goes from the language asked for to the contact’s, the account’s, English, then the first', () => {
    expect(pick({ requested: 'ar', contact: 'fr', account: 'pt-BR' })).toEqual(['ar', 'requested'])
    expect(pick({ contact: 'fr', account: 'ar' })).toEqual(['fr', 'contact'])
    expect(pick({ contact: 'de', account: 'ar' })).toEqual(['ar', 'account'])
    expect(pick({ contact: 'de', account: 'ja' })).toEqual(['en', 'english'])
    expect(pick({})).toEqual(['en', 'english'])
    expect(pickVariant([variants[0]!, variants[1]!], { contact: 'de' }).reason).toBe('first')
    expect(pickVariant([variants[0]!, variants[1]!], { contact: 'de' }).variant.language).toBe('fr')
  })

  it('matches the exact tag first, then the same base language, whatever the spelling', () => {
    expect(pick({ contact: 'pt' })).toEqual(['pt-BR', 'contact'])
    expect(pick({ contact: 'PT-br' })).toEqual(['pt-BR', 'contact'])
    expect(pick({ contact: 'fr-CA' })).toEqual(['fr', 'contact'])
    expect(
      pickVariant([...variants, { language: 'pt', text: 'Olá' }], { contact: 'pt' }).variant
        .language,
    ).toBe('pt')
    // Not a language tag: skipped, not an error.
    expect(pick({ contact: 'not a language!', account: 'fr' })).toEqual(['fr', 'account'])
  })
})

describe('the Cloud API mapping', () => {
  const t = template(
    [
      {
        language: 'pt-BR',
        text: 'Olá {name}, seu pedido {order} chega em {eta, date, long}. Total: {total, number, ::currency/BRL}',
        media: { type: 'image', mediaId: 'media-1' },
        cloud: {
          name: 'order_shipped',
          header: { type: 'media' },
          body: [
            { type: 'text', text: '{name}' },
            { type: 'text', text: '{order}' },
            { type: 'dateTime', variable: 'eta' },
            { type: 'currency', variable: 'total', code: 'BRL' },
          ],
          buttons: [
            { subType: 'url', index: 0, text: 'track/{order}' },
            { subType: 'quick_reply', index: 1, payload: 'stop-{order}' },
            { subType: 'copy_code', index: 2, couponCode: 'SAVE{discount}' },
          ],
        },
      },
      { language: 'en', text: 'Hello {name}' },
    ],
    [
      { name: 'name', type: 'text' },
      { name: 'order', type: 'text' },
      { name: 'eta', type: 'date' },
      { name: 'total', type: 'number' },
      { name: 'discount', type: 'number', default: 10 },
    ],
  )
  const vars = { name: 'Ana\nMaria', order: 'A-1042', eta: '2026-03-07', total: 199.9 }

  it('fills the approved template for accounts that need one, as POST /messages takes it', () => {
    const rendered = render(t, { vars, language: 'pt', templatesRequired: true })
    expect(rendered.language).toBe('pt-BR')
    expect(rendered.content).toEqual({
      type: 'template',
      template: {
        name: 'order_shipped',
        language: 'pt_BR',
        components: [
          { type: 'header', parameters: [{ type: 'image', media: { mediaId: 'media-1' } }] },
          {
            type: 'body',
            parameters: [
              // Meta refuses new lines in parameters.
              { type: 'text', text: 'Ana Maria' },
              { type: 'text', text: 'A-1042' },
              { type: 'dateTime', fallback: '7 de março de 2026' },
              {
                type: 'currency',
                fallback: expect.stringMatching(/^R\$\s199,90$/u),
                code: 'BRL',
                amount1000: 199_900,
              },
            ],
          },
          { type: 'button', subType: 'url', index: 0, text: 'track/A-1042' },
          { type: 'button', subType: 'quick_reply', index: 1, payload: 'stop-A-1042' },
          { type: 'button', subType: 'copy_code', index: 2, couponCode: 'SAVE10' },
        ],
      },
    })
    const parsed = sendMessageBody.safeParse({
      accountId: 'a',
      to: '+5511999990000',
      ...rendered.content,
    })
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true)
  })

  it('renders the same variant as free-form content for accounts that do not need templates', () => {
    const rendered = render(t, { vars, language: 'pt-BR' })
    expect(rendered.content.type).toBe('image')
  })

  it('refuses when the chosen variant maps to no approved template, naming it', () => {
    const err = refusal(() => render(t, { vars, language: 'en', templatesRequired: true }))
    expect(err.code).toBe('TEMPLATE_RENDER_FAILED')
    expect(err.errors).toEqual([
      {
        path: 'variants.1.cloud',
        message: 'give this variant a `cloud` mapping to an approved template',
      },
    ])
  })

  it('refuses a coupon code that renders longer than WhatsApp allows', () => {
    const err = refusal(() =>
      render(t, {
        vars: { ...vars, discount: 123456789012 },
        language: 'pt-BR',
        templatesRequired: true,
      }),
    )
    expect(err.errors?.[0]?.path).toBe('variants.0.cloud.buttons.2.couponCode')
  })
})
