// Full-text search over contacts (SQLite FTS5, PostgreSQL tsvector): ranked, combined with
// filters, paged with cursors, kept in step with every change, and safe with any text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Contact } from '../../src/contacts/index.js'
import { testDialects } from '../helpers/databases.js'
import { startTestLinda, type Page, type Problem, type TestLinda } from '../helpers/linda.js'

describe.each(testDialects())('contact search on %s', (dialect) => {
  let t: TestLinda
  const ids: Record<string, string> = {}

  const create = async (key: string, body: Record<string, unknown>) => {
    const res = await t.request<Contact>('POST', '/api/v1/contacts', body)
    if (res.status !== 201) throw new Error(res.body)
    ids[key] = res.json.id
  }
  const search = async (q: string, extra = '') => {
    const res = await t.request<Page<Contact> & Problem>(
      'GET',
      `/api/v1/contacts?q=${encodeURIComponent(q)}${extra}`,
    )
    return res
  }

  beforeAll(async () => {
    t = await startTestLinda(dialect, { start: false })
    await create('nameMatch', { phone: '+15550120001', name: 'Lucia Fernandez', tags: ['vip'] })
    await create('notesMatch', {
      phone: '+15550120002',
      name: 'Bob Stone',
      notes: 'Lucia recommended him',
    })
    await create('attrMatch', {
      phone: '+15550120003',
      name: 'Carla',
      attributes: { city: 'Lucia Bay' },
    })
    await create('other', {
      phone: '+971501234567',
      name: 'Aisha Khan',
      attributes: { city: 'Dubai' },
    })
    for (let i = 0; i < 12; i++) {
      await create(`many${i}`, {
        phone: `+1555013${String(i).padStart(4, '0')}`,
        name: `Many Person${i}`,
      })
    }
  })

  afterAll(async () => {
    await t?.stop()
  })

  it('ranks a match in the name above one in the attributes, and those above the notes', async () => {
    const res = await search('lucia')
    expect(res.status).toBe(200)
    expect(res.json.items.map((c) => c.id)).toEqual([ids.nameMatch, ids.attrMatch, ids.notesMatch])
  })

  it('matches the start of words and of numbers, with every word required', async () => {
    expect((await search('fern')).json.items.map((c) => c.id)).toEqual([ids.nameMatch])
    expect((await search('97150')).json.items.map((c) => c.id)).toEqual([ids.other])
    expect((await search('+971 50')).json.items.map((c) => c.id)).toEqual([ids.other])
    expect((await search('aisha dubai')).json.items.map((c) => c.id)).toEqual([ids.other])
    expect((await search('aisha paris')).json.items).toEqual([])
  })

  it('combines a search with a filter', async () => {
    const res = await search('lucia', `&filter=${encodeURIComponent('tag:vip')}`)
    expect(res.json.items.map((c) => c.id)).toEqual([ids.nameMatch])
    const count = await t.request<{ count: number }>('GET', '/api/v1/contacts/count?q=lucia')
    expect(count.json.count).toBe(3)
  })

  it('pages ranked results with a cursor, each contact once', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: { json: Page<Contact> } = await search(
        'many',
        `&limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      )
      seen.push(...res.json.items.map((c) => c.id))
      cursor = res.json.nextCursor
    } while (cursor)
    expect(seen).toHaveLength(12)
    expect(new Set(seen).size).toBe(12)
  })

  it('pages the whole list in creation order', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: { json: Page<Contact> } = await t.request<Page<Contact>>(
        'GET',
        `/api/v1/contacts?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      )
      seen.push(...res.json.items.map((c) => c.id))
      cursor = res.json.nextCursor
    } while (cursor)
    expect(seen).toEqual(Object.values(ids).sort())
  })

  it('follows changes: a renamed or deleted contact is found by its new text only', async () => {
    await t.request('PATCH', `/api/v1/contacts/${ids.other}`, {
      name: 'Aisha Rahman',
      notes: 'prefers mornings',
    })
    expect((await search('khan')).json.items).toEqual([])
    expect((await search('rahman mornings')).json.items.map((c) => c.id)).toEqual([ids.other])
    await t.request('DELETE', `/api/v1/contacts/${ids.many0}`)
    expect((await search('person0')).json.items).toEqual([])
  })

  it.each([
    'NEAR(a b)',
    '"unbalanced',
    "'; drop table contacts; --",
    'a* OR b:* & !c',
    'col:name ^x',
    'ü'.repeat(200),
  ])('answers the search %j without an error', async (q) => {
    const res = await search(q)
    expect(res.status, res.body).toBe(200)
  })

  it('refuses a search with no words, a giant one and a cursor of another kind, naming the field', async () => {
    const empty = await search('!!!')
    expect(empty.status).toBe(400)
    expect(empty.json.errors?.[0]?.path).toBe('query.q')
    const giant = await search('x'.repeat(1000))
    expect(giant.status).toBe(400)
    expect(giant.json.errors?.[0]?.path).toBe('query.q')
    const list = await t.request<Page<Contact>>('GET', '/api/v1/contacts?limit=1')
    const wrong = await search('many', `&cursor=${list.json.nextCursor}`)
    expect(wrong.status).toBe(400)
    expect(wrong.json.errors?.[0]?.path).toBe('query.cursor')
  })
})
