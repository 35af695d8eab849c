import type { Selectable } from 'kysely'
import { nowIso, type Executor, type MediaTable } from '../platform/db/index.js'
import { newId } from '../platform/ids.js'
import type { Media } from './media.schemas.js'

function toMedia(row: Selectable<MediaTable>): Media {
  return {
    id: row.id,
    accountId: row.account_id,
    sha256: row.sha256,
    mimeType: row.mime,
    size: Number(row.size),
    filename: row.filename,
    createdAt: row.created_at,
  }
}

/** Records media of an account; the same content for the same account is one row. */
export async function insertMedia(
  db: Executor,
  m: { accountId: string; sha256: string; mime: string; size: number; filename: string | null },
): Promise<Media> {
  await db
    .insertInto('media')
    .values({
      id: newId(),
      account_id: m.accountId,
      sha256: m.sha256,
      mime: m.mime,
      size: m.size,
      filename: m.filename,
      created_at: nowIso(),
    })
    .onConflict((oc) => oc.columns(['account_id', 'sha256']).doNothing())
    .execute()
  const row = await db
    .selectFrom('media')
    .selectAll()
    .where('account_id', '=', m.accountId)
    .where('sha256', '=', m.sha256)
    .executeTakeFirstOrThrow()
  return toMedia(row)
}

export async function findMedia(db: Executor, id: string): Promise<Media | undefined> {
  const row = await db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toMedia(row)
}
