import type { Selectable } from 'kysely'
import {
  fromJson,
  nowIso,
  toJson,
  type Executor,
  type SegmentsTable,
} from '../platform/db/index.js'
import type { FilterNode } from './filter.schemas.js'
import type { Segment } from './segments.schemas.js'

function toSegment(row: Selectable<SegmentsTable>): Segment {
  return {
    id: row.id,
    name: row.name,
    query: row.query,
    filter: fromJson(row.filter) as Record<string, unknown> | null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function insertSegment(
  db: Executor,
  segment: { id: string; name: string; query: string | null; filter: FilterNode | null },
): Promise<Segment> {
  const now = nowIso()
  const row = await db
    .insertInto('segments')
    .values({
      id: segment.id,
      name: segment.name,
      query: segment.query,
      filter: toJson(segment.filter),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toSegment(row)
}

export async function findSegment(db: Executor, id: string): Promise<Segment | undefined> {
  const row = await db.selectFrom('segments').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toSegment(row)
}

export async function listSegments(
  db: Executor,
  page: { limit: number; after?: string },
): Promise<Segment[]> {
  const rows = await db
    .selectFrom('segments')
    .selectAll()
    .$if(page.after !== undefined, (q) => q.where('id', '>', page.after!))
    .orderBy('id')
    .limit(page.limit)
    .execute()
  return rows.map(toSegment)
}

export async function updateSegment(
  db: Executor,
  id: string,
  change: { name?: string; query?: string | null; filter?: FilterNode | null },
): Promise<Segment | undefined> {
  const row = await db
    .updateTable('segments')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.filter !== undefined
        ? { filter: toJson(change.filter), query: change.query ?? null }
        : {}),
      updated_at: nowIso(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row && toSegment(row)
}

export async function deleteSegment(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('segments').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}
