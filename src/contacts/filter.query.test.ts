import { describe, expect, it } from 'vitest'
import { AppError } from '../platform/errors.js'
import { parseFilterQuery, printFilterQuery } from './filter.query.js'
import { checkFilter, FILTER_LIMITS, type FilterNode } from './filter.schemas.js'

const parse = (q: string) => parseFilterQuery(q, 'query.filter')

function rejection(fn: () => unknown): AppError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error('expected a rejection')
}

describe(parseFilterQuery.name, () => {
  it('reads the example of the docs as the tree a program would write', () => {
    expect(parse('tag:vip city:Dubai -tag:lost last_inbound:>2026-01-01 "free text"')).toEqual({
      and: [
        { tags: { any: ['vip'] } },
        { field: 'attributes.city', op: 'eq', value: 'Dubai' },
        { not: { tags: { any: ['lost'] } } },
        { field: 'lastInboundAt', op: 'gt', value: '2026-01-01' },
        { search: 'free text' },
      ],
    })
  })

  it.each<[string, FilterNode]>([
    ['tag:a,b', { tags: { any: ['a', 'b'] } }],
    ['score:10..20', { field: 'attributes.score', op: 'between', value: ['10', '20'] }],
    ['score:<5', { field: 'attributes.score', op: 'lt', value: '5' }],
    ['name:~ish', { field: 'name', op: 'contains', value: 'ish' }],
    ['name:ai*', { field: 'name', op: 'startsWith', value: 'ai' }],
    ['name:"a b"*', { field: 'name', op: 'startsWith', value: 'a b' }],
    ['city:"New York"', { field: 'attributes.city', op: 'eq', value: 'New York' }],
    ['city:"a*"', { field: 'attributes.city', op: 'eq', value: 'a*' }],
    ['lang:ar,en', { field: 'language', op: 'in', value: ['ar', 'en'] }],
    ['attributes.name:x', { field: 'attributes.name', op: 'eq', value: 'x' }],
    ['email:*', { field: 'attributes.email', op: 'exists' }],
    ['opted_out:true', { field: 'optedOut', op: 'eq', value: 'true' }],
    ['a OR b c', { or: [{ search: 'a' }, { and: [{ search: 'b' }, { search: 'c' }] }] }],
    ['(a OR b) c', { and: [{ or: [{ search: 'a' }, { search: 'b' }] }, { search: 'c' }] }],
    ['NOT -tag:x', { not: { not: { tags: { any: ['x'] } } } }],
    ['"say \\"hi\\""', { search: 'say "hi"' }],
  ])('reads %j', (query, tree) => {
    expect(parse(query)).toEqual(tree)
  })

  it('reads nothing as no filter', () => {
    expect(parse('   ')).toBeNull()
  })

  it.each([
    ['"unclosed', 'quote is not closed'],
    ['(tag:a', 'parenthesis is not closed'],
    ['tag:a)', 'unexpected )'],
    ['score:', 'needs a value'],
    ['tag:*', 'tag:* is not a filter'],
    ['tag:>a', 'tags take'],
    ['x:a,,b', 'empty value'],
    ['OR', 'unexpected OR'],
    [`${'('.repeat(20)}a${')'.repeat(20)}`, 'nests too deep'],
    ['x'.repeat(FILTER_LIMITS.query + 1), 'longer than'],
  ])('refuses %j, saying why and where', (query, why) => {
    const error = rejection(() => parse(query))
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(error.errors?.[0]?.path).toBe('query.filter')
    expect(error.errors?.[0]?.message).toContain(why)
  })

  it('prints trees that read back as the same tree, for the shapes it has words for', () => {
    const trees: FilterNode[] = [
      {
        and: [
          { tags: { any: ['a', 'b'] } },
          { field: 'attributes.city', op: 'eq', value: 'Du"bai' },
        ],
      },
      { or: [{ field: 'name', op: 'startsWith', value: 'a b' }, { search: 'x y' }] },
      { not: { field: 'lastInboundAt', op: 'between', value: ['2026-01-01', '2026-02-01'] } },
      { field: 'attributes.tags', op: 'contains', value: '%_' },
    ]
    for (const tree of trees) {
      const printed = printFilterQuery(tree)
      expect(parse(printed), printed).toEqual(
        JSON.parse(JSON.stringify(tree), (_, v: unknown) =>
          typeof v === 'number' ? String(v) : v,
        ),
      )
    }
  })
})

describe(checkFilter.name, () => {
  const types = new Map([
    ['score', 'number'],
    ['city', 'text'],
  ] as const)
  const check = (raw: unknown) => checkFilter(raw, types, 'body.filter')

  it('types values by the field they compare', () => {
    expect(check({ field: 'attributes.score', op: 'between', value: ['1', 2.5] })).toEqual({
      kind: 'attribute',
      key: 'score',
      type: 'number',
      op: 'between',
      values: [1, 2.5],
    })
    expect(check({ field: 'lastInboundAt', op: 'gt', value: '2026-01-01' })).toMatchObject({
      kind: 'column',
      column: 'last_inbound_at',
      values: ['2026-01-01T00:00:00.000Z'],
    })
    expect(check({ field: 'optedOut', op: 'eq', value: false })).toMatchObject({ values: [0] })
  })

  it('names every failing place at once', () => {
    const error = rejection(() =>
      check({
        and: [
          { field: 'nope', op: 'eq', value: 1 },
          { field: 'attributes.score', op: 'startsWith', value: '1' },
          { field: 'lastInboundAt', op: 'gt', value: 'yesterday' },
          { tags: { any: ['ok'], all: ['no'] } },
          { search: '!!!' },
        ],
      }),
    )
    expect(error.errors?.map((e) => e.path)).toEqual([
      'body.filter.and.0.field',
      'body.filter.and.1.op',
      'body.filter.and.2.value',
      'body.filter.and.3.tags',
      'body.filter.and.4.search',
    ])
  })

  it('bounds depth and size before it reads further', () => {
    let deep: unknown = { search: 'a' }
    for (let i = 0; i < 10_000; i++) deep = { not: deep }
    expect(rejection(() => check(deep)).errors?.[0]?.message).toContain('deeper than')
    const wide = {
      or: Array.from({ length: 50 }, () => ({
        and: [{ search: 'a' }, { search: 'b' }, { search: 'c' }],
      })),
    }
    expect(rejection(() => check(wide)).errors?.[0]?.message).toContain('more than 100 conditions')
    const many = { field: 'name', op: 'in', value: Array.from({ length: 101 }, (_, i) => `n${i}`) }
    expect(rejection(() => check(many)).errors?.[0]?.path).toBe('body.filter.value')
  })
})
