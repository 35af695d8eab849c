import type { Selectable } from 'kysely'
import type { OutboundContent } from '../../transports/index.js'
import {
  fromJson,
  nowIso,
  toJson,
  type Executor,
  type FlowSessionsTable,
  type FlowsTable,
} from '../../platform/db/index.js'
import type { EndReason } from './flows.engine.js'
import type { Flow, FlowDefinition } from './flows.schemas.js'
import type { ContactView } from './flows.values.js'

// ---- flows and their versions ----

function toFlow(row: Selectable<FlowsTable>): Flow {
  const definition = fromJson(row.definition) as unknown as FlowDefinition
  return {
    ...definition,
    id: row.id,
    name: row.name,
    accountId: row.account_id,
    enabled: row.enabled === 1,
    version: row.version,
    source: 'api',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function insertFlow(
  db: Executor,
  flow: { id: string; name: string; accountId: string | null; enabled: boolean },
  definition: FlowDefinition,
): Promise<Flow> {
  const now = nowIso()
  const row = await db
    .insertInto('flows')
    .values({
      id: flow.id,
      name: flow.name,
      account_id: flow.accountId,
      enabled: flow.enabled ? 1 : 0,
      version: 1,
      definition: toJson(definition),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  await insertFlowVersion(db, flow.id, 1, definition)
  return toFlow(row)
}

export async function insertFlowVersion(
  db: Executor,
  flowId: string,
  version: number,
  definition: FlowDefinition,
): Promise<void> {
  await db
    .insertInto('flow_versions')
    .values({ flow_id: flowId, version, definition: toJson(definition), created_at: nowIso() })
    .execute()
}

export async function findFlow(db: Executor, id: string): Promise<Flow | undefined> {
  const row = await db.selectFrom('flows').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toFlow(row)
}

/** Flows in id order (creation order), after the `after` id. */
export async function listFlows(
  db: Executor,
  page: { limit?: number; after?: string; enabledOnly?: boolean } = {},
): Promise<Flow[]> {
  const rows = await db
    .selectFrom('flows')
    .selectAll()
    .$if(page.after !== undefined, (q) => q.where('id', '>', page.after!))
    .$if(page.enabledOnly === true, (q) => q.where('enabled', '=', 1))
    .orderBy('id')
    .$if(page.limit !== undefined, (q) => q.limit(page.limit!))
    .execute()
  return rows.map(toFlow)
}

/** The flow as it was at `version`: its identity now, its steps then. */
export async function findFlowVersion(
  db: Executor,
  id: string,
  version: number,
): Promise<{ flow: Flow; createdAt: string } | undefined> {
  const row = await db
    .selectFrom('flow_versions')
    .innerJoin('flows', 'flows.id', 'flow_versions.flow_id')
    .selectAll('flows')
    .select([
      'flow_versions.definition as version_definition',
      'flow_versions.created_at as version_created_at',
    ])
    .where('flow_versions.flow_id', '=', id)
    .where('flow_versions.version', '=', version)
    .executeTakeFirst()
  if (!row) return undefined
  const { version_definition, version_created_at, ...flowRow } = row
  return {
    flow: { ...toFlow({ ...flowRow, definition: version_definition, version }) },
    createdAt: version_created_at,
  }
}

export async function updateFlow(
  db: Executor,
  id: string,
  change: {
    name?: string
    accountId?: string | null
    enabled?: boolean
    /** A new version's definition. */
    definition?: FlowDefinition
    version?: number
  },
): Promise<Flow | undefined> {
  const row = await db
    .updateTable('flows')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.accountId !== undefined ? { account_id: change.accountId } : {}),
      ...(change.enabled !== undefined ? { enabled: change.enabled ? 1 : 0 } : {}),
      ...(change.definition !== undefined ? { definition: toJson(change.definition) } : {}),
      ...(change.version !== undefined ? { version: change.version } : {}),
      updated_at: nowIso(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row && toFlow(row)
}

/** Deletes a flow and its versions; returns whether there was one. */
export async function deleteFlow(db: Executor, id: string): Promise<boolean> {
  await db.deleteFrom('flow_versions').where('flow_id', '=', id).execute()
  const result = await db.deleteFrom('flows').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

// ---- sessions: a conversation's place in a flow ----

export interface FlowSession {
  conversationId: string
  accountId: string
  contactId: string
  phone: string
  flowId: string
  flowVersion: number
  stepId: string
  vars: Record<string, unknown>
  retries: number
  status: 'active' | 'ended'
  endReason: EndReason | null
  /** Raised by every save. */
  turn: number
  reminded: boolean
  /** The inbound message the last save answered: a retried job finds it handled. */
  lastMessageId: string | null
  /** The messages the last save sends once it has committed, with their idempotency keys. */
  outbox: Array<{ key: string; content: OutboundContent }>
  startedAt: string
  updatedAt: string
  /** When an active session waiting for an answer expires. */
  expiresAt: string | null
}

function toSession(row: Selectable<FlowSessionsTable>): FlowSession {
  return {
    conversationId: row.conversation_id,
    accountId: row.account_id,
    contactId: row.contact_id,
    phone: row.phone,
    flowId: row.flow_id,
    flowVersion: row.flow_version,
    stepId: row.step_id,
    vars: fromJson(row.vars) ?? {},
    retries: row.retries,
    status: row.status,
    endReason: row.end_reason as EndReason | null,
    turn: row.turn,
    reminded: row.reminded === 1,
    lastMessageId: row.last_message_id,
    outbox: (fromJson(row.outbox) ?? []) as FlowSession['outbox'],
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  }
}

function toRow(s: FlowSession) {
  return {
    conversation_id: s.conversationId,
    account_id: s.accountId,
    contact_id: s.contactId,
    phone: s.phone,
    flow_id: s.flowId,
    flow_version: s.flowVersion,
    step_id: s.stepId,
    vars: toJson(s.vars),
    retries: s.retries,
    status: s.status,
    end_reason: s.endReason,
    turn: s.turn,
    reminded: s.reminded ? 1 : 0,
    last_message_id: s.lastMessageId,
    outbox: toJson(s.outbox),
    started_at: s.startedAt,
    updated_at: s.updatedAt,
    expires_at: s.expiresAt,
  }
}

export async function findSession(
  db: Executor,
  conversationId: string,
): Promise<FlowSession | undefined> {
  const row = await db
    .selectFrom('flow_sessions')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .executeTakeFirst()
  return row && toSession(row)
}

/**
 * Writes a session: in place of the conversation's previous one when `expectedTurn` is not
 * given, else only when the stored one is still at that turn. Returns whether it wrote.
 */
export async function saveSession(
  db: Executor,
  session: FlowSession,
  expectedTurn?: number,
): Promise<boolean> {
  const row = toRow(session)
  if (expectedTurn === undefined) {
    const { conversation_id: _key, ...rest } = row
    await db
      .insertInto('flow_sessions')
      .values(row)
      .onConflict((oc) => oc.column('conversation_id').doUpdateSet(rest))
      .execute()
    return true
  }
  const { conversation_id: _key, started_at: _started, ...rest } = row
  const result = await db
    .updateTable('flow_sessions')
    .set(rest)
    .where('conversation_id', '=', session.conversationId)
    .where('turn', '=', expectedTurn)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Ends every active session of a flow (it was deleted). */
export async function endSessionsOfFlow(
  db: Executor,
  flowId: string,
  reason: EndReason,
): Promise<number> {
  const result = await db
    .updateTable('flow_sessions')
    .set((eb) => ({
      status: 'ended',
      end_reason: reason,
      turn: eb('turn', '+', 1),
      expires_at: null,
      outbox: '[]',
      updated_at: nowIso(),
    }))
    .where('flow_id', '=', flowId)
    .where('status', '=', 'active')
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

// ---- what flows read and change on contacts and conversations ----
// (The contacts and conversations tables belong to lower modules; these are the flow
// steps' own reads and writes of them.)

export async function findContactView(
  db: Executor,
  contactId: string,
): Promise<ContactView | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select(['id', 'phone', 'name', 'language', 'tags', 'attributes'])
    .where('id', '=', contactId)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    id: row.id,
    phone: row.phone,
    name: row.name,
    language: row.language,
    tags: fromJson(row.tags) ?? [],
    attributes: fromJson(row.attributes) ?? {},
  }
}

/** Sets (null: removes) attributes and adds and removes tags of a contact. */
export async function changeContact(
  db: Executor,
  contactId: string,
  change: { attributes: Record<string, unknown>; addTags: string[]; removeTags: string[] },
): Promise<void> {
  const row = await db
    .selectFrom('contacts')
    .select(['tags', 'attributes'])
    .where('id', '=', contactId)
    .executeTakeFirst()
  if (!row) return
  const attributes = { ...(fromJson(row.attributes) ?? {}) }
  for (const [name, value] of Object.entries(change.attributes)) {
    if (value === null) delete attributes[name]
    else attributes[name] = value
  }
  const tags = (fromJson(row.tags) ?? []).filter((t) => !change.removeTags.includes(t))
  for (const tag of change.addTags) if (!tags.includes(tag)) tags.push(tag)
  await db
    .updateTable('contacts')
    .set({ attributes: toJson(attributes), tags: toJson(tags), updated_at: nowIso() })
    .where('id', '=', contactId)
    .execute()
}

/** A person takes the conversation over: the bot stays quiet on it. */
export async function pauseBot(db: Executor, conversationId: string): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ bot_paused: 1, updated_at: nowIso() })
    .where('id', '=', conversationId)
    .execute()
}

/** Whether the bot may still write on its own in a conversation: not paused, not opted out. */
export async function mayRemind(db: Executor, conversationId: string): Promise<boolean> {
  const row = await db
    .selectFrom('conversations')
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .select(['conversations.bot_paused', 'contacts.opted_out'])
    .where('conversations.id', '=', conversationId)
    .executeTakeFirst()
  return row !== undefined && row.bot_paused !== 1 && row.opted_out !== 1
}
