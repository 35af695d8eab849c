import type { AccountsService } from '../accounts/index.js'
import {
  createCampaignBody,
  recipientVars,
  variablesOf,
  type Audience,
  type AudienceSource,
  type CampaignSender,
  type CampaignsService,
  type MessageRenderer,
} from '../campaigns/index.js'
import { normalizePhone } from '../contacts/index.js'
import { transaction, type Db, type Dialect, type Executor } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import { newId } from '../platform/ids.js'
import type { Logger } from '../platform/logging.js'
import type { Job, JobQueue } from '../platform/queue/index.js'
import { parseInstant } from '../platform/zoned-time.js'
import * as repo from './schedules.repo.js'
import type {
  CreateScheduleInput,
  Schedule,
  ScheduleRun,
  ScheduleStatus,
  Target,
  UpdateScheduleInput,
} from './schedules.schemas.js'
import { cronProblem, nextCron, nextCrons, occurrencesBetween } from './timing.js'

declare module '../platform/queue/port.js' {
  interface JobRegistry {
    /** Send one run of a schedule (or start its campaign, for an audience). */
    'schedule.fire': { runId: string }
  }
}

export interface SchedulesDeps {
  db: Db
  dialect: Dialect
  queue: JobQueue
  accounts: AccountsService
  campaigns: CampaignsService
  sender: CampaignSender
  audience: AudienceSource
  renderer: MessageRenderer
  logger: Logger
  /** How often the scheduler looks for due runs; default 250 ms. */
  tickMs?: number
  /** A run this late (Linda was down) is missed, and its schedule's policy applies; default 60 s. */
  missedAfterMs?: number
}

/** Schedules claimed per transaction of a tick. */
const TICK_BATCH = 200
/** A one-off may be set this far in the past (a clock a little behind), and runs at once. */
const PAST_GRACE_MS = 60_000

/**
 * Scheduled messages: one-off or recurring (cron) in a time zone, to a contact, a number or
 * an audience. Each schedule stores its next run; a tick claims the due ones in a
 * transaction (recording the run, moving the schedule on and enqueueing the send together),
 * so a run fires once whatever how often Linda restarts.
 */
export class SchedulesService {
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<unknown> = Promise.resolve()
  private running = false

  constructor(private readonly deps: SchedulesDeps) {}

  // ---- the scheduler ----

  /** Starts ticking. Runs missed while Linda was down are handled by the first tick. */
  start(): void {
    if (this.running) return
    this.running = true
    const loop = () => {
      this.ticking = this.tick()
        .catch((err: unknown) => this.deps.logger.error({ err }, 'scheduler tick failed'))
        .finally(() => {
          if (this.running) {
            this.timer = setTimeout(loop, this.deps.tickMs ?? 250)
            this.timer.unref()
          }
        })
    }
    loop()
  }

  async stop(): Promise<void> {
    this.running = false
    clearTimeout(this.timer)
    await this.ticking
  }

  /** Claims every due run: records it, moves its schedule on, queues its send. Returns how many. */
  async tick(now = Date.now()): Promise<number> {
    const { db, dialect } = this.deps
    const at = new Date(now).toISOString()
    let claimed = 0
    for (;;) {
      const n = await transaction(db, async (trx) => {
        const due = await repo.dueSchedules(trx, dialect, at, TICK_BATCH)
        for (const schedule of due) await this.claim(trx, schedule, now)
        return due.length
      })
      claimed += n
      if (n < TICK_BATCH) return claimed
    }
  }

  private async claim(trx: Executor, s: repo.ScheduleRow, now: number): Promise<void> {
    const dueText = s.nextRunAt!
    const due = new Date(dueText)
    const late = now - due.getTime() > (this.deps.missedAfterMs ?? 60_000)
    let next: Date | null = null
    let missed = 1
    let lastDue = due
    if (s.kind === 'cron' && s.cron) {
      if (late) {
        const between = occurrencesBetween(s.cron, s.timezone, due, new Date(now))
        missed += between.count
        lastDue = between.last ?? due
        next = nextCron(s.cron, s.timezone, new Date(now))
      } else {
        next = nextCron(s.cron, s.timezone, due)
      }
    }
    if (late && s.missedPolicy === 'skip') {
      await repo.insertRun(trx, {
        id: newId(),
        scheduleId: s.id,
        scheduledFor: dueText,
        status: 'missed',
        detail: { missed, from: dueText, to: lastDue.toISOString() },
      })
    } else {
      const runId = await repo.insertRun(trx, {
        id: newId(),
        scheduleId: s.id,
        scheduledFor: lastDue.toISOString(),
        status: 'pending',
        ...(late ? { detail: { missed, from: dueText, to: lastDue.toISOString() } } : {}),
      })
      if (runId) {
        await this.deps.queue.enqueue(
          'schedule.fire',
          { runId },
          { dedupeKey: `schedule-run:${runId}`, runHere: true },
          trx,
        )
      }
    }
    await repo.advanceSchedule(trx, s.id, dueText, next?.toISOString() ?? null)
  }

  /** The `schedule.fire` job: sends one run (or starts its campaign) and records what went. */
  async fire(job: Job<'schedule.fire'>): Promise<void> {
    const { db } = this.deps
    const run = await repo.findRun(db, job.data.runId)
    if (!run || run.status !== 'pending') return
    const s = await repo.findSchedule(db, run.scheduleId)
    if (!s) {
      await repo.finishRun(db, run.id, {
        status: 'skipped',
        error: { code: 'SCHEDULE_DELETED', message: 'The schedule was deleted before it ran' },
      })
      return
    }
    const target = s.target
    if (target.type === 'contact' || target.type === 'phone') {
      await this.sendOne(s, run, target)
      return
    }
    const input = createCampaignBody.parse({
      name: `${s.name} · ${run.scheduledFor}`,
      audience: target,
      message: s.message,
      accounts: [s.accountId],
      timezone: s.timezone,
    })
    const { name: _name, startAt: _startAt, ...spec } = input
    try {
      await this.deps.campaigns.check(spec)
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      await repo.finishRun(db, run.id, {
        status: 'failed',
        error: { code: err.code, message: err.message },
      })
      return
    }
    await transaction(db, async (trx) => {
      const campaignId = await this.deps.campaigns.startIn(trx, input, {
        origin: 'schedule',
        scheduleId: s.id,
      })
      const settled = await repo.finishRun(trx, run.id, {
        status: 'started',
        campaignId,
        detail: { ...run.detail, campaignId, audience: target.type, content: s.message },
      })
      // Another run of this job settled it first: this campaign must not be.
      if (!settled) throw new AlreadySettled()
    }).catch((err: unknown) => {
      if (!(err instanceof AlreadySettled)) throw err
    })
  }

  private async sendOne(
    s: repo.ScheduleRow,
    run: ScheduleRun,
    target: Extract<Target, { type: 'contact' | 'phone' }>,
  ): Promise<void> {
    const { db } = this.deps
    const audience: Audience =
      target.type === 'contact'
        ? { type: 'contacts', contactIds: [target.contactId] }
        : { type: 'list', recipients: [{ phone: target.phone }] }
    let entry
    for await (const page of this.deps.audience.pages(audience, 1)) {
      entry = page.entries[0]
      break
    }
    const fail = (code: string, message: string, status: 'failed' | 'skipped' = 'failed') =>
      repo.finishRun(db, run.id, { status, error: { code, message } })
    if (!entry) return void (await fail('CONTACT_NOT_FOUND', 'The contact no longer exists'))
    if (entry.optedOut) {
      return void (await fail('CONTACT_OPTED_OUT', 'The contact opted out of messages', 'skipped'))
    }
    let to: string
    try {
      to = normalizePhone(entry.phone, 'target.phone')
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      return void (await fail(err.code, err.message))
    }
    const vars = recipientVars(variablesOf(s.message), { ...entry, phone: to }, undefined) ?? {}
    const content = this.deps.renderer.render(s.message, { vars, language: entry.language })
    try {
      const { message } = await this.deps.sender.send(
        { accountId: s.accountId, to, ...content },
        { idempotencyKey: `schedule:${s.id}:${run.scheduledFor}`, origin: 'schedule' },
      )
      await repo.finishRun(db, run.id, {
        status: 'sent',
        messageId: message.id,
        detail: { ...run.detail, to, content },
      })
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      const refused = (err.code as string) === 'CONTACT_OPTED_OUT'
      await fail(err.code, err.message, refused ? 'skipped' : 'failed')
    }
  }

  // ---- CRUD ----

  async create(
    input: CreateScheduleInput,
    options: { createdBy?: string } = {},
  ): Promise<Schedule> {
    const account = await this.account(input.accountId, 'body.accountId')
    const timezone = input.timezone ?? account.settings.timezone
    await this.checkTarget(input.target)
    const timing = this.timing({ at: input.at, cron: input.cron }, timezone)
    const row = await repo.insertSchedule(this.deps.db, {
      id: newId(),
      name: input.name,
      accountId: input.accountId,
      target: input.target,
      message: input.message,
      ...timing,
      timezone,
      missedPolicy: input.missedPolicy,
      status: 'active',
      createdBy: options.createdBy ?? null,
    })
    return row
  }

  async get(id: string): Promise<Schedule> {
    const row = await repo.findSchedule(this.deps.db, id)
    if (!row) throw new AppError('SCHEDULE_NOT_FOUND', `No schedule has the id ${id}`)
    return row
  }

  list(q: {
    limit: number
    before?: string
    status?: ScheduleStatus
    /** Only these accounts' schedules (an agent's); default all. */
    accountIds?: readonly string[]
  }): Promise<Schedule[]> {
    return repo.listSchedules(this.deps.db, q)
  }

  async update(id: string, change: UpdateScheduleInput): Promise<Schedule> {
    const current = await this.get(id)
    if (change.target) await this.checkTarget(change.target)
    const timezone = change.timezone ?? current.timezone
    const retimed =
      change.at !== undefined || change.cron !== undefined || change.timezone !== undefined
    const timing = retimed
      ? this.timing(
          change.at !== undefined || change.cron !== undefined
            ? { at: change.at, cron: change.cron }
            : current.kind === 'cron'
              ? { cron: current.cron! }
              : { at: current.at! },
          timezone,
        )
      : undefined
    const status =
      change.status ?? (current.status === 'completed' && timing ? 'active' : undefined)
    const row = await repo.updateSchedule(this.deps.db, id, {
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.target !== undefined ? { target: change.target } : {}),
      ...(change.message !== undefined ? { message: change.message } : {}),
      ...(change.missedPolicy !== undefined ? { missedPolicy: change.missedPolicy } : {}),
      ...(timing ? { ...timing, timezone } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(status === 'active' && !timing && current.status === 'paused'
        ? { nextRunAt: this.resumedNext(current) }
        : {}),
    })
    if (!row) throw new AppError('SCHEDULE_NOT_FOUND', `No schedule has the id ${id}`)
    return row
  }

  async pause(id: string): Promise<Schedule> {
    const row = await repo.updateSchedule(
      this.deps.db,
      id,
      { status: 'paused' },
      { status: ['active'] },
    )
    if (row) return row
    const current = await this.get(id)
    throw new AppError(
      'SCHEDULE_STATE_CONFLICT',
      `Only an active schedule can pause; this one is ${current.status}`,
    )
  }

  /**
   * Resumes a paused schedule. A recurring one goes on from its next time after now (what
   * came due while paused is not sent); a one-off whose time passed meanwhile falls to its
   * missed-run policy.
   */
  async resume(id: string): Promise<Schedule> {
    const current = await this.get(id)
    const row =
      current.status === 'paused'
        ? await repo.updateSchedule(
            this.deps.db,
            id,
            { status: 'active', nextRunAt: this.resumedNext(current) },
            { status: ['paused'] },
          )
        : undefined
    if (row) return row
    throw new AppError(
      'SCHEDULE_STATE_CONFLICT',
      `Only a paused schedule can resume; this one is ${current.status}`,
    )
  }

  async remove(id: string): Promise<void> {
    if (!(await repo.deleteSchedule(this.deps.db, id))) {
      throw new AppError('SCHEDULE_NOT_FOUND', `No schedule has the id ${id}`)
    }
  }

  async runs(id: string, q: { limit: number; before?: string }): Promise<ScheduleRun[]> {
    await this.get(id)
    return repo.listRuns(this.deps.db, id, q)
  }

  /** The next runs of active schedules within `hours`, soonest first. */
  async upcoming(q: {
    limit: number
    hours: number
    accountIds?: readonly string[]
  }): Promise<Array<{ scheduleId: string; name: string; accountId: string; at: string }>> {
    const now = new Date()
    const horizon = new Date(now.getTime() + q.hours * 3600 * 1000)
    // The first `limit` runs all belong to the `limit` schedules that come due first.
    const rows = await repo.upcomingSchedules(
      this.deps.db,
      horizon.toISOString(),
      q.limit,
      q.accountIds,
    )
    const runs = rows.flatMap((s) => {
      const first = new Date(s.nextRunAt!)
      const times =
        s.kind === 'cron' && s.cron
          ? [first, ...nextCrons(s.cron, s.timezone, first, q.limit - 1)]
          : [first]
      return times
        .filter((t) => t <= horizon)
        .map((t) => ({
          scheduleId: s.id,
          name: s.name,
          accountId: s.accountId,
          at: t.toISOString(),
        }))
    })
    return runs.sort((a, b) => a.at.localeCompare(b.at)).slice(0, q.limit)
  }

  // ---- helpers ----

  private resumedNext(s: Schedule): string | null {
    if (s.kind === 'once') return s.at
    return nextCron(s.cron!, s.timezone, new Date())?.toISOString() ?? null
  }

  /** The kind, time or expression, and first run of a schedule; refuses what never runs. */
  private timing(
    when: { at?: string; cron?: string },
    timezone: string,
  ): { kind: 'once' | 'cron'; at: string | null; cron: string | null; nextRunAt: string } {
    if (when.cron !== undefined) {
      const problem = cronProblem(when.cron, timezone)
      if (problem) {
        throw new AppError('VALIDATION_FAILED', `The cron expression is not valid: ${problem}`, [
          { path: 'body.cron', message: problem },
        ])
      }
      const next = nextCron(when.cron, timezone, new Date())!
      return { kind: 'cron', at: null, cron: when.cron, nextRunAt: next.toISOString() }
    }
    const at = parseInstant(when.at ?? '', timezone)
    if (!at) {
      throw new AppError('VALIDATION_FAILED', `The time "${when.at}" is not a date-time`, [
        {
          path: 'body.at',
          message: 'must be ISO 8601 with an offset, or a local date-time such as 2026-12-01T09:00',
        },
      ])
    }
    if (at.getTime() < Date.now() - PAST_GRACE_MS) {
      throw new AppError('VALIDATION_FAILED', `The time ${at.toISOString()} has passed`, [
        { path: 'body.at', message: 'must be in the future' },
      ])
    }
    return { kind: 'once', at: at.toISOString(), cron: null, nextRunAt: at.toISOString() }
  }

  private async account(id: string, path: string) {
    try {
      return this.deps.accounts.live(id) ?? (await this.deps.accounts.get(id))
    } catch (err) {
      if (err instanceof AppError && err.code === 'ACCOUNT_NOT_FOUND') {
        throw new AppError('ACCOUNT_NOT_FOUND', err.message, [
          { path, message: 'names no account' },
        ])
      }
      throw err
    }
  }

  private async checkTarget(target: Target): Promise<void> {
    if (target.type === 'phone') {
      normalizePhone(target.phone, 'body.target.phone')
      return
    }
    if (target.type === 'contact') {
      for await (const page of this.deps.audience.pages(
        { type: 'contacts', contactIds: [target.contactId] },
        1,
      )) {
        if (page.missing > 0) {
          throw new AppError('VALIDATION_FAILED', `No contact has the id ${target.contactId}`, [
            { path: 'body.target.contactId', message: 'names no contact' },
          ])
        }
      }
      return
    }
    if (!this.deps.audience.supports(target.type)) {
      throw new AppError(
        'AUDIENCE_NOT_SUPPORTED',
        `This version cannot resolve a ${target.type} audience; use all, contacts, list or tags`,
        [{ path: 'body.target.type', message: `${target.type} is not available yet` }],
      )
    }
  }
}

class AlreadySettled extends Error {}
