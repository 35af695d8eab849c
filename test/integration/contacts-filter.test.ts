// The filter language against the database: random filter trees select the contacts an
// in-memory reading of the same tree selects, on SQLite and on PostgreSQL alike, and the
// query-string form of each tree selects the same contacts as the tree. Hostile filters get
// a 400 naming the field, never a 500.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Contact, FilterNode } from '../../src/contacts/index.js'
import { printFilterQuery } from '../../src/contacts/index.js'
import { testDialects } from '../helpers/databases.js'
import { startTestLinda, type Page, type Problem, type TestLinda } from '../helpers/linda.js'

const names = ['Aisha', 'aisha khan', 'Omar', 'MARIA_1', '50% off', 'li', 'Zoe o_o']
const tagPool = ['a', 'b', 'c', 'd']
const cities = ['Dubai', 'Paris', 'lima_1', '50%', 'dubai']
const scores = [-5, 0, 3.5, 10, 100]
const dates = ['2025-12-31', '2026-01-01', '2026-06-15']
const times = ['2025-12-31T23:59:59.000Z', '2026-01-01T00:00:00.000Z', '2026-03-01T12:00:00.000Z']
const fragments = ['a', 'AI', 'i', 'o_', '%', '_', 'du', 'x', "'; drop table contacts; --"]

const types = { city: 'text', score: 'number', joined: 'date', member: 'boolean' } as const

/** A small, varied population, the same on every database. */
function population(): Array<{
  body: Record<string, unknown>
  optedOut: boolean
  lastInboundAt: string | null
}> {
  const rand = (() => {
    let seed = 42
    return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  })()
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!
  const maybe = <T>(x: T) => (rand() < 0.7 ? x : undefined)
  return Array.from({ length: 40 }, (_, i) => {
    const attributes: Record<string, unknown> = {}
    const city = maybe(pick(cities))
    if (city !== undefined) attributes.city = city
    const score = maybe(pick(scores))
    if (score !== undefined) attributes.score = score
    const joined = maybe(pick(dates))
    if (joined !== undefined) attributes.joined = joined
    const member = maybe(rand() < 0.5)
    if (member !== undefined) attributes.member = member
    return {
      body: {
        phone: `+1555011${String(i).padStart(4, '0')}`,
        name: maybe(pick(names)) ?? null,
        language: maybe(pick(['en', 'ar', 'fr'])) ?? null,
        tags: tagPool.filter(() => rand() < 0.4),
        attributes,
      },
      optedOut: rand() < 0.3,
      lastInboundAt: maybe(pick(times)) ?? null,
    }
  })
}

// ---- the filter read in memory: what the SQL must agree with ----

type Value = string | number | boolean | null

function fieldValue(c: Contact, field: string): Value {
  if (field.startsWith('attributes.')) return c.attributes[field.slice(11)] ?? null
  return (c as unknown as Record<string, Value>)[field] ?? null
}

function matches(node: FilterNode, c: Contact): boolean {
  if ('and' in node) return node.and.every((n) => matches(n, c))
  if ('or' in node) return node.or.some((n) => matches(n, c))
  if ('not' in node) return !matches(node.not, c)
  if ('tags' in node) {
    const { any, all, none } = node.tags
    if (any) return any.some((t) => c.tags.includes(t))
    if (all) return all.every((t) => c.tags.includes(t))
    return !none!.some((t) => c.tags.includes(t))
  }
  if ('search' in node) throw new Error('search is not read in memory')
  const v = fieldValue(c, node.field)
  const norm = (x: unknown) => (typeof x === 'boolean' ? Number(x) : x)
  const value = norm(v) as string | number | null
  const arg = node.value
  switch (node.op) {
    case 'exists':
      return value !== null
    case 'eq':
      return value !== null && value === norm(arg)
    case 'neq':
      return !(value !== null && value === norm(arg))
    case 'in':
      return value !== null && (arg as unknown[]).map(norm).includes(value)
    case 'contains':
      return value !== null && String(value).toLowerCase().includes(String(arg).toLowerCase())
    case 'startsWith':
      return value !== null && String(value).toLowerCase().startsWith(String(arg).toLowerCase())
    case 'gt':
      return value !== null && value > (arg as string | number)
    case 'lt':
      return value !== null && value < (arg as string | number)
    case 'between': {
      const [from, to] = arg as Array<string | number>
      return value !== null && value >= from! && value <= to!
    }
  }
}

// ---- random trees ----

const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.record({
    tags: fc.oneof(
      fc.record({
        any: fc.uniqueArray(fc.constantFrom(...tagPool), { minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        all: fc.uniqueArray(fc.constantFrom(...tagPool), { minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        none: fc.uniqueArray(fc.constantFrom(...tagPool), { minLength: 1, maxLength: 3 }),
      }),
    ),
  }),
  fc
    .record({
      field: fc.constantFrom('name', 'attributes.city'),
      op: fc.constantFrom('eq', 'neq', 'contains', 'startsWith', 'exists' as const),
      value: fc.constantFrom(...names, ...cities, ...fragments),
    })
    .map((n) => (n.op === 'exists' ? { field: n.field, op: n.op } : n)),
  fc.record({
    field: fc.constantFrom('name', 'language', 'attributes.city'),
    op: fc.constant('in' as const),
    value: fc.uniqueArray(fc.constantFrom(...names, ...cities, 'en', 'ar'), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
  fc.record({
    field: fc.constant('attributes.score'),
    op: fc.constantFrom('eq', 'neq', 'gt', 'lt' as const),
    value: fc.constantFrom(...scores, 1, 50),
  }),
  fc.record({
    field: fc.constant('attributes.score'),
    op: fc.constant('between' as const),
    value: fc.tuple(fc.constantFrom(...scores), fc.constantFrom(...scores)),
  }),
  fc.record({
    field: fc.constant('attributes.joined'),
    op: fc.constantFrom('eq', 'gt', 'lt' as const),
    value: fc.constantFrom(...dates),
  }),
  fc.record({
    field: fc.constantFrom('attributes.member', 'optedOut'),
    op: fc.constantFrom('eq', 'neq' as const),
    value: fc.boolean(),
  }),
  fc.record({
    field: fc.constant('lastInboundAt'),
    op: fc.constantFrom('gt', 'lt' as const),
    value: fc.constantFrom(...times),
  }),
  fc.record({
    field: fc.constant('lastInboundAt'),
    op: fc.constant('between' as const),
    value: fc.tuple(fc.constantFrom(...times), fc.constantFrom(...times)),
  }),
  fc.record({
    field: fc.constantFrom('lastInboundAt', 'language'),
    op: fc.constant('exists' as const),
  }),
) as fc.Arbitrary<FilterNode>

const tree: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ and: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ or: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
})).node

describe('the filter language', () => {
  const lindas = new Map<string, TestLinda>()
  let everyone: Contact[] = []
  const phones = new Map<string, Map<string, string>>()

  beforeAll(async () => {
    for (const dialect of testDialects()) {
      const t = await startTestLinda(dialect, { start: false })
      lindas.set(dialect, t)
      for (const [key, type] of Object.entries(types)) {
        await t.request('POST', '/api/v1/contact-attributes', { key, type })
      }
      for (const person of population()) {
        const res = await t.request<Contact>('POST', '/api/v1/contacts', person.body)
        if (res.status !== 201) throw new Error(`create: ${res.body}`)
        if (person.optedOut) await t.linda.contacts.setOptOut(res.json.id, { source: 'test' })
        if (person.lastInboundAt) {
          await t.linda.db.db
            .updateTable('contacts')
            .set({ last_inbound_at: person.lastInboundAt })
            .where('id', '=', res.json.id)
            .execute()
        }
      }
    }
    for (const t of lindas.values()) {
      phones.set(t.dialect, new Map((await listAll(t, '')).map((c) => [c.id, c.phone])))
    }
    everyone = await listAll([...lindas.values()][0]!, '')
  }, 120_000)

  afterAll(async () => {
    for (const t of lindas.values()) await t.stop()
  })

  /** Every contact GET /contacts returns for this filter, through every page. */
  async function listAll(t: TestLinda, filter: string): Promise<Contact[]> {
    const all: Contact[] = []
    let cursor: string | null = null
    do {
      const params = new URLSearchParams({ limit: '7', ...(filter ? { filter } : {}) })
      if (cursor) params.set('cursor', cursor)
      const res: { status: number; json: Page<Contact>; body: string } = await t.request<
        Page<Contact>
      >('GET', `/api/v1/contacts?${params.toString()}`)
      if (res.status !== 200) throw new Error(`list ${filter}: ${res.status} ${res.body}`)
      all.push(...res.json.items)
      cursor = res.json.nextCursor
    } while (cursor)
    return all
  }

  async function audience(t: TestLinda, filter: FilterNode): Promise<string[]> {
    const ids: string[] = []
    for await (const page of t.linda.contacts.resolveAudience(
      { filter },
      { pageSize: 9, includeOptedOut: true },
    )) {
      ids.push(...page)
    }
    return ids
  }

  it('has a varied population to filter', () => {
    expect(everyone).toHaveLength(40)
    expect(everyone.filter((c) => c.optedOut).length).toBeGreaterThan(3)
  })

  it('selects what the tree means, in both forms, on every database', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (node) => {
        const expected = everyone
          .filter((c) => matches(node, c))
          .map((c) => c.phone)
          .sort()
        const query = printFilterQuery(node)
        for (const t of lindas.values()) {
          // Ids differ between databases: compare phone numbers.
          const phoneOf = phones.get(t.dialect)!
          const fromTree = (await audience(t, node)).map((id) => phoneOf.get(id)).sort()
          expect(fromTree, `${t.dialect} ${JSON.stringify(node)}`).toEqual(expected)
          const fromJson = (await listAll(t, JSON.stringify(node))).map((c) => c.phone).sort()
          expect(fromJson, `${t.dialect} JSON ${JSON.stringify(node)}`).toEqual(expected)
          const fromQuery = (await listAll(t, query)).map((c) => c.phone).sort()
          expect(fromQuery, `${t.dialect} ${query}`).toEqual(expected)
          const count = await t.request<{ count: number }>(
            'GET',
            `/api/v1/contacts/count?filter=${encodeURIComponent(query)}`,
          )
          expect(count.json.count).toBe(expected.length)
        }
      }),
      {
        numRuns: 60,
        // Shapes that once went wrong: a lone `none` must not start from its tag's index.
        examples: [
          [{ tags: { none: ['a'] } }],
          [{ and: [{ tags: { none: ['b'] } }, { tags: { all: ['a', 'c'] } }] }],
          [
            {
              and: [
                { tags: { any: ['a'] } },
                { tags: { any: ['b'] } },
                { tags: { all: ['c', 'd'] } },
              ],
            },
          ],
        ],
      },
    )
  }, 120_000)

  it('reads the examples of the docs', async () => {
    const t = [...lindas.values()][0]!
    const cases: Array<[string, (c: Contact) => boolean]> = [
      [
        'tag:a city:Dubai -tag:b',
        (c) => c.tags.includes('a') && c.attributes.city === 'Dubai' && !c.tags.includes('b'),
      ],
      ['tag:a,b', (c) => c.tags.includes('a') || c.tags.includes('b')],
      [
        'score:>3 score:<50',
        (c) =>
          typeof c.attributes.score === 'number' &&
          c.attributes.score > 3 &&
          c.attributes.score < 50,
      ],
      [
        'score:0..10',
        (c) =>
          typeof c.attributes.score === 'number' &&
          c.attributes.score >= 0 &&
          c.attributes.score <= 10,
      ],
      [
        'last_inbound:>2026-01-01',
        (c) => c.lastInboundAt !== null && c.lastInboundAt > '2026-01-01T00:00:00.000Z',
      ],
      ['name:ai*', (c) => (c.name ?? '').toLowerCase().startsWith('ai')],
      ['name:~"o_"', (c) => (c.name ?? '').toLowerCase().includes('o_')],
      [
        '(tag:a OR tag:c) -opted_out:true',
        (c) => (c.tags.includes('a') || c.tags.includes('c')) && !c.optedOut,
      ],
      ['city:*', (c) => c.attributes.city !== undefined],
      ['member:true', (c) => c.attributes.member === true],
    ]
    for (const [query, want] of cases) {
      const got = (await listAll(t, query)).map((c) => c.phone).sort()
      expect(got, query).toEqual(
        everyone
          .filter(want)
          .map((c) => c.phone)
          .sort(),
      )
    }
  })

  it.each([
    ['an unknown field', { field: 'password', op: 'eq', value: 'x' }, 'query.filter.field'],
    [
      'an undeclared attribute',
      { field: 'attributes.nope', op: 'eq', value: 'x' },
      'query.filter.field',
    ],
    [
      'an operator that does not apply',
      { field: 'attributes.score', op: 'contains', value: '1' },
      'query.filter.op',
    ],
    [
      'a value of the wrong type',
      { field: 'attributes.score', op: 'gt', value: 'many' },
      'query.filter.value',
    ],
    ['an unknown key', { field: 'name', op: 'eq', value: 'x', sql: '1=1' }, 'query.filter'],
    ['a giant string', { field: 'name', op: 'eq', value: 'x'.repeat(5000) }, 'query.filter.value'],
    [
      'a between with one end',
      { field: 'attributes.score', op: 'between', value: [1] },
      'query.filter.value',
    ],
    ['an empty and', { and: [] }, 'query.filter.and'],
    ['a list where a condition belongs', { and: [[1, 2]] }, 'query.filter.and.0'],
    [
      'a deep nest',
      JSON.parse(`${'{"not":'.repeat(50)}{"tags":{"any":["a"]}}${'}'.repeat(50)}`),
      'query.filter',
    ],
    [
      'too many conditions',
      {
        or: Array.from({ length: 50 }, () => ({
          and: [{ tags: { any: ['a'] } }, { tags: { any: ['b'] } }, { tags: { any: ['c'] } }],
        })),
      },
      'query.filter',
    ],
  ])('answers %s with a 400 naming the field', async (_, filter, path) => {
    for (const t of lindas.values()) {
      const res = await t.request<Problem>(
        'GET',
        `/api/v1/contacts?filter=${encodeURIComponent(JSON.stringify(filter))}`,
      )
      expect(res.status, t.dialect).toBe(400)
      expect(res.json.code).toBe('VALIDATION_FAILED')
      expect(
        res.json.errors?.some((e) => e.path.startsWith(path)),
        JSON.stringify(res.json.errors),
      ).toBe(true)
    }
  })

  it.each([
    "name:x' OR '1'='1",
    'tag:"a" OR 1=1; drop table contacts --',
    '"unclosed',
    '((((((((((tag:a))))))))))',
    'score:>',
    'tag:*',
    ')',
    `${'-'.repeat(40)}tag:a`,
    'x'.repeat(3000),
  ])('answers a hostile query (%#) with a 400 or rows, never a 500', async (filter) => {
    for (const t of lindas.values()) {
      const res = await t.request<Problem>(
        'GET',
        `/api/v1/contacts?filter=${encodeURIComponent(filter)}`,
      )
      expect([200, 400], `${t.dialect} ${res.body}`).toContain(res.status)
      if (res.status === 400) expect(res.json.errors?.[0]?.path).toMatch(/^query\.filter/)
    }
    const counts = await [...lindas.values()][0]!.linda.contacts.countAudience(
      { filter: '' },
      { includeOptedOut: true },
    )
    expect(counts).toBe(40)
  })
})
