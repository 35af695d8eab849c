import { sql, type RawBuilder } from 'kysely'
import type { Dialect, Executor } from '../platform/db/index.js'
import type { CheckedFilter, Scalar } from './filter.schemas.js'
import { readsContactRow } from './filter.schemas.js'

// A checked filter becomes SQL here, with every value a parameter: the only text that
// reaches SQL from a filter is a column name from the fixed catalogue in filter.schemas.ts.

type Condition = RawBuilder<unknown>

const TRUE = sql`1 = 1`

/** The columns a contact is read with (PostgreSQL's tsvector stays in the database). */
export const contactColumns = [
  'id',
  'phone',
  'name',
  'language',
  'timezone',
  'tags',
  'attributes',
  'notes',
  'opted_out',
  'opted_out_at',
  'opted_out_source',
  'first_inbound_at',
  'last_inbound_at',
  'first_outbound_at',
  'last_outbound_at',
  'lid',
  'on_whatsapp',
  'whatsapp_checked_at',
  'created_at',
  'updated_at',
] as const

const selectContact = sql.join(contactColumns.map((c) => sql.ref(`c.${c}`)))

function likePattern(value: string, op: 'contains' | 'startsWith'): string {
  const escaped = value.replace(/[\\%_]/g, '\\$&')
  return op === 'contains' ? `%${escaped}%` : `${escaped}%`
}

/** An FTS5 query: each word, quoted, as a prefix; all must match. */
function ftsQuery(words: string[]): string {
  return words.map((w) => `"${w.replaceAll('"', '""')}"*`).join(' ')
}

/** A PostgreSQL tsquery: each word as a prefix, all must match (words are letters and digits). */
function tsQuery(words: string[]): string {
  return words.map((w) => `${w}:*`).join(' & ')
}

interface Compiler {
  dialect: Dialect
  /** The contact id the conditions are about (`c.id`, or an index table's contact_id). */
  id: RawBuilder<unknown>
}

/** Compares `target` (never null here) with the values of a leaf. */
function comparison(
  dialect: Dialect,
  target: RawBuilder<unknown>,
  op: Exclude<CheckedFilter & { kind: 'column' }, never>['op'],
  values: Scalar[],
): Condition {
  const [a, b] = values
  switch (op) {
    case 'eq':
      return sql`${target} = ${a}`
    case 'in':
      return sql`${target} in (${sql.join(values)})`
    case 'contains':
    case 'startsWith':
      return sql`${target} ${sql.raw(dialect === 'postgres' ? 'ilike' : 'like')} ${likePattern(String(a), op)} escape '\\'`
    case 'gt':
      return sql`${target} > ${a}`
    case 'lt':
      return sql`${target} < ${a}`
    case 'between':
      return sql`${target} between ${a} and ${b}`
    case 'exists':
      return TRUE
    case 'neq':
      throw new Error('neq is compiled as not eq')
  }
}

/**
 * The SQL condition of a checked filter. Conditions never yield NULL (a missing value is a
 * plain non-match), so `not` means "every contact the inner condition does not select".
 */
function compile(node: CheckedFilter, k: Compiler): Condition {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.children.length === 0
        ? TRUE
        : sql`(${sql.join(
            node.children.map((c) => compile(c, k)),
            sql.raw(node.kind === 'and' ? ' and ' : ' or '),
          )})`
    case 'not':
      return sql`not ${compile(node.child, k)}`
    case 'column': {
      if (node.op === 'neq') return sql`not ${compile({ ...node, op: 'eq' }, k)}`
      const column = sql.ref(`c.${node.column}`)
      if (node.op === 'exists') return sql`(${column} is not null)`
      return sql`(${column} is not null and ${comparison(k.dialect, column, node.op, node.values)})`
    }
    case 'attribute': {
      if (node.op === 'neq') return sql`not ${compile({ ...node, op: 'eq' }, k)}`
      const column = sql.ref(node.type === 'number' || node.type === 'boolean' ? 'v.num' : 'v.txt')
      return sql`exists (select 1 from contact_attribute_values v where v.contact_id = ${k.id} and v.key = ${node.key} and ${comparison(k.dialect, column, node.op, node.values)})`
    }
    case 'tags': {
      const has = (tags: string[]) =>
        sql`exists (select 1 from contact_tags t where t.contact_id = ${k.id} and t.tag in (${sql.join(tags)}))`
      if (node.mode === 'any') return has(node.tags)
      if (node.mode === 'none') return sql`not ${has(node.tags)}`
      return sql`(${sql.join(
        node.tags.map((t) => has([t])),
        sql.raw(' and '),
      )})`
    }
    case 'search':
      return k.dialect === 'postgres'
        ? sql`c.search @@ to_tsquery('simple', ${tsQuery(node.words)})`
        : sql`c.seq in (select rowid from contacts_fts where contacts_fts match ${ftsQuery(node.words)})`
  }
}

/**
 * Where a filtered query starts. Contacts with a tag are a range of the tag index, in
 * contact id order; contacts with several tags, the merge of those ranges (INTERSECT reads
 * them side by side, never one lookup per row); contacts with one attribute value, a range
 * of the attribute index. A page then stops early and a count never reads contact rows it
 * does not need. Without such a condition the query walks the contacts in id order.
 */
type Driver = { from: RawBuilder<unknown>; where: Condition } | { from: null }

interface Plan {
  driver: Driver
  /** What is left to check on each row the driver yields. */
  rest: CheckedFilter | null
}

/** Tags intersected at most to start a query. */
const MAX_DRIVING_TAGS = 5

function conjunctsOf(filter: CheckedFilter): CheckedFilter[] {
  return filter.kind === 'and' ? filter.children : [filter]
}

function plan(filter: CheckedFilter | null): Plan {
  if (!filter) return { driver: { from: null }, rest: null }
  const conjuncts = conjunctsOf(filter)
  const rest: CheckedFilter[] = []
  const required: string[] = []
  for (const c of conjuncts) {
    if (c.kind === 'tags' && (c.mode === 'all' || (c.mode === 'any' && c.tags.length === 1))) {
      const room = MAX_DRIVING_TAGS - required.length
      required.push(...c.tags.slice(0, room))
      if (c.tags.length > room) rest.push({ kind: 'tags', mode: 'all', tags: c.tags.slice(room) })
    } else rest.push(c)
  }
  const restOf = (children: CheckedFilter[]): CheckedFilter | null =>
    children.length === 0 ? null : children.length === 1 ? children[0]! : { kind: 'and', children }
  if (required.length === 1) {
    return {
      driver: { from: sql`contact_tags d`, where: sql`d.tag = ${required[0]!}` },
      rest: restOf(rest),
    }
  }
  if (required.length > 1) {
    const ranges = required.map((t) => sql`select contact_id from contact_tags where tag = ${t}`)
    return {
      driver: { from: sql`(${sql.join(ranges, sql` intersect `)}) d`, where: TRUE },
      rest: restOf(rest),
    }
  }
  for (const [i, c] of conjuncts.entries()) {
    if (c.kind === 'attribute' && c.op === 'eq') {
      const column = c.type === 'number' || c.type === 'boolean' ? 'num' : 'txt'
      return {
        driver: {
          from: sql`contact_attribute_values d`,
          where: sql`d.key = ${c.key} and ${sql.ref(`d.${column}`)} = ${c.values[0]!}`,
        },
        rest: restOf(conjuncts.filter((_, j) => j !== i)),
      }
    }
  }
  return { driver: { from: null }, rest: filter }
}

interface Source {
  from: RawBuilder<unknown>
  where: Condition
  id: RawBuilder<unknown>
  /** Whether `from` has the contact rows (as `c`). */
  joined: boolean
}

/** FROM and WHERE of the contacts a filter selects, with or without their rows. */
function source(dialect: Dialect, filter: CheckedFilter | null, withRow: boolean): Source {
  const { driver, rest } = plan(filter)
  if (driver.from === null) {
    const id = sql.ref('c.id')
    return {
      from: sql`contacts c`,
      where: rest ? compile(rest, { dialect, id }) : TRUE,
      id,
      joined: true,
    }
  }
  const id = sql.ref('d.contact_id')
  const restCondition = rest ? compile(rest, { dialect, id }) : TRUE
  // CROSS JOIN keeps SQLite's loop order: the index first, the contact row only for the
  // index rows that passed the index-only conditions.
  const join = withRow || (rest !== null && readsContactRow(rest))
  return {
    from: join ? sql`${driver.from} cross join contacts c` : driver.from,
    where: join
      ? sql`${driver.where} and c.id = d.contact_id and ${restCondition}`
      : sql`${driver.where} and ${restCondition}`,
    id,
    joined: join,
  }
}

/** A contact row as `contactColumns` reads it. */
export type ContactRowOut = Record<(typeof contactColumns)[number], unknown>

/** One page of the contacts a filter selects, in id order, after `after`. */
export async function listFiltered(
  db: Executor,
  dialect: Dialect,
  filter: CheckedFilter | null,
  page: { limit: number; after?: string },
): Promise<ContactRowOut[]> {
  const s = source(dialect, filter, false)
  const after = page.after === undefined ? TRUE : sql`${s.id} > ${page.after}`
  if (!s.joined) {
    // The page's ids come from the indexes alone; only its rows are read.
    const { rows } = await sql<ContactRowOut>`select ${selectContact} from contacts c
      where c.id in (select ${s.id} from ${s.from} where ${s.where} and ${after}
        order by ${s.id} limit ${page.limit})
      order by c.id`.execute(db)
    return rows
  }
  const { rows } = await sql<ContactRowOut>`select ${selectContact} from ${s.from}
    where ${s.where} and ${after} order by ${s.id} limit ${page.limit}`.execute(db)
  return rows
}

/** One page of the ids of the contacts a filter selects, in id order, after `after`. */
export async function listFilteredIds(
  db: Executor,
  dialect: Dialect,
  filter: CheckedFilter | null,
  page: { limit: number; after?: string },
): Promise<string[]> {
  const s = source(dialect, filter, false)
  const after = page.after === undefined ? TRUE : sql`${s.id} > ${page.after}`
  const { rows } = await sql<{ id: string }>`select ${s.id} as id from ${s.from}
    where ${s.where} and ${after} order by ${s.id} limit ${page.limit}`.execute(db)
  return rows.map((r) => r.id)
}

/** How many contacts a filter selects. */
export async function countFiltered(
  db: Executor,
  dialect: Dialect,
  filter: CheckedFilter | null,
): Promise<number> {
  const s = source(dialect, filter, false)
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${s.from}
    where ${s.where}`.execute(db)
  return Number(rows[0]?.n ?? 0)
}

/**
 * Contacts matching a full-text search (and a filter), best match first: a match in the
 * name or number ranks above one in the attributes, and those above the notes. A search for
 * a number (one word of digits) matches numbers alike: those come in creation order, which
 * the index yields without ranking every match of a short prefix.
 */
export async function searchContacts(
  db: Executor,
  dialect: Dialect,
  words: string[],
  filter: CheckedFilter | null,
  page: { limit: number; offset: number },
): Promise<Array<ContactRowOut & { rank: number }>> {
  const where = filter ? compile(filter, { dialect, id: sql.ref('c.id') }) : TRUE
  const number = words.length === 1 && /^\d+$/.test(words[0]!)
  if (dialect === 'postgres') {
    const { rows } = await sql<ContactRowOut & { rank: number }>`select ${selectContact},
        ${number ? sql`0` : sql`ts_rank(c.search, q)`} as rank
      from contacts c, to_tsquery('simple', ${tsQuery(words)}) q
      where c.search @@ q and ${where}
      order by ${number ? sql`c.id` : sql`rank desc, c.id`}
      limit ${page.limit} offset ${page.offset}`.execute(db)
    return rows
  }
  const order = number ? sql`contacts_fts.rowid` : sql`contacts_fts.rank, contacts_fts.rowid`
  if (!filter) {
    // The page is cut from the index alone: contact rows are read for it only, not for
    // every match of a common word.
    const { rows } = await sql<ContactRowOut & { rank: number }>`select ${selectContact}, f.rank
      from (select rowid, ${number ? sql`0` : sql`rank`} as rank from contacts_fts
        where contacts_fts match ${ftsQuery(words)}
        order by ${order} limit ${page.limit} offset ${page.offset}) f
      cross join contacts c
      where c.seq = f.rowid
      order by f.rank, f.rowid`.execute(db)
    return rows
  }
  const { rows } = await sql<ContactRowOut & { rank: number }>`select ${selectContact},
      ${number ? sql`0` : sql`contacts_fts.rank`} as rank
    from contacts_fts cross join contacts c
    where contacts_fts match ${ftsQuery(words)} and c.seq = contacts_fts.rowid and ${where}
    order by ${order}
    limit ${page.limit} offset ${page.offset}`.execute(db)
  return rows
}

/** How many contacts a full-text search (and a filter) finds. */
export async function countSearch(
  db: Executor,
  dialect: Dialect,
  words: string[],
  filter: CheckedFilter | null,
): Promise<number> {
  const where = filter ? compile(filter, { dialect, id: sql.ref('c.id') }) : TRUE
  const { rows } =
    dialect === 'postgres'
      ? await sql<{ n: number | string }>`select count(*) as n from contacts c
          where c.search @@ to_tsquery('simple', ${tsQuery(words)}) and ${where}`.execute(db)
      : await sql<{ n: number | string }>`select count(*) as n
          from contacts_fts cross join contacts c
          where contacts_fts match ${ftsQuery(words)} and c.seq = contacts_fts.rowid and ${where}`.execute(
          db,
        )
  return Number(rows[0]?.n ?? 0)
}
