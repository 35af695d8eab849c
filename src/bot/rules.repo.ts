import type { Selectable } from 'kysely'
import { fromJson, nowIso, toJson, type Executor, type RulesTable } from '../platform/db/index.js'
import type { CreateRuleInput, Rule, UpdateRuleInput } from './rules.schemas.js'

function toRule(row: Selectable<RulesTable>): Rule {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    match: fromJson(row.match) as Rule['match'],
    actions: fromJson(row.actions) as Rule['actions'],
    conditions: (fromJson(row.conditions) ?? {}) as Rule['conditions'],
    priority: row.priority,
    enabled: row.enabled === 1,
    cooldownSeconds: row.cooldown_seconds,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function insertRule(db: Executor, id: string, input: CreateRuleInput): Promise<Rule> {
  const now = nowIso()
  const row = await db
    .insertInto('rules')
    .values({
      id,
      account_id: input.accountId,
      name: input.name,
      match: toJson(input.match),
      actions: toJson(input.actions),
      conditions: toJson(input.conditions),
      priority: input.priority,
      enabled: input.enabled ? 1 : 0,
      cooldown_seconds: input.cooldownSeconds,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toRule(row)
}

export async function findRule(db: Executor, id: string): Promise<Rule | undefined> {
  const row = await db.selectFrom('rules').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toRule(row)
}

/** Rules in the order they are tried: highest priority first, then oldest first. */
export async function listRules(
  db: Executor,
  filter: {
    accountId?: string
    enabledOnly?: boolean
    /** Rules after this one in the order they are tried. */
    after?: { priority: number; id: string }
    limit?: number
  } = {},
): Promise<Rule[]> {
  const rows = await db
    .selectFrom('rules')
    .selectAll()
    .$if(filter.accountId !== undefined, (q) =>
      q.where((eb) =>
        eb.or([eb('account_id', '=', filter.accountId!), eb('account_id', 'is', null)]),
      ),
    )
    .$if(filter.enabledOnly === true, (q) => q.where('enabled', '=', 1))
    .$if(filter.after !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb('priority', '<', filter.after!.priority),
          eb.and([eb('priority', '=', filter.after!.priority), eb('id', '>', filter.after!.id)]),
        ]),
      ),
    )
    .$if(filter.limit !== undefined, (q) => q.limit(filter.limit!))
    .orderBy('priority', 'desc')
    .orderBy('id')
    .execute()
  return rows.map(toRule)
}

export async function updateRule(
  db: Executor,
  id: string,
  change: UpdateRuleInput,
): Promise<Rule | undefined> {
  const row = await db
    .updateTable('rules')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.accountId !== undefined ? { account_id: change.accountId } : {}),
      ...(change.match !== undefined ? { match: toJson(change.match) } : {}),
      ...(change.actions !== undefined ? { actions: toJson(change.actions) } : {}),
      ...(change.priority !== undefined ? { priority: change.priority } : {}),
      ...(change.enabled !== undefined ? { enabled: change.enabled ? 1 : 0 } : {}),
      ...(change.conditions !== undefined ? { conditions: toJson(change.conditions) } : {}),
      ...(change.cooldownSeconds !== undefined ? { cooldown_seconds: change.cooldownSeconds } : {}),
      updated_at: nowIso(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row && toRule(row)
}

export async function deleteRule(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('rules').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}
