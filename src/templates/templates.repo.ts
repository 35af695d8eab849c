import type { Selectable } from 'kysely'
import {
  fromJson,
  nowIso,
  toJson,
  type Executor,
  type TemplatesTable,
} from '../platform/db/index.js'
import type { RenderContact } from './templates.render.js'
import type { Template, TemplateCategory, TemplateDefinition } from './templates.schemas.js'

function toTemplate(row: Selectable<TemplatesTable>): Template {
  return {
    id: row.id,
    name: row.name,
    category: row.category as TemplateCategory,
    description: row.description,
    variables: fromJson(row.variables) as unknown as Template['variables'],
    variants: fromJson(row.variants) as unknown as Template['variants'],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Whether `err` is the database refusing a duplicate in a unique index. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505'
}

export async function insertTemplate(
  db: Executor,
  id: string,
  def: TemplateDefinition,
): Promise<Template> {
  const now = nowIso()
  const row = await db
    .insertInto('templates')
    .values({
      id,
      name: def.name,
      category: def.category,
      description: def.description,
      variables: toJson(def.variables),
      variants: toJson(def.variants),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toTemplate(row)
}

export async function findTemplate(db: Executor, id: string): Promise<Template | undefined> {
  const row = await db.selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toTemplate(row)
}

export async function findTemplateByName(
  db: Executor,
  name: string,
): Promise<Template | undefined> {
  const row = await db
    .selectFrom('templates')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst()
  return row && toTemplate(row)
}

/** Templates in id order (oldest first), after `after`. */
export async function listTemplates(
  db: Executor,
  filter: { category?: TemplateCategory; after?: string; limit: number },
): Promise<Template[]> {
  const rows = await db
    .selectFrom('templates')
    .selectAll()
    .$if(filter.category !== undefined, (q) => q.where('category', '=', filter.category!))
    .$if(filter.after !== undefined, (q) => q.where('id', '>', filter.after!))
    .orderBy('id')
    .limit(filter.limit)
    .execute()
  return rows.map(toTemplate)
}

export async function updateTemplate(
  db: Executor,
  id: string,
  def: TemplateDefinition,
): Promise<Template | undefined> {
  const row = await db
    .updateTable('templates')
    .set({
      name: def.name,
      category: def.category,
      description: def.description,
      variables: toJson(def.variables),
      variants: toJson(def.variants),
      updated_at: nowIso(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row && toTemplate(row)
}

export async function deleteTemplate(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('templates').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/** What a render takes of a contact: its name, phone, language and attributes. */
export async function findRenderContact(
  db: Executor,
  id: string,
): Promise<RenderContact | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select(['name', 'phone', 'language', 'attributes'])
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    name: row.name,
    phone: row.phone,
    language: row.language,
    attributes: fromJson(row.attributes) ?? {},
  }
}
