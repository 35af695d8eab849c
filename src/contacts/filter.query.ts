import { AppError } from '../platform/errors.js'
import { FILTER_LIMITS, filterFields, type FilterField, type FilterNode } from './filter.schemas.js'

/**
 * The query-string form of the filter language, for people:
 *
 *   tag:vip city:Dubai -tag:lost last_inbound:>2026-01-01 "free text"
 *
 * Terms side by side must all hold; `OR` between terms, `-` (or `NOT`) before a term, and
 * parentheses group. `key:value` is equality; `key:a,b` any of; `key:>v`, `key:<v`;
 * `key:a..b` between; `key:~v` contains; `key:v*` starts with; `key:*` has a value. A
 * quoted value is taken literally. Other words and quoted phrases are full-text search.
 * It parses to the JSON tree (`FilterNode`) that programs write.
 */

/** Query keys of contact fields (the tree's field names are accepted too). */
const fieldKeys: Record<string, FilterField> = {
  name: 'name',
  phone: 'phone',
  language: 'language',
  lang: 'language',
  timezone: 'timezone',
  tz: 'timezone',
  notes: 'notes',
  lid: 'lid',
  opted_out: 'optedOut',
  on_whatsapp: 'onWhatsApp',
  opted_out_at: 'optedOutAt',
  first_inbound: 'firstInboundAt',
  last_inbound: 'lastInboundAt',
  first_outbound: 'firstOutboundAt',
  last_outbound: 'lastOutboundAt',
  created: 'createdAt',
  updated: 'updatedAt',
}
const keyOfField = Object.fromEntries(
  Object.entries(fieldKeys)
    .filter(([key]) => !['lang', 'tz'].includes(key))
    .map(([key, field]) => [field, key]),
) as Record<FilterField, string>

type Token =
  | { t: '(' | ')' | '-' | 'OR' | 'NOT'; at: number }
  | { t: 'word'; text: string; quoted: boolean; at: number }

class QueryError extends Error {
  constructor(message: string, at: number) {
    super(`${message} (at character ${at + 1})`)
  }
}

/** Reads a quoted string starting at `i` (a `"`); returns its text and the index after it. */
function readQuoted(input: string, i: number): [string, number] {
  let text = ''
  let j = i + 1
  for (; j < input.length; j++) {
    const ch = input[j]!
    if (ch === '\\' && j + 1 < input.length) {
      text += input[++j]
    } else if (ch === '"') {
      return [text, j + 1]
    } else text += ch
  }
  throw new QueryError('a quote is not closed', i)
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const ch = input[i]!
    if (/\s/.test(ch)) {
      i++
    } else if (ch === '(' || ch === ')') {
      tokens.push({ t: ch, at: i++ })
    } else if (ch === '-' && i + 1 < input.length && !/\s/.test(input[i + 1]!)) {
      tokens.push({ t: '-', at: i++ })
    } else if (ch === '"') {
      const [text, next] = readQuoted(input, i)
      tokens.push({ t: 'word', text, quoted: true, at: i })
      i = next
    } else {
      // A bare word runs to a space or a parenthesis; quoted parts inside it (a value such
      // as city:"New York") keep their quotes for the term parser.
      const start = i
      let text = ''
      while (i < input.length && !/[\s()]/.test(input[i]!)) {
        if (input[i] === '"') {
          const [, next] = readQuoted(input, i)
          text += input.slice(i, next)
          i = next
        } else text += input[i++]
      }
      if (text === 'OR' || text === 'NOT') tokens.push({ t: text, at: start })
      else tokens.push({ t: 'word', text, quoted: false, at: start })
    }
    if (tokens.length > FILTER_LIMITS.nodes * 3) throw new QueryError('has too many terms', i)
  }
  return tokens
}

/** Splits a value list at commas outside quotes; each item keeps whether it was quoted. */
function splitItems(raw: string, at: number): Array<{ text: string; quoted: boolean }> {
  const items: Array<{ text: string; quoted: boolean }> = []
  let i = 0
  while (i <= raw.length) {
    if (raw[i] === '"') {
      const [text, next] = readQuoted(raw, i)
      items.push({ text, quoted: true })
      i = next
      if (i < raw.length && raw[i] !== ',')
        throw new QueryError('expected , after a quoted value', at + i)
      i++
    } else {
      const end = raw.indexOf(',', i)
      const text = raw.slice(i, end === -1 ? raw.length : end)
      if (text.includes('"')) throw new QueryError('a quote may only open a value', at + i)
      items.push({ text, quoted: false })
      i = end === -1 ? raw.length + 1 : end + 1
    }
  }
  return items
}

/** The condition of `key:spec`. */
function term(key: string, spec: string, at: number): FilterNode {
  const isTag = key === 'tag' || key === 'tags'
  let field: string | undefined
  if (!isTag) {
    field =
      fieldKeys[key] ??
      (key in filterFields ? key : undefined) ??
      (key.startsWith('attributes.') ? key : `attributes.${key}`)
  }
  if (spec === '') throw new QueryError(`${key}: needs a value`, at)
  if (spec === '*') {
    if (isTag) throw new QueryError('tag:* is not a filter; use tag:name', at)
    return { field: field!, op: 'exists' }
  }
  if (spec.startsWith('"') && spec.endsWith('"*') && spec.length > 2) {
    const [text, next] = readQuoted(spec, 0)
    if (next === spec.length - 1) {
      if (isTag) throw new QueryError('tags take tag:name or tag:a,b', at)
      return { field: field!, op: 'startsWith', value: text }
    }
  }
  const op = spec[0] === '>' ? 'gt' : spec[0] === '<' ? 'lt' : spec[0] === '~' ? 'contains' : null
  const rest = op ? spec.slice(1) : spec
  const items = splitItems(rest, at)
  if (items.some((item) => item.text === '' && !item.quoted))
    throw new QueryError(`${key}: has an empty value`, at)
  if (isTag) {
    if (op) throw new QueryError('tags take tag:name or tag:a,b', at)
    return { tags: { any: items.map((item) => item.text) } }
  }
  if (op) {
    if (items.length > 1) throw new QueryError(`${key}: takes one value after ${spec[0]}`, at)
    return { field: field!, op, value: items[0]!.text }
  }
  if (items.length > 1) return { field: field!, op: 'in', value: items.map((item) => item.text) }
  const only = items[0]!
  if (!only.quoted) {
    const range = only.text.split('..')
    if (range.length === 2 && range[0] !== '' && range[1] !== '') {
      return { field: field!, op: 'between', value: range }
    }
    if (only.text.endsWith('*') && only.text.length > 1) {
      return { field: field!, op: 'startsWith', value: only.text.slice(0, -1) }
    }
  }
  return { field: field!, op: 'eq', value: only.text }
}

/** Parses the query-string form to the filter tree; throws VALIDATION_FAILED naming `path`. */
export function parseFilterQuery(input: string, path: string): FilterNode | null {
  try {
    if (input.length > FILTER_LIMITS.query) {
      throw new QueryError(`is longer than ${FILTER_LIMITS.query} characters`, FILTER_LIMITS.query)
    }
    const tokens = tokenize(input)
    let pos = 0
    let depth = 0
    const peek = () => tokens[pos]

    const primary = (): FilterNode => {
      const token = tokens[pos++]
      if (!token) throw new QueryError('ends where a term was expected', input.length)
      if (token.t === '(') {
        if (++depth > FILTER_LIMITS.depth) throw new QueryError('nests too deep', token.at)
        const inner = orExpr()
        const close = tokens[pos++]
        if (close?.t !== ')') throw new QueryError('a parenthesis is not closed', token.at)
        depth--
        return inner
      }
      if (token.t !== 'word') throw new QueryError(`unexpected ${token.t}`, token.at)
      if (!token.quoted) {
        const colon = token.text.indexOf(':')
        if (colon > 0 && /^[A-Za-z][A-Za-z0-9_.]*$/.test(token.text.slice(0, colon))) {
          return term(token.text.slice(0, colon), token.text.slice(colon + 1), token.at)
        }
      }
      return { search: token.text }
    }
    const unary = (): FilterNode => {
      const token = peek()
      if (token?.t === '-' || token?.t === 'NOT') {
        pos++
        if (++depth > FILTER_LIMITS.depth) throw new QueryError('nests too deep', token.at)
        const node: FilterNode = { not: unary() }
        depth--
        return node
      }
      return primary()
    }
    const andExpr = (): FilterNode => {
      const terms: FilterNode[] = [unary()]
      for (let next = peek(); next && next.t !== ')' && next.t !== 'OR'; next = peek()) {
        terms.push(unary())
      }
      return terms.length === 1 ? terms[0]! : { and: terms }
    }
    const orExpr = (): FilterNode => {
      const terms: FilterNode[] = [andExpr()]
      while (peek()?.t === 'OR') {
        pos++
        terms.push(andExpr())
      }
      return terms.length === 1 ? terms[0]! : { or: terms }
    }

    if (tokens.length === 0) return null
    const tree = orExpr()
    const left = peek()
    if (left) throw new QueryError(`unexpected ${left.t === 'word' ? left.text : left.t}`, left.at)
    return tree
  } catch (err) {
    if (!(err instanceof QueryError)) throw err
    throw new AppError('VALIDATION_FAILED', `The filter is not valid: ${err.message}`, [
      { path, message: err.message },
    ])
  }
}

function quote(value: unknown): string {
  return `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

/**
 * Writes a filter tree in the query-string form (for display, and to check that the two
 * forms agree). The result parses to a tree that selects the same contacts.
 */
export function printFilterQuery(node: FilterNode): string {
  const group = (child: FilterNode) => {
    const text = printFilterQuery(child)
    return 'and' in child || 'or' in child ? `(${text})` : text
  }
  if ('and' in node) return node.and.map(group).join(' ')
  if ('or' in node) return node.or.map(group).join(' OR ')
  if ('not' in node) return `-${group(node.not)}`
  if ('search' in node) return quote(node.search)
  if ('tags' in node) {
    const { any, all, none } = node.tags
    if (any) return `tag:${any.map(quote).join(',')}`
    if (none) return `-tag:${none.map(quote).join(',')}`
    return `(${(all ?? []).map((t) => `tag:${quote(t)}`).join(' ')})`
  }
  const key =
    keyOfField[node.field as FilterField] ??
    (node.field.startsWith('attributes.') ? node.field : `attributes.${node.field}`)
  const v = node.value
  const list = (vs: unknown) => (Array.isArray(vs) ? vs : [vs])
  switch (node.op) {
    case 'exists':
      return `${key}:*`
    case 'eq':
      return `${key}:${quote(v)}`
    case 'neq':
      return `-${key}:${quote(v)}`
    case 'in':
      return `${key}:${list(v).map(quote).join(',')}`
    case 'contains':
      return `${key}:~${quote(v)}`
    case 'startsWith':
      return `${key}:${quote(v)}*`
    case 'gt':
      return `${key}:>${quote(v)}`
    case 'lt':
      return `${key}:<${quote(v)}`
    case 'between': {
      // A range is not quoted (a..b): its ends are numbers or dates, which need no quotes.
      const [from, to] = list(v)
      return `${key}:${String(from)}..${String(to)}`
    }
  }
}
