// Contacts through the API: create with normalisation, one per number, typed attributes,
// opt-out, WhatsApp checks, merge with history kept, delete, and what the service gives
// other modules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Attribute, Contact } from '../../src/contacts/index.js'
import type { Message } from '../../src/messages/index.js'
import { startFakeCloudApi } from '../fakes/cloud-api/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  connectCloudAccount,
  contactWrites,
  listAllMessages,
  startTestLinda,
  tableCounts,
  virtualPhone,
  type Page,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

describe.each(testDialects())('contacts on %s', (dialect) => {
  let t: TestLinda

  beforeAll(async () => {
    t = await startTestLinda(dialect)
  })

  afterAll(async () => {
    await t?.stop()
  })

  const create = (body: Record<string, unknown>) =>
    t.request<Contact & Problem>('POST', '/api/v1/contacts', body)

  it('creates a contact from the canonical body, with its number in E.164', async () => {
    const res = await create({
      phone: '+971 50 123 4567',
      name: 'Aisha',
      language: 'ar',
      tags: ['VIP'],
      attributes: { city: 'Dubai' },
    })
    expect(res.status).toBe(201)
    expect(res.json).toMatchObject({
      phone: '+971501234567',
      name: 'Aisha',
      language: 'ar',
      tags: ['vip'],
      attributes: { city: 'Dubai' },
      optedOut: false,
      onWhatsApp: null,
    })
    const got = await t.request<Contact>('GET', `/api/v1/contacts/${res.json.id}`)
    expect(got.json).toEqual(res.json)
    // The undeclared attribute was declared by its first value.
    const attrs = await t.request<{ items: Attribute[] }>('GET', '/api/v1/contact-attributes')
    expect(attrs.json.items.find((a) => a.key === 'city')?.type).toBe('text')
  })

  it('reads a number without a country code in the given or the account default country', async () => {
    const given = await create({ phone: '020 7946 0958', defaultCountry: 'GB' })
    expect(given.status).toBe(201)
    expect(given.json.phone).toBe('+442079460958')

    await t.request('PATCH', `/api/v1/accounts/${t.accountId}`, {
      settings: { defaultCountry: 'FR' },
    })
    const byAccount = await create({ phone: '06 12 34 56 78', accountId: t.accountId })
    expect(byAccount.status).toBe(201)
    expect(byAccount.json.phone).toBe('+33612345678')
  })

  it.each([
    ['5550001111', 'has no country code'],
    ['+1 555', 'length'],
    ['+44 20 7946 0958 12345', 'length'],
    ['+33 0 12 34 56 78', 'not a valid number in FR'],
    ['hello', 'is not a phone number'],
  ])('refuses %j with the reason, naming body.phone, and stores nothing', async (phone, why) => {
    const before = await tableCounts(t)
    const res = await create({ phone })
    expect(res.status).toBe(422)
    expect(res.json.code).toBe('PHONE_INVALID')
    expect(res.json.errors?.[0]?.path).toBe('body.phone')
    expect(res.json.errors?.[0]?.message).toContain(why)
    expect(await tableCounts(t)).toEqual(before)
  })

  it("lets WhatsApp's fictional test numbers +1 555 0… through", async () => {
    const res = await create({ phone: virtualPhone() })
    expect(res.status).toBe(201)
  })

  it('keeps one contact per number and one per LID', async () => {
    const phone = virtualPhone()
    const first = await create({ phone, lid: '123456789012345' })
    expect(first.status).toBe(201)
    const again = await create({ phone: phone.replace('+1', '+1 ') })
    expect(again.status).toBe(409)
    expect(again.json.code).toBe('CONTACT_PHONE_TAKEN')
    expect(again.json.errors?.[0]?.path).toBe('body.phone')
    const sameLid = await create({ phone: virtualPhone(), lid: '123456789012345' })
    expect(sameLid.status).toBe(409)
    expect(sameLid.json.code).toBe('CONTACT_LID_TAKEN')

    const byLid = await t.linda.contacts.findByPhoneOrLid({ lid: '123456789012345@lid' })
    expect(byLid?.id).toBe(first.json.id)
    const byPhone = await t.linda.contacts.findByPhoneOrLid({ phone })
    expect(byPhone?.id).toBe(first.json.id)
  })

  it('refuses unknown fields, bad tags, languages and time zones, naming each field', async () => {
    const res = await create({
      phone: virtualPhone(),
      language: 'english please',
      timezone: 'Mars/Olympus',
      tags: ['ok', 'no spaces allowed'],
      colour: 'red',
    })
    expect(res.status).toBe(400)
    const paths = res.json.errors?.map((e) => e.path) ?? []
    expect(paths).toEqual(expect.arrayContaining(['body.language', 'body.timezone', 'body.tags.1']))
    expect(JSON.stringify(res.json.errors)).toContain('colour')
  })

  it('validates attributes against their declared types, naming the attribute', async () => {
    for (const [key, type] of [
      ['score', 'number'],
      ['birthday', 'date'],
      ['member', 'boolean'],
    ] as const) {
      const res = await t.request('POST', '/api/v1/contact-attributes', { key, type })
      expect([200, 201]).toContain(res.status)
    }
    const again = await t.request('POST', '/api/v1/contact-attributes', {
      key: 'score',
      type: 'number',
    })
    expect(again.status).toBe(200)
    const clash = await t.request<Problem>('POST', '/api/v1/contact-attributes', {
      key: 'score',
      type: 'text',
    })
    expect(clash.status).toBe(409)
    expect(clash.json.code).toBe('CONTACT_ATTRIBUTE_TAKEN')
    const reserved = await t.request<Problem>('POST', '/api/v1/contact-attributes', {
      key: 'tag',
      type: 'text',
    })
    expect(reserved.status).toBe(400)

    const bad = await create({
      phone: virtualPhone(),
      attributes: { score: 'high', birthday: '2026-02-30', member: 'yes', 'Bad Key': 'x' },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.errors?.map((e) => e.path).sort()).toEqual([
      'body.attributes.Bad Key',
      'body.attributes.birthday',
      'body.attributes.member',
      'body.attributes.score',
    ])
    const good = await create({
      phone: virtualPhone(),
      attributes: { score: 42.5, birthday: '1990-04-01', member: true },
    })
    expect(good.status).toBe(201)
    expect(good.json.attributes).toEqual({ score: 42.5, birthday: '1990-04-01', member: true })

    const patched = await t.request<Contact>('PATCH', `/api/v1/contacts/${good.json.id}`, {
      attributes: { score: 7, member: null },
    })
    expect(patched.json.attributes).toEqual({ score: 7, birthday: '1990-04-01' })
  })

  it('opts a contact out and in, with the date and the source', async () => {
    const c = (await create({ phone: virtualPhone() })).json
    const out = await t.request<Contact>('POST', `/api/v1/contacts/${c.id}/opt-out`, {
      source: 'agent',
    })
    expect(out.json).toMatchObject({ optedOut: true, optedOutSource: 'agent' })
    expect(out.json.optedOutAt).toEqual(expect.any(String))
    expect(await t.linda.contacts.isOptedOut(c.id)).toBe(true)
    const back = await t.request<Contact>('POST', `/api/v1/contacts/${c.id}/opt-in`, {})
    expect(back.json).toMatchObject({ optedOut: false, optedOutSource: 'api' })
    expect(await t.linda.contacts.isOptedOut(c.id)).toBe(false)
  })

  it('checks whether a number is on WhatsApp through the sandbox, and keeps the answer', async () => {
    const absent = virtualPhone()
    await t.setAccountSettings({ sandbox: { notOnWhatsApp: [absent] } })
    const yes = (await create({ phone: virtualPhone() })).json
    const no = (await create({ phone: absent })).json
    const a = await t.request<Contact>('POST', `/api/v1/contacts/${yes.id}/check-whatsapp`, {
      accountId: t.accountId,
    })
    expect(a.status).toBe(200)
    expect(a.json.onWhatsApp).toBe(true)
    expect(a.json.onWhatsAppCheckedAt).toEqual(expect.any(String))
    const b = await t.request<Contact>('POST', `/api/v1/contacts/${no.id}/check-whatsapp`, {
      accountId: t.accountId,
    })
    expect(b.json.onWhatsApp).toBe(false)
    // A recent answer is kept rather than asked again.
    const cached = await t.request<Contact>('POST', `/api/v1/contacts/${yes.id}/check-whatsapp`, {
      accountId: t.accountId,
    })
    expect(cached.json.onWhatsAppCheckedAt).toBe(a.json.onWhatsAppCheckedAt)
  })

  it('says a Cloud API account cannot tell whether a number is on WhatsApp, changing nothing', async () => {
    const meta = await startFakeCloudApi({ phoneNumberId: '5550100200' })
    try {
      const { account } = await connectCloudAccount(t, meta)
      const c = (await create({ phone: virtualPhone() })).json
      const res = await t.request<Problem>('POST', `/api/v1/contacts/${c.id}/check-whatsapp`, {
        accountId: account.id,
      })
      expect(res.status).toBe(422)
      expect(res.json.code).toBe('WHATSAPP_CHECK_NOT_SUPPORTED')
      expect(res.json.errors?.[0]?.path).toBe('body.accountId')
      expect((await t.linda.contacts.getContact(c.id)).onWhatsAppCheckedAt).toBeNull()
    } finally {
      await meta.stop()
    }
  })

  it('merges duplicates: messages, conversations, tags and attributes move; history is kept', async () => {
    const keepPhone = virtualPhone()
    const dupPhone = virtualPhone()
    await contactWrites(t, keepPhone, 'hello from the first number')
    await contactWrites(t, dupPhone, 'hello from the second number')
    const keep = (await t.linda.contacts.findByPhoneOrLid({ phone: keepPhone }))!
    const dup = (await t.linda.contacts.findByPhoneOrLid({ phone: dupPhone }))!
    await t.request('PATCH', `/api/v1/contacts/${keep.id}`, {
      tags: ['a'],
      attributes: { city: 'Paris' },
    })
    await t.request('PATCH', `/api/v1/contacts/${dup.id}`, {
      tags: ['b'],
      attributes: { city: 'Lima', score: 3 },
      notes: 'met at the fair',
    })
    await t.request('POST', `/api/v1/contacts/${dup.id}/opt-out`, { source: 'keyword' })

    const res = await t.request<Contact>('POST', `/api/v1/contacts/${keep.id}/merge`, {
      from: [dup.id],
    })
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({
      phone: keepPhone,
      tags: ['a', 'b'],
      attributes: { city: 'Paris', score: 3 },
      notes: 'met at the fair',
      optedOut: true,
      optedOutSource: 'keyword',
    })
    expect((await t.request('GET', `/api/v1/contacts/${dup.id}`)).status).toBe(404)
    const messages: Message[] = await listAllMessages(t, { contactId: keep.id, direction: 'in' })
    expect(messages.map((m) => m.text).sort()).toEqual([
      'hello from the first number',
      'hello from the second number',
    ])
    // Each message keeps the number it came from; both now sit in one conversation.
    expect(messages.map((m) => m.phone).sort()).toEqual([keepPhone, dupPhone].sort())
    expect(new Set(messages.map((m) => m.conversationId)).size).toBe(1)
    const tagged = await t.request<Page<Contact>>(
      'GET',
      `/api/v1/contacts?filter=${encodeURIComponent('tag:b')}`,
    )
    expect(tagged.json.items.map((c) => c.id)).toContain(keep.id)
  })

  it('refuses to merge a contact into itself or from one that does not exist, changing nothing', async () => {
    const c = (await create({ phone: virtualPhone() })).json
    const self = await t.request<Problem>('POST', `/api/v1/contacts/${c.id}/merge`, {
      from: [c.id],
    })
    expect(self.status).toBe(400)
    expect(self.json.errors?.[0]?.path).toBe('body.from')
    const before = await tableCounts(t)
    const missing = await t.request<Problem>('POST', `/api/v1/contacts/${c.id}/merge`, {
      from: ['00000000-0000-7000-8000-000000000000'],
    })
    expect(missing.status).toBe(404)
    expect(missing.json.errors?.[0]?.path).toBe('body.from.0')
    expect(await tableCounts(t)).toEqual(before)
  })

  it('deletes a contact with its conversations and messages', async () => {
    const phone = virtualPhone()
    await contactWrites(t, phone, 'please forget me')
    const c = (await t.linda.contacts.findByPhoneOrLid({ phone }))!
    const res = await t.request('DELETE', `/api/v1/contacts/${c.id}`)
    expect(res.status).toBe(204)
    expect((await t.request('GET', `/api/v1/contacts/${c.id}`)).status).toBe(404)
    expect(await listAllMessages(t, { contactId: c.id })).toEqual([])
    expect((await t.request('DELETE', `/api/v1/contacts/${c.id}`)).status).toBe(404)
  })

  it('records the first and last inbound times from messages', async () => {
    const phone = virtualPhone()
    await contactWrites(t, phone, 'one')
    const first = (await t.linda.contacts.findByPhoneOrLid({ phone }))!
    await contactWrites(t, phone, 'two')
    const later = (await t.linda.contacts.findByPhoneOrLid({ phone }))!
    expect(later.firstInboundAt).toBe(first.firstInboundAt)
    expect(later.lastInboundAt! >= first.lastInboundAt!).toBe(true)
  })

  it('gives other modules tags, attributes and audiences', async () => {
    const svc = t.linda.contacts
    const c = (await create({ phone: virtualPhone() })).json
    await svc.addTags(c.id, ['Audience-X', 'other'])
    await svc.removeTags(c.id, ['other'])
    await svc.setAttributes(c.id, { score: 99 })
    expect((await svc.getContact(c.id)).tags).toEqual(['audience-x'])
    const pages: string[][] = []
    for await (const page of svc.resolveAudience({
      filter: 'tag:audience-x attributes.score:>50',
    })) {
      pages.push(page)
    }
    expect(pages.flat()).toEqual([c.id])
    expect(await svc.countAudience({ filter: { tags: { any: ['audience-x'] } } })).toBe(1)
    await svc.setOptOut(c.id, { source: 'rule' })
    expect(await svc.countAudience({ filter: { tags: { any: ['audience-x'] } } })).toBe(0)
    expect(
      await svc.countAudience(
        { filter: { tags: { any: ['audience-x'] } } },
        { includeOptedOut: true },
      ),
    ).toBe(1)
  })
})
