// The sender's SQL: each account's sending state, the warm-up counts, the API's
// Idempotency-Keys, retries, and marking answered messages read.
import type { Selectable } from 'kysely'
import { nowIso, prepared, type AccountSendingTable, type Executor } from '../platform/db/index.js'

export type SendingRow = Selectable<AccountSendingTable>

export async function findSendingState(
  db: Executor,
  accountId: string,
): Promise<SendingRow | undefined> {
  return db
    .selectFrom('account_sending')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst()
}

/** Writes the account's sending state (all of it: the sender holds the whole of it). */
export async function saveSendingState(
  db: Executor,
  state: Omit<SendingRow, 'updated_at'>,
): Promise<void> {
  const { account_id: _id, ...rest } = state
  const row = { ...state, updated_at: nowIso() }
  await db
    .insertInto('account_sending')
    .values(row)
    .onConflict((oc) =>
      oc.column('account_id').doUpdateSet({ ...rest, updated_at: row.updated_at }),
    )
    .execute()
}

/**
 * Counts one new conversation of the account on `day` if fewer than `cap` were counted:
 * returns whether it was (in one statement, so concurrent senders never pass the cap).
 */
export async function countNewConversation(
  db: Executor,
  accountId: string,
  day: string,
  cap: number,
): Promise<boolean> {
  if (cap <= 0) return false
  const row = await db
    .insertInto('account_daily_sends')
    .values({ account_id: accountId, day, new_conversations: 1 })
    .onConflict((oc) =>
      oc
        .columns(['account_id', 'day'])
        .doUpdateSet((eb) => ({
          new_conversations: eb('account_daily_sends.new_conversations', '+', 1),
        }))
        .where('account_daily_sends.new_conversations', '<', cap),
    )
    .returning('new_conversations')
    .executeTakeFirst()
  return row !== undefined
}

/** Gives back a count taken for a send that did not go. */
export async function uncountNewConversation(
  db: Executor,
  accountId: string,
  day: string,
): Promise<void> {
  await db
    .updateTable('account_daily_sends')
    .set((eb) => ({ new_conversations: eb('new_conversations', '-', 1) }))
    .where('account_id', '=', accountId)
    .where('day', '=', day)
    .where('new_conversations', '>', 0)
    .execute()
}

export async function newConversationsOn(
  db: Executor,
  accountId: string,
  day: string,
): Promise<number> {
  const row = await db
    .selectFrom('account_daily_sends')
    .select('new_conversations')
    .where('account_id', '=', accountId)
    .where('day', '=', day)
    .executeTakeFirst()
  return row ? Number(row.new_conversations) : 0
}

const talkedQuery = prepared((db, p: { conversationId: string; messageId: string }) =>
  db
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', p.conversationId)
    .where('id', '!=', p.messageId)
    .where((eb) =>
      eb.or([
        eb('direction', '=', 'in'),
        eb('status', 'in', ['sending', 'sent', 'delivered', 'read', 'uncertain']),
      ]),
    )
    .limit(1),
)

/**
 * Whether this message opens the conversation: the contact never wrote in it, and nothing
 * was sent (or may have been) before it.
 */
export async function opensConversation(
  db: Executor,
  conversationId: string,
  messageId: string,
): Promise<boolean> {
  const { rows } = await talkedQuery(db, { conversationId, messageId })
  return rows.length === 0
}

const unreadQuery = prepared((db, p: { conversationId: string; upTo: string }) =>
  db
    .selectFrom('messages')
    .select(['id', 'external_id'])
    .where('conversation_id', '=', p.conversationId)
    .where('direction', '=', 'in')
    .where('status', '=', 'received')
    .where('id', '<=', p.upTo)
    .orderBy('id')
    .limit(100),
)

/** The conversation's inbound messages not yet marked read, up to and with `upTo`. */
export async function unreadInbound(
  db: Executor,
  conversationId: string,
  upTo: string,
): Promise<Array<{ id: string; externalId: string }>> {
  const { rows } = await unreadQuery(db, { conversationId, upTo })
  return rows.flatMap((r) => (r.external_id ? [{ id: r.id, externalId: r.external_id }] : []))
}

/** Marks inbound messages read (the account's answer went out and the provider was told). */
export async function markInboundRead(db: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  const now = nowIso()
  await db
    .updateTable('messages')
    .set({ status: 'read', read_at: now, updated_at: now })
    .where('id', 'in', ids)
    .where('status', '=', 'received')
    .execute()
}

// ---- Idempotency-Keys of the API ----

export interface RequestKey {
  requestHash: string
  messageId: string
  expiresAt: string
}

export async function findRequestKey(
  db: Executor,
  scope: string,
  key: string,
): Promise<RequestKey | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'message_id', 'expires_at'])
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst()
  return (
    row && { requestHash: row.request_hash, messageId: row.message_id, expiresAt: row.expires_at }
  )
}

/**
 * Keeps the key for the message. Returns false when a live key of the same name is there
 * already (a concurrent request won): the caller rolls back and answers with that one.
 */
export async function saveRequestKey(
  db: Executor,
  entry: { scope: string; key: string; requestHash: string; messageId: string; ttlMs: number },
): Promise<boolean> {
  const now = new Date()
  const row = await db
    .insertInto('idempotency_keys')
    .values({
      scope: entry.scope,
      key: entry.key,
      request_hash: entry.requestHash,
      message_id: entry.messageId,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + entry.ttlMs).toISOString(),
    })
    .onConflict((oc) =>
      oc
        .columns(['scope', 'key'])
        .doUpdateSet((eb) => ({
          request_hash: eb.ref('excluded.request_hash'),
          message_id: eb.ref('excluded.message_id'),
          created_at: eb.ref('excluded.created_at'),
          expires_at: eb.ref('excluded.expires_at'),
        }))
        // Only an expired key (or one whose message was purged) is taken over.
        .where((eb) =>
          eb.or([
            eb('idempotency_keys.expires_at', '<=', now.toISOString()),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('messages')
                  .select('messages.id')
                  .whereRef('messages.id', '=', 'idempotency_keys.message_id'),
              ),
            ),
          ]),
        ),
    )
    .returning('key')
    .executeTakeFirst()
  return row !== undefined
}

/** Deletes keys past their time; returns how many. */
export async function purgeRequestKeys(db: Executor): Promise<number> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where('expires_at', '<=', nowIso())
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
