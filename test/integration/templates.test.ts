// Message templates through the API: stored with their language variants, refused with every
// failing field named when they would not render, previewed with a contact's data (which
// variant, and why), and for Cloud API accounts rendered to an approved-template message that
// POST /messages sends as is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Account } from '../../src/accounts/index.js'
import { toJson } from '../../src/platform/db/index.js'
import type { Rendered } from '../../src/templates/index.js'
import { startFakeCloudApi, type FakeCloudApi } from '../fakes/cloud-api/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  connectCloudAccount,
  contactWrites,
  getMessage,
  startTestLinda,
  tableCounts,
  virtualPhone,
  waitFor,
  type Page,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

interface ApiTemplate {
  id: string
  name: string
  category: string
  variables: Array<{ name: string; type: string }>
  variants: Array<{ language: string; direction: string; text: string }>
  updatedAt: string
}

const orderShipped = (name = 'order_shipped') => ({
  name,
  category: 'utility',
  description: 'Sent when an order leaves the warehouse',
  variables: [
    { name: 'name', type: 'text', default: 'there' },
    { name: 'items', type: 'number' },
    { name: 'eta', type: 'date' },
    { name: 'city', type: 'text', default: '' },
  ],
  variants: [
    {
      language: 'en',
      text: 'Hi {name}, {items, plural, one {your item is} other {your # items are}} on the way to {city}, arriving {eta, date, long}.',
      cloud: {
        name: 'order_shipped',
        language: 'en_US',
        body: [
          { type: 'text', text: '{name}' },
          { type: 'text', text: '{items}' },
          { type: 'dateTime', variable: 'eta' },
        ],
        buttons: [{ subType: 'quick_reply', index: 0, payload: 'track' }],
      },
    },
    {
      language: 'ar',
      text: 'مرحبا {name}، {items, plural, zero {لا شيء} one {طلبك} two {طلباك} few {# طلبات} many {# طلبًا} other {# طلب}} في الطريق، يصل {eta, date, long}.',
    },
    {
      language: 'fr',
      text: 'Bonjour {name}, {items, plural, one {votre article est} other {vos # articles sont}} en route, arrivée le {eta, date, long}.',
    },
  ],
})

describe.each(testDialects())('templates on %s', (dialect) => {
  let t: TestLinda
  let meta: FakeCloudApi
  let cloud: Account

  beforeAll(async () => {
    meta = await startFakeCloudApi()
    t = await startTestLinda(dialect)
    cloud = (await connectCloudAccount(t, meta)).account
  })

  afterAll(async () => {
    await t?.stop()
    await meta?.stop()
  })

  const create = (body: unknown) =>
    t.request<ApiTemplate & Problem>('POST', '/api/v1/templates', body)
  const preview = (id: string, body: unknown) =>
    t.request<Rendered & Problem>('POST', `/api/v1/templates/${id}/preview`, body)

  /** A contact who wrote to the sandbox account, with attributes and a language. */
  async function contact(attributes: Record<string, unknown>, language: string | null) {
    const phone = virtualPhone()
    const { id } = await contactWrites(t, phone, 'ok')
    const { contactId } = await getMessage(t, id)
    await t.linda.db.db
      .updateTable('contacts')
      .set({ name: 'Aisha', attributes: toJson(attributes) })
      .where('id', '=', contactId)
      .execute()
    await t.linda.languages.setContactLanguage(contactId, language)
    return { contactId, phone }
  }

  it('creates, lists by cursor, changes and deletes templates', async () => {
    const first = await create(orderShipped('crud_1'))
    expect(first.status, first.body).toBe(201)
    expect(first.json.variants.map((v) => [v.language, v.direction])).toEqual([
      ['en', 'ltr'],
      ['ar', 'rtl'],
      ['fr', 'ltr'],
    ])
    for (const name of ['crud_2', 'crud_3'])
      expect((await create(orderShipped(name))).status).toBe(201)

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor ? `&cursor=${cursor}` : ''
      const res: { status: number; json: Page<ApiTemplate> } = await t.request<Page<ApiTemplate>>(
        'GET',
        `/api/v1/templates?limit=2&category=utility${query}`,
      )
      expect(res.status).toBe(200)
      seen.push(...res.json.items.map((i) => i.name))
      cursor = res.json.nextCursor
    } while (cursor)
    expect(seen.filter((n) => n.startsWith('crud_'))).toEqual(['crud_1', 'crud_2', 'crud_3'])

    const changed = await t.request<ApiTemplate>('PATCH', `/api/v1/templates/${first.json.id}`, {
      name: 'crud_renamed',
      variants: [{ language: 'es', text: 'Hola {name}' }],
    })
    expect(changed.status, changed.body).toBe(200)
    expect(changed.json.name).toBe('crud_renamed')
    expect(changed.json.variants.map((v) => v.language)).toEqual(['es'])
    expect(changed.json.variables).toHaveLength(4)

    const taken = await t.request<Problem>('PATCH', `/api/v1/templates/${first.json.id}`, {
      name: 'crud_2',
    })
    expect(taken.status).toBe(409)
    expect(taken.json.code).toBe('TEMPLATE_NAME_TAKEN')
    expect((await create(orderShipped('crud_2'))).json.code).toBe('TEMPLATE_NAME_TAKEN')

    expect((await t.request('DELETE', `/api/v1/templates/${first.json.id}`)).status).toBe(204)
    const gone = await t.request<Problem>('GET', `/api/v1/templates/${first.json.id}`)
    expect(gone.status).toBe(404)
    expect(gone.json.code).toBe('TEMPLATE_NOT_FOUND')
  })

  it('refuses a template that would not render, naming the variant and field, and stores nothing', async () => {
    const before = await tableCounts(t)
    const templatesBefore = await t.request<Page<ApiTemplate>>('GET', '/api/v1/templates?limit=200')
    const bad = orderShipped('bad')
    bad.variants[1]!.text = 'مرحبا {name'
    bad.variants[2]!.text = 'Bonjour {nom}, {eta}'
    const res = await create(bad)
    expect(res.status).toBe(400)
    expect(res.json.code).toBe('VALIDATION_FAILED')
    expect(res.json.errors).toEqual([
      {
        path: 'body.variants.1.text',
        message: expect.stringMatching(/^the ar variant is not valid ICU MessageFormat: /),
      },
      {
        path: 'body.variants.2.text',
        message: 'the fr variant uses {nom}, which is not declared in `variables`',
      },
      {
        path: 'body.variants.2.text',
        message:
          'the fr variant uses the date variable {eta} as {x}; a date needs {x, date, medium} or {x, time, short}',
      },
    ])
    expect(await tableCounts(t)).toEqual(before)
    expect(
      (await t.request<Page<ApiTemplate>>('GET', '/api/v1/templates?limit=200')).json.items,
    ).toHaveLength(templatesBefore.json.items.length)
  })

  it('refuses hostile texts with a clear 400: giant, deeply nested, brace bombs', async () => {
    const nest = (depth: number): string =>
      depth === 0 ? 'x' : `{name, select, a {${nest(depth - 1)}} other {y}}`
    const cases: Array<[string, string]> = [
      ['x'.repeat(5000), 'must be at most 4096 characters'],
      [nest(12), 'the en variant nests braces more than 12 deep'],
      [nest(5), 'the en variant nests plural and select more than 4 deep'],
      ['{'.repeat(4000), 'the en variant nests braces more than 12 deep'],
    ]
    for (const [text, message] of cases) {
      const res = await create({
        name: 'hostile',
        category: 'marketing',
        variables: [{ name: 'name', type: 'text' }],
        variants: [{ language: 'en', text }],
      })
      expect(res.status, message).toBe(400)
      expect(res.json.errors).toEqual([{ path: 'body.variants.0.text', message }])
    }
    const many = await create({
      name: 'hostile',
      category: 'marketing',
      variants: Array.from({ length: 31 }, (_, i) => ({ language: `x-v${i}`, text: 'x' })),
    })
    expect(many.status).toBe(400)
    expect(many.json.errors?.[0]?.path).toBe('body.variants')
  })

  it("previews with a contact's data in the contact's language, and says why that variant", async () => {
    const template = (await create(orderShipped('preview_contact'))).json
    const { contactId } = await contact({ city: 'Dubai' }, 'ar')
    const res = await preview(template.id, { contactId, vars: { items: 3, eta: '2026-03-07' } })
    expect(res.status, res.body).toBe(200)
    const three = new Intl.NumberFormat('ar').format(3)
    expect(res.json).toMatchObject({ language: 'ar', reason: 'contact', direction: 'rtl' })
    expect(res.json.text).toBe(
      `مرحبا Aisha، ${three} طلبات في الطريق، يصل ${new Intl.DateTimeFormat('ar', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date('2026-03-07'))}.`,
    )
    expect(res.json.content).toEqual({ type: 'text', text: res.json.text })

    const asked = await preview(template.id, {
      contactId,
      language: 'fr-CA',
      vars: { items: 1, eta: '2026-03-07' },
    })
    expect(asked.json).toMatchObject({
      language: 'fr',
      reason: 'requested',
      text: 'Bonjour Aisha, votre article est en route, arrivée le 7 mars 2026.',
    })
  })

  it("falls back to the account's default language, then English, then the first variant", async () => {
    const template = (await create(orderShipped('preview_fallback'))).json
    const { contactId } = await contact({}, 'de')
    const vars = { items: 2, eta: '2026-03-07' }
    const english = await preview(template.id, { contactId, vars, accountId: t.accountId })
    expect(english.json).toMatchObject({ language: 'en', reason: 'english' })
    expect(english.json.text).toBe(
      'Hi Aisha, your 2 items are on the way to , arriving March 7, 2026.',
    )

    await t.setAccountSettings({ defaultLanguage: 'FR' })
    try {
      const account = await preview(template.id, { contactId, vars, accountId: t.accountId })
      expect(account.json).toMatchObject({ language: 'fr', reason: 'account' })
    } finally {
      await t.setAccountSettings({ defaultLanguage: null })
    }

    const noEnglish = (
      await create({ ...orderShipped('preview_first'), variants: orderShipped().variants.slice(1) })
    ).json
    const first = await preview(noEnglish.id, { contactId, vars })
    expect(first.json).toMatchObject({ language: 'ar', reason: 'first' })
  })

  it('refuses a preview with missing or wrong values, naming each; and unknown ids', async () => {
    const template = (await create(orderShipped('preview_bad'))).json
    const res = await preview(template.id, { vars: { items: 'lots' } })
    expect(res.status).toBe(422)
    expect(res.json.code).toBe('TEMPLATE_RENDER_FAILED')
    expect(res.json.errors?.map((e) => e.path).sort()).toEqual(['body.vars.eta', 'body.vars.items'])

    const noContact = await preview(template.id, {
      contactId: '0190aaaa-0000-7000-8000-00000000dead',
    })
    expect(noContact.status).toBe(404)
    expect(noContact.json.code).toBe('CONTACT_NOT_FOUND')
    expect(noContact.json.errors?.[0]?.path).toBe('body.contactId')

    const noTemplate = await preview('0190aaaa-0000-7000-8000-00000000dead', {})
    expect(noTemplate.json.code).toBe('TEMPLATE_NOT_FOUND')

    const badVars = await preview(template.id, { vars: { 'not a name': 1 } })
    expect(badVars.status).toBe(400)
  })

  it('renders an approved template for a Cloud account, which POST /messages sends as rendered', async () => {
    const template = (await create(orderShipped('cloud_order'))).json
    const to = virtualPhone()
    const res = await preview(template.id, {
      accountId: cloud.id,
      vars: { name: 'Omar', items: 4, eta: '2026-03-07T09:00:00Z' },
    })
    expect(res.status, res.body).toBe(200)
    expect(res.json.content).toEqual({
      type: 'template',
      template: {
        name: 'order_shipped',
        language: 'en_US',
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Omar' },
              { type: 'text', text: '4' },
              { type: 'dateTime', fallback: 'March 7, 2026' },
            ],
          },
          { type: 'button', subType: 'quick_reply', index: 0, payload: 'track' },
        ],
      },
    })
    // The contact never wrote: outside the 24-hour window only a template may go.
    const sent = await t.request<{ id: string }>('POST', '/api/v1/messages', {
      accountId: cloud.id,
      to,
      ...res.json.content,
    })
    expect(sent.status, sent.body).toBe(202)
    const atMeta = await waitFor(() => {
      const found = meta.sent.find((m) => m.to === to)
      expect(found).toBeDefined()
      return found!
    })
    expect(atMeta.type).toBe('template')
    expect(atMeta.body.template).toMatchObject({
      name: 'order_shipped',
      language: { code: 'en_US' },
    })

    // A variant without a mapping cannot be sent through that account.
    const arabic = await preview(template.id, {
      accountId: cloud.id,
      language: 'ar',
      vars: { items: 1, eta: '2026-03-07' },
    })
    expect(arabic.status).toBe(422)
    expect(arabic.json.errors).toEqual([
      {
        path: 'body.variants.1.cloud',
        message: 'give this variant a `cloud` mapping to an approved template',
      },
    ])
  })

  it('lets viewers list and preview, and only admins write', async () => {
    const keys: Record<string, string> = {}
    for (const role of ['agent', 'viewer'] as const) {
      keys[role] = (
        await t.request<{ key: string }>('POST', '/api/v1/api-keys', { name: `t-${role}`, role })
      ).json.key
    }
    const template = (await create(orderShipped('roles'))).json
    for (const role of ['agent', 'viewer']) {
      const auth = { authorization: `Bearer ${keys[role]}` }
      expect((await t.request('GET', '/api/v1/templates', undefined, auth)).status).toBe(200)
      const p = await t.request(
        'POST',
        `/api/v1/templates/${template.id}/preview`,
        { vars: { items: 1, eta: '2026-01-01' } },
        auth,
      )
      expect(p.status).toBe(200)
      expect(
        (await t.request('POST', '/api/v1/templates', orderShipped(`by_${role}`), auth)).status,
      ).toBe(403)
      expect(
        (await t.request('DELETE', `/api/v1/templates/${template.id}`, undefined, auth)).status,
      ).toBe(403)
    }
  })
})
