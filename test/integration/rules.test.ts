// Auto-reply rules are listed in the order they are tried (priority, then age), and the
// cursor keeps that order across pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Rule } from '../../src/bot/rules.schemas.js'
import { testDialects } from '../helpers/databases.js'
import { startTestLinda, type Page, type Problem, type TestLinda } from '../helpers/linda.js'

describe.each(testDialects())('the rules list on %s', (dialect) => {
  let t: TestLinda

  beforeAll(async () => {
    t = await startTestLinda(dialect)
  })

  afterAll(async () => {
    await t?.stop()
  })

  it('pages through rules of mixed priorities in the order they are tried', async () => {
    for (const [i, priority] of [5, 1, 5, 3, 1, -2].entries()) {
      const res = await t.request('POST', '/api/v1/rules', {
        name: `rule ${i}`,
        match: { type: 'contains', value: `word${i}` },
        actions: [{ type: 'reply', text: `reply ${i}` }],
        priority,
      })
      expect(res.status).toBe(201)
    }
    const seen: Rule[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor ? `&cursor=${cursor}` : ''
      const res = await t.request<Page<Rule>>('GET', `/api/v1/rules?limit=2${query}`)
      expect(res.status).toBe(200)
      seen.push(...res.json.items)
      cursor = res.json.nextCursor
    } while (cursor)
    // Six new rules and the greeting rule (priority 0), each once, in try order.
    expect(seen).toHaveLength(7)
    expect(new Set(seen.map((r) => r.id)).size).toBe(7)
    const expected = [...seen].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id))
    expect(seen.map((r) => r.id)).toEqual(expected.map((r) => r.id))
    expect(seen.map((r) => r.priority)).toEqual([5, 5, 3, 1, 1, 0, -2])
  })

  it('refuses a cursor it did not make', async () => {
    const res = await t.request<Problem>('GET', '/api/v1/rules?cursor=bm9wZQ')
    expect(res.status).toBe(400)
    expect(res.json.errors?.[0]?.path).toBe('query.cursor')
  })
})
