// Segments: saved filters in either form, counted live, listing their contacts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Contact, Segment } from '../../src/contacts/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  startTestLinda,
  tableCounts,
  virtualPhone,
  type Page,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

describe.each(testDialects())('segments on %s', (dialect) => {
  let t: TestLinda

  beforeAll(async () => {
    t = await startTestLinda(dialect, { start: false })
  })

  afterAll(async () => {
    await t?.stop()
  })

  const contact = async (body: Record<string, unknown>) =>
    (await t.request<Contact>('POST', '/api/v1/contacts', { phone: virtualPhone(), ...body })).json

  it('saves a filter in the query-string form and counts it live', async () => {
    await contact({ tags: ['vip'], attributes: { city: 'Dubai' } })
    const later = await contact({ tags: ['vip'], attributes: { city: 'Paris' } })
    const created = await t.request<Segment>('POST', '/api/v1/segments', {
      name: 'VIPs',
      filter: 'tag:vip',
    })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({
      name: 'VIPs',
      query: 'tag:vip',
      filter: { tags: { any: ['vip'] } },
    })
    const one = await t.request<Segment>('GET', `/api/v1/segments/${created.json.id}`)
    expect(one.json.count).toBe(2)
    await contact({ tags: ['vip'] })
    expect(
      (await t.request<Segment>('GET', `/api/v1/segments/${created.json.id}`)).json.count,
    ).toBe(3)
    await t.request('PATCH', `/api/v1/contacts/${later.id}`, { tags: [] })
    expect(
      (await t.request<Segment>('GET', `/api/v1/segments/${created.json.id}`)).json.count,
    ).toBe(2)

    const members = await t.request<Page<Contact>>(
      'GET',
      `/api/v1/segments/${created.json.id}/contacts?limit=1`,
    )
    expect(members.json.items).toHaveLength(1)
    expect(members.json.nextCursor).not.toBeNull()
    const narrowed = await t.request<Page<Contact>>(
      'GET',
      `/api/v1/contacts?segmentId=${created.json.id}&filter=${encodeURIComponent('city:Dubai')}`,
    )
    expect(narrowed.json.items.map((c) => c.attributes.city)).toEqual(['Dubai'])
  })

  it('saves the JSON tree, changes it, lists with counts and deletes', async () => {
    const created = await t.request<Segment>('POST', '/api/v1/segments', {
      name: 'Dubai',
      filter: { field: 'attributes.city', op: 'eq', value: 'Dubai' },
    })
    expect(created.status).toBe(201)
    expect(created.json.query).toBeNull()
    const changed = await t.request<Segment>('PATCH', `/api/v1/segments/${created.json.id}`, {
      filter: 'city:Dubai,Paris',
    })
    expect(changed.json.query).toBe('city:Dubai,Paris')
    const list = await t.request<Page<Segment>>('GET', '/api/v1/segments?counts=true')
    expect(list.json.items.find((s) => s.id === created.json.id)?.count).toBe(2)
    expect((await t.request('DELETE', `/api/v1/segments/${created.json.id}`)).status).toBe(204)
    const gone = await t.request<Problem>('GET', `/api/v1/segments/${created.json.id}`)
    expect(gone.status).toBe(404)
    expect(gone.json.code).toBe('SEGMENT_NOT_FOUND')
  })

  it('refuses a filter that is not valid, naming the place in it, and saves nothing', async () => {
    const before = await tableCounts(t)
    const cases: Array<[unknown, string]> = [
      ['tag:vip (', 'body.filter'],
      [{ field: 'attributes.unknown', op: 'eq', value: 1 }, 'body.filter.field'],
      [
        { and: [{ tags: { any: ['ok'] } }, { not: { search: '' } }] },
        'body.filter.and.1.not.search',
      ],
      ['{"and": [', 'body.filter'],
    ]
    for (const [filter, path] of cases) {
      const res = await t.request<Problem>('POST', '/api/v1/segments', { name: 'bad', filter })
      expect(res.status, JSON.stringify(filter)).toBe(400)
      expect(res.json.errors?.[0]?.path, JSON.stringify(res.json.errors)).toBe(path)
    }
    const nested = `{"name":"deep","filter":${'{"not":'.repeat(5000)}{"search":"a"}${'}'.repeat(5000)}}`
    const deep = await t.request<Problem>('POST', '/api/v1/segments', nested)
    expect(deep.status).toBe(400)
    expect(await tableCounts(t)).toEqual(before)
  })
})
