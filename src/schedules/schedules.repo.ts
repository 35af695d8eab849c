import type { Selectable } from 'kysely'
import {
  fromJson,
  nowIso,
  toJson,
  type Dialect,
  type Executor,
  type ScheduleRunsTable,
  type SchedulesTable,
} from '../platform/db/index.js'
import type {
  MissedPolicy,
  RunStatus,
  Schedule,
  ScheduleRun,
  ScheduleStatus,
  Target,
} from './schedules.schemas.js'
import type { CampaignMessage } from '../campaigns/index.js'

export interface ScheduleRow extends Omit<Schedule, 'target' | 'message'> {
  target: Target
  message: CampaignMessage
}

function toSchedule(row: Selectable<SchedulesTable>): ScheduleRow {
  return {
    id: row.id,
    name: row.name,
    accountId: row.account_id,
    target: fromJson(row.target) as unknown as Target,
    message: fromJson(row.message) as unknown as CampaignMessage,
    kind: row.kind as ScheduleRow['kind'],
    at: row.at,
    cron: row.cron,
    timezone: row.timezone,
    missedPolicy: row.missed_policy as MissedPolicy,
    status: row.status as ScheduleStatus,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    runs: Number(row.runs),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function toRun(row: Selectable<ScheduleRunsTable>): ScheduleRun {
  return {
    id: row.id,
    scheduleId: row.schedule_id,
    scheduledFor: row.scheduled_for,
    status: row.status as RunStatus,
    detail: fromJson(row.detail),
    messageId: row.message_id,
    campaignId: row.campaign_id,
    error: fromJson(row.error),
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  }
}

export async function insertSchedule(
  db: Executor,
  s: Omit<ScheduleRow, 'lastRunAt' | 'runs' | 'createdAt' | 'updatedAt'>,
): Promise<ScheduleRow> {
  const now = nowIso()
  const row = await db
    .insertInto('schedules')
    .values({
      id: s.id,
      name: s.name,
      account_id: s.accountId,
      target: toJson(s.target),
      message: toJson(s.message),
      kind: s.kind,
      cron: s.cron,
      at: s.at,
      timezone: s.timezone,
      missed_policy: s.missedPolicy,
      status: s.status,
      next_run_at: s.nextRunAt,
      created_by: s.createdBy,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toSchedule(row)
}

export async function findSchedule(db: Executor, id: string): Promise<ScheduleRow | undefined> {
  const row = await db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toSchedule(row)
}

export async function listSchedules(
  db: Executor,
  q: { limit: number; before?: string; status?: ScheduleStatus; accountIds?: readonly string[] },
): Promise<ScheduleRow[]> {
  if (q.accountIds?.length === 0) return []
  const rows = await db
    .selectFrom('schedules')
    .selectAll()
    .$if(q.before !== undefined, (b) => b.where('id', '<', q.before!))
    .$if(q.status !== undefined, (b) => b.where('status', '=', q.status!))
    .$if(q.accountIds !== undefined, (b) => b.where('account_id', 'in', [...q.accountIds!]))
    .orderBy('id', 'desc')
    .limit(q.limit)
    .execute()
  return rows.map(toSchedule)
}

export async function updateSchedule(
  db: Executor,
  id: string,
  change: Partial<
    Pick<
      ScheduleRow,
      | 'name'
      | 'target'
      | 'message'
      | 'kind'
      | 'at'
      | 'cron'
      | 'timezone'
      | 'missedPolicy'
      | 'status'
      | 'nextRunAt'
    >
  >,
  onlyIf?: { status: readonly ScheduleStatus[] },
): Promise<ScheduleRow | undefined> {
  const row = await db
    .updateTable('schedules')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.target !== undefined ? { target: toJson(change.target) } : {}),
      ...(change.message !== undefined ? { message: toJson(change.message) } : {}),
      ...(change.kind !== undefined ? { kind: change.kind } : {}),
      ...(change.at !== undefined ? { at: change.at } : {}),
      ...(change.cron !== undefined ? { cron: change.cron } : {}),
      ...(change.timezone !== undefined ? { timezone: change.timezone } : {}),
      ...(change.missedPolicy !== undefined ? { missed_policy: change.missedPolicy } : {}),
      ...(change.status !== undefined ? { status: change.status } : {}),
      ...(change.nextRunAt !== undefined ? { next_run_at: change.nextRunAt } : {}),
      updated_at: nowIso(),
    })
    .where('id', '=', id)
    .$if(onlyIf !== undefined, (b) => b.where('status', 'in', [...onlyIf!.status]))
    .returningAll()
    .executeTakeFirst()
  return row && toSchedule(row)
}

export async function deleteSchedule(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('schedules').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/**
 * Active schedules due by `now`, soonest first, read off the (status, next_run_at) index.
 * On PostgreSQL the rows are locked (skipping those another process holds) until the
 * caller's transaction ends.
 */
export async function dueSchedules(
  db: Executor,
  dialect: Dialect,
  now: string,
  limit: number,
): Promise<ScheduleRow[]> {
  const rows = await db
    .selectFrom('schedules')
    .selectAll()
    .where('status', '=', 'active')
    .where('next_run_at', '<=', now)
    .orderBy('next_run_at')
    .limit(limit)
    .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked())
    .execute()
  return rows.map(toSchedule)
}

/** After a run came due: the next time (null: none; a one-off is then completed). */
export async function advanceSchedule(
  db: Executor,
  id: string,
  due: string,
  next: string | null,
): Promise<void> {
  await db
    .updateTable('schedules')
    .set((eb) => ({
      next_run_at: next,
      last_run_at: due,
      runs: eb('runs', '+', 1),
      updated_at: nowIso(),
      ...(next === null ? { status: 'completed' } : {}),
    }))
    .where('id', '=', id)
    .where('next_run_at', '=', due)
    .execute()
}

/** The active schedules that come due first. */
export async function upcomingSchedules(
  db: Executor,
  before: string,
  limit: number,
  accountIds?: readonly string[],
): Promise<ScheduleRow[]> {
  if (accountIds?.length === 0) return []
  const rows = await db
    .selectFrom('schedules')
    .selectAll()
    .where('status', '=', 'active')
    .where('next_run_at', 'is not', null)
    .where('next_run_at', '<=', before)
    .$if(accountIds !== undefined, (b) => b.where('account_id', 'in', [...accountIds!]))
    .orderBy('next_run_at')
    .limit(limit)
    .execute()
  return rows.map(toSchedule)
}

// ---- runs ----

/** Records a run; undefined when this schedule already has a run for that time. */
export async function insertRun(
  db: Executor,
  run: {
    id: string
    scheduleId: string
    scheduledFor: string
    status: RunStatus
    detail?: Record<string, unknown>
  },
): Promise<string | undefined> {
  const now = nowIso()
  const row = await db
    .insertInto('schedule_runs')
    .values({
      id: run.id,
      schedule_id: run.scheduleId,
      scheduled_for: run.scheduledFor,
      status: run.status,
      detail: run.detail ? toJson(run.detail) : null,
      created_at: now,
      finished_at: run.status === 'pending' ? null : now,
    })
    .onConflict((oc) => oc.columns(['schedule_id', 'scheduled_for']).doNothing())
    .returning('id')
    .executeTakeFirst()
  return row?.id
}

export async function findRun(db: Executor, id: string): Promise<ScheduleRun | undefined> {
  const row = await db
    .selectFrom('schedule_runs')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  return row && toRun(row)
}

/** Settles a pending run; false when it was settled already. */
export async function finishRun(
  db: Executor,
  id: string,
  result: {
    status: Exclude<RunStatus, 'pending'>
    detail?: Record<string, unknown>
    messageId?: string
    campaignId?: string
    error?: { code: string; message: string }
  },
): Promise<boolean> {
  const updated = await db
    .updateTable('schedule_runs')
    .set({
      status: result.status,
      finished_at: nowIso(),
      ...(result.detail ? { detail: toJson(result.detail) } : {}),
      ...(result.messageId ? { message_id: result.messageId } : {}),
      ...(result.campaignId ? { campaign_id: result.campaignId } : {}),
      ...(result.error ? { error: toJson(result.error) } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst()
  return Number(updated.numUpdatedRows) > 0
}

export async function listRuns(
  db: Executor,
  scheduleId: string,
  q: { limit: number; before?: string },
): Promise<ScheduleRun[]> {
  const rows = await db
    .selectFrom('schedule_runs')
    .selectAll()
    .where('schedule_id', '=', scheduleId)
    .$if(q.before !== undefined, (b) => b.where('scheduled_for', '<', q.before!))
    .orderBy('scheduled_for', 'desc')
    .limit(q.limit)
    .execute()
  return rows.map(toRun)
}
