import { randomUUID } from 'node:crypto'
import type { Account, AccountsService } from '../accounts/index.js'
import { normalizePhone } from '../contacts/index.js'
import type { Message } from '../messages/index.js'
import { groupWrite, nowIso, transaction, type Db, type Executor } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import type { EventBus } from '../platform/events/index.js'
import { newId } from '../platform/ids.js'
import type { Logger } from '../platform/logging.js'
import { DelayError, type Job, type JobQueue } from '../platform/queue/index.js'
import { sleep } from '../platform/sleep.js'
import { isTimeZone, parseInstant } from '../platform/zoned-time.js'
import type { TransportCapabilities, TransportKind } from '../transports/index.js'
import type { AudienceEntry, AudienceSource } from './audience.js'
import * as audienceRepo from './audience.repo.js'
import * as repo from './campaigns.repo.js'
import {
  recipientStates,
  type Campaign,
  type CampaignProgress,
  type CampaignSpec,
  type CampaignStatus,
  type CreateCampaignInput,
  type DryRun,
  type ExclusionReason,
  type Recipient,
  type RecipientState,
} from './campaigns.schemas.js'
import { recipientVars, variablesOf, type MessageRenderer, type RenderedContent } from './render.js'
import { accountChooser } from './spread.js'
import { Pacer, quietUntil } from './throttle.js'

declare module '../platform/queue/port.js' {
  interface JobRegistry {
    /** Store a campaign's recipients (its audience resolved), then start dispatching. */
    'campaign.build': { campaignId: string; token: string }
    /** Hand a running campaign's due recipients to the message pipeline, a slice at a time. */
    'campaign.dispatch': { campaignId: string }
  }
}

/** What `campaign.progress` carries. */
export interface CampaignProgressEvent {
  campaignId: string
  name: string
  status: CampaignStatus
  statusReason: string | null
  progress: CampaignProgress
}

declare module '../platform/events/port.js' {
  interface EventRegistry {
    'campaign.progress': CampaignProgressEvent
  }
}

export type SendOrigin = 'campaign' | 'schedule'

/** One send as campaigns and schedules make it. */
export type CampaignSendInput = { accountId: string; to: string } & RenderedContent

/**
 * The message pipeline as campaigns use it (`messages.send`): one message per idempotency
 * key, refused for contacts who opted out when the origin is a campaign or a schedule.
 */
export interface CampaignSender {
  send(
    input: CampaignSendInput,
    options: { idempotencyKey: string; origin: SendOrigin },
  ): Promise<{ message: Pick<Message, 'id' | 'contactId' | 'status'>; duplicate: boolean }>
}

export interface CampaignsDeps {
  db: Db
  queue: JobQueue
  events: EventBus
  accounts: AccountsService
  sender: CampaignSender
  audience: AudienceSource
  renderer: MessageRenderer
  logger: Logger
  /** What each transport kind can do, for accounts not running (for the 24-hour window). */
  capabilities: Partial<Record<TransportKind, TransportCapabilities>>
  /** How long one dispatch job runs before it hands over to the next; default 20 s. */
  sliceMs?: number
  /** How often progress is published while a campaign moves; default 500 ms. */
  progressEveryMs?: number
}

/** Audience entries read (and recipients written) at a time while building. */
const BUILD_PAGE = 2000
/** Recipients handed to the pipeline at once when nothing throttles them. */
const DISPATCH_BATCH = 256
/**
 * Recipients handed to the pipeline and not yet sent, at most, per campaign: the dispatcher
 * waits for the sender rather than burying it (and every other send) under a backlog.
 */
const DISPATCH_WINDOW = 1000
/** Recipients booked at once when throttled. */
const THROTTLED_BATCH = 32
/** A contact's message counts as replied to when they write within this time of it. */
const REPLY_WINDOW_MS = 7 * 24 * 3600 * 1000
/** The 24-hour customer-service window of accounts that need templates. */
const SERVICE_WINDOW_MS = 24 * 3600 * 1000
/** Sends per second assumed for an estimate when neither throttle nor account limits them. */
const NOMINAL_RATE = 1000
/** How often running campaigns are checked for a live dispatcher. */
const SWEEP_MS = 5000
/** E.164 as Linda stores it: a stored contact's number needs no parsing. */
const E164 = /^\+[1-9]\d{6,14}$/

type Outcome =
  | { seq: number; kind: 'queued'; messageId: string; contactId: string }
  | { seq: number; kind: 'skipped' | 'failed'; reason: string }

interface BuildContext {
  spec: CampaignSpec
  accounts: Map<string, Account>
  choose: (lastAccount?: string) => string
  wanted: string[]
  /** Accounts that only send templates outside the 24-hour window. */
  windowed: Set<string>
  now: number
}

interface Classified {
  excluded?: ExclusionReason
  recipient?: Omit<repo.NewRecipient, 'seq'>
}

/**
 * Campaigns: an audience, a message in each contact's language, one or more accounts and
 * a pace. Starting one stores its recipients (the audience as it is then); durable jobs
 * then hand them to the message pipeline with the idempotency key
 * `campaign:{id}:{recipient}`, so a restart at any moment neither skips nor repeats one.
 */
export class CampaignsService {
  private readonly pacers = new Map<string, Pacer>()
  private readonly progressTimers = new Map<string, NodeJS.Timeout>()
  private readonly receipts = new Map<
    string,
    { items: Array<{ id: string; at: string }>; reason?: string }
  >()
  private readonly replies: Array<{ contactId: string; accountId: string; at: string }> = []
  private flushTimer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  private sweeper: NodeJS.Timeout | undefined
  private unsubscribe: Array<() => void> = []
  private stopped = false
  /** Aborts running dispatchers when Linda stops, so that they hand back their jobs at once. */
  private halting = new AbortController()

  constructor(private readonly deps: CampaignsDeps) {}

  // ---- lifecycle ----

  /** Follows receipts and replies, catches up on those missed while stopped, and sweeps. */
  async attach(): Promise<void> {
    this.stopped = false
    this.halting = new AbortController()
    const { events } = this.deps
    this.unsubscribe = [
      events.subscribe('message.status', (e) => this.onStatus(e.data)),
      events.subscribe('message.received', (e) => this.onReceived(e.data)),
    ]
    for (const c of await repo.campaignIdsIn(this.deps.db, ['running', 'paused', 'completed'])) {
      await this.catchUp(c.id)
    }
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS)
    this.sweeper.unref()
  }

  /** Makes running dispatchers put their jobs back (before the queue stops). */
  halt(): void {
    this.halting.abort(new Error('Linda is stopping'))
  }

  /** Stops following receipts; what was gathered is written first. */
  async detach(): Promise<void> {
    this.stopped = true
    for (const u of this.unsubscribe) u()
    this.unsubscribe = []
    clearInterval(this.sweeper)
    clearTimeout(this.flushTimer)
    for (const t of this.progressTimers.values()) clearTimeout(t)
    this.progressTimers.clear()
    await this.flush()
  }

  // ---- create, read ----

  async create(input: CreateCampaignInput): Promise<Campaign> {
    const { name: _name, startAt: _startAt, ...spec } = input
    await this.check(spec)
    const id = await transaction(this.deps.db, (trx) => this.insert(trx, input))
    return this.get(id)
  }

  /**
   * Creates a campaign and starts it, in the caller's transaction (a schedule's run): its
   * build job commits with it. Returns its id. Check the input with `check` first (outside
   * the transaction).
   */
  startIn(
    trx: Executor,
    input: CreateCampaignInput,
    from: { origin: SendOrigin; scheduleId: string },
  ): Promise<string> {
    return this.insert(trx, input, { ...from, startNow: true })
  }

  private async insert(
    trx: Executor,
    input: CreateCampaignInput,
    options: { origin?: SendOrigin; scheduleId?: string; startNow?: boolean } = {},
  ): Promise<string> {
    const { name, startAt: startText, ...spec } = input
    const startAt = startText === undefined ? null : this.startTime(startText, spec.timezone)
    const id = newId()
    const token = randomUUID()
    const scheduled = startAt !== null && !options.startNow
    const status: CampaignStatus = options.startNow ? 'building' : scheduled ? 'scheduled' : 'draft'
    await repo.insertCampaign(trx, {
      id,
      name,
      status,
      spec,
      origin: options.origin ?? 'campaign',
      scheduleId: options.scheduleId ?? null,
      startAt: startAt?.toISOString() ?? null,
      statusReason: status === 'draft' ? null : token,
    })
    if (status !== 'draft') {
      await this.deps.queue.enqueue(
        'campaign.build',
        { campaignId: id, token },
        { runAt: scheduled ? startAt : undefined, dedupeKey: `campaign:${id}:build:${token}` },
        trx,
      )
    }
    return id
  }

  async get(id: string): Promise<Campaign> {
    return this.present(await this.row(id))
  }

  async list(q: {
    limit: number
    before?: string
    status?: CampaignStatus
    origin?: SendOrigin
    scheduleId?: string
  }): Promise<Campaign[]> {
    const rows = await repo.listCampaigns(this.deps.db, q)
    return Promise.all(rows.map((r) => this.present(r)))
  }

  async recipients(
    id: string,
    q: { after?: number; limit: number; state?: RecipientState },
  ): Promise<Recipient[]> {
    await this.row(id)
    return (await repo.listRecipients(this.deps.db, id, q)).map(toRecipient)
  }

  /** Every recipient in id order, a page at a time (for the CSV report). */
  async *allRecipients(id: string): AsyncIterable<Recipient[]> {
    await this.row(id)
    let after = 0
    for (;;) {
      const rows = await repo.listRecipients(this.deps.db, id, { after, limit: 1000 })
      if (rows.length === 0) return
      yield rows.map(toRecipient)
      after = Number(rows[rows.length - 1]!.seq)
    }
  }

  // ---- dry run ----

  /** What a campaign would do now: who it would reach, who it would leave out and why, how long. */
  async dryRun(input: CreateCampaignInput): Promise<DryRun> {
    const { name: _name, startAt: _startAt, ...spec } = input
    await this.check(spec)
    const ctx = await this.buildContext(spec)
    const excluded: Partial<Record<ExclusionReason, number>> = {}
    const byAccount: Record<string, number> = {}
    let audience = 0
    let recipients = 0
    const seen = new Set<string>()
    for await (const page of this.deps.audience.pages(spec.audience, BUILD_PAGE)) {
      audience += page.entries.length + page.missing
      if (page.missing > 0)
        excluded.unknown_contact = (excluded.unknown_contact ?? 0) + page.missing
      for (const c of await this.classifyPage(page.entries, ctx, seen)) {
        const reason = c.excluded ?? c.recipient?.reason
        if (reason) {
          excluded[reason as ExclusionReason] = (excluded[reason as ExclusionReason] ?? 0) + 1
        } else if (c.recipient?.accountId) {
          recipients++
          byAccount[c.recipient.accountId] = (byAccount[c.recipient.accountId] ?? 0) + 1
        }
      }
    }
    return {
      audience,
      recipients,
      excluded,
      byAccount,
      estimatedSeconds: this.estimate(spec, ctx.accounts, byAccount),
    }
  }

  private estimate(
    spec: CampaignSpec,
    accounts: Map<string, Account>,
    byAccount: Record<string, number>,
  ): number {
    let seconds = 0
    for (const [accountId, n] of Object.entries(byAccount)) {
      const limits = [
        spec.throttle.perMinute === null ? Infinity : spec.throttle.perMinute / 60,
        accounts.get(accountId)?.settings.sendRatePerSecond ?? Infinity,
      ]
      const rate = Math.min(...limits)
      seconds = Math.max(seconds, n / (Number.isFinite(rate) ? rate : NOMINAL_RATE))
    }
    return Math.round(seconds * 10) / 10
  }

  // ---- start, pause, resume, cancel ----

  /** Starts a draft or scheduled campaign now: its recipients are stored, then sent to. */
  async start(id: string): Promise<Campaign> {
    const token = randomUUID()
    const moved = await transaction(this.deps.db, async (trx) => {
      const row = await repo.moveCampaign(trx, id, ['draft', 'scheduled'], 'building', {
        reason: token,
      })
      if (row) {
        await this.deps.queue.enqueue(
          'campaign.build',
          { campaignId: id, token },
          { dedupeKey: `campaign:${id}:build:${token}` },
          trx,
        )
      }
      return row
    })
    if (!moved) await this.refuse(id, 'start', 'a draft or scheduled campaign')
    return this.changed(id)
  }

  async pause(id: string, reason: string | null = null): Promise<Campaign> {
    const moved = await repo.moveCampaign(this.deps.db, id, ['running'], 'paused', { reason })
    if (!moved) await this.refuse(id, 'pause', 'a running campaign')
    return this.changed(id)
  }

  async resume(id: string): Promise<Campaign> {
    const moved = await transaction(this.deps.db, async (trx) => {
      const row = await repo.moveCampaign(trx, id, ['paused'], 'running', { reason: null })
      if (row) await this.enqueueDispatch(id, trx)
      return row
    })
    if (!moved) await this.refuse(id, 'resume', 'a paused campaign')
    return this.changed(id)
  }

  async cancel(id: string): Promise<Campaign> {
    const moved = await transaction(this.deps.db, async (trx) => {
      const row = await repo.moveCampaign(
        trx,
        id,
        ['draft', 'scheduled', 'building', 'running', 'paused'],
        'cancelled',
        { reason: null, finishedAt: nowIso() },
      )
      if (row) await repo.skipAllPending(trx, id, 'cancelled')
      return row
    })
    if (!moved) await this.refuse(id, 'cancel', 'a campaign that has not ended')
    return this.changed(id)
  }

  private async refuse(id: string, action: string, needs: string): Promise<never> {
    const row = await this.row(id)
    throw new AppError(
      'CAMPAIGN_STATE_CONFLICT',
      `Only ${needs} can ${action}; this one is ${row.status}`,
    )
  }

  private async changed(id: string): Promise<Campaign> {
    const campaign = await this.get(id)
    this.publish(campaign)
    return campaign
  }

  private enqueueDispatch(id: string, executor?: Executor): Promise<string> {
    return this.deps.queue.enqueue(
      'campaign.dispatch',
      { campaignId: id },
      { dedupeKey: `campaign:${id}:dispatch`, maxAttempts: 20 },
      executor,
    )
  }

  /**
   * Running campaigns always have a dispatcher: a lost one (a race, a crash) is replaced.
   * Recipients of recent campaigns still `queued` are caught up with their messages, should
   * a receipt have been lost (a failed write).
   */
  private async sweep(): Promise<void> {
    if (this.stopped || !this.deps.queue.running) return
    try {
      const recent = new Date(Date.now() - 3600_000).toISOString()
      for (const c of await repo.campaignIdsIn(this.deps.db, ['running', 'paused', 'completed'])) {
        if (c.status === 'running') await this.enqueueDispatch(c.id)
        if (c.finishedAt === null || c.finishedAt > recent) {
          const moved = await repo.inFlightStatuses(this.deps.db, c.id, undefined, ['queued'])
          if (moved.length > 0) {
            await this.applyStatuses(moved)
            this.touch(c.id)
          }
        }
      }
    } catch (err) {
      this.deps.logger.error({ err }, 'sweeping campaigns failed')
    }
  }

  // ---- build ----

  /** The `campaign.build` job: stores the recipients, then hands over to the dispatcher. */
  async build(job: Job<'campaign.build'>, signal: AbortSignal): Promise<void> {
    const { db } = this.deps
    const { campaignId, token } = job.data
    const owned = (row: repo.CampaignRow | undefined) =>
      row !== undefined &&
      row.statusReason === token &&
      ['scheduled', 'building'].includes(row.status)
    const row = await repo.findCampaign(db, campaignId)
    if (!row || !owned(row)) return
    if (row.status === 'scheduled') {
      await repo.moveCampaign(db, campaignId, ['scheduled'], 'building', { reason: token })
      this.touch(campaignId)
    }
    // A build cut short by a crash starts over: nothing was sent from it yet.
    await repo.deleteRecipients(db, campaignId)
    const ctx = await this.buildContext(row.spec)
    const excluded: Partial<Record<ExclusionReason, number>> = {}
    const seen = new Set<string>()
    let seq = 0
    const startedAt = nowIso()
    for await (const page of this.deps.audience.pages(row.spec.audience, BUILD_PAGE)) {
      signal.throwIfAborted()
      if (page.missing > 0)
        excluded.unknown_contact = (excluded.unknown_contact ?? 0) + page.missing
      const rows: repo.NewRecipient[] = []
      for (const c of await this.classifyPage(page.entries, ctx, seen)) {
        if (c.excluded) excluded[c.excluded] = (excluded[c.excluded] ?? 0) + 1
        else if (c.recipient) rows.push({ ...c.recipient, seq: ++seq })
      }
      if (rows.length > 0) {
        await groupWrite(db, (e) => repo.insertRecipients(e, campaignId, rows, startedAt))
      }
      if (!owned(await repo.findCampaign(db, campaignId))) return
    }
    await transaction(db, async (trx) => {
      const done = await repo.moveCampaign(trx, campaignId, ['building'], 'running', {
        reason: null,
        startedAt,
        total: seq,
        excluded,
      })
      if (done) await this.enqueueDispatch(campaignId, trx)
    })
    this.deps.logger.info({ campaignId, recipients: seq, excluded }, 'campaign started')
    this.touch(campaignId)
  }

  private async buildContext(spec: CampaignSpec): Promise<BuildContext> {
    const accounts = new Map<string, Account>()
    for (const id of spec.accounts) accounts.set(id, await this.account(id))
    const windowed = new Set<string>()
    if (spec.message.type !== 'template') {
      for (const account of accounts.values()) {
        if (this.capabilitiesOf(account)?.templatesRequired) windowed.add(account.id)
      }
    }
    return {
      spec,
      accounts,
      choose: accountChooser(spec.spread.strategy, spec.accounts, spec.spread.weights),
      wanted: variablesOf(spec.message),
      windowed,
      now: Date.now(),
    }
  }

  /** Decides each entry of a page: left out (and why), skipped (and why), or to send to. */
  private async classifyPage(
    entries: readonly AudienceEntry[],
    ctx: BuildContext,
    seen: Set<string>,
  ): Promise<Classified[]> {
    const needConversations = ctx.spec.spread.strategy === 'last_account' || ctx.windowed.size > 0
    const contactIds = entries.flatMap((e) => (e.contactId ? [e.contactId] : []))
    const last = new Map<string, { accountId: string; at: string }>()
    const inbound = new Map<string, string | null>()
    if (needConversations) {
      for (const c of await audienceRepo.conversationsOf(
        this.deps.db,
        contactIds,
        ctx.spec.accounts,
      )) {
        const known = last.get(c.contactId)
        if (!known || c.lastMessageAt > known.at) {
          last.set(c.contactId, { accountId: c.accountId, at: c.lastMessageAt })
        }
        inbound.set(`${c.contactId}:${c.accountId}`, c.lastInboundAt)
      }
    }
    return entries.map((entry): Classified => {
      let phone: string
      if (!entry.typed && E164.test(entry.phone)) {
        phone = entry.phone
      } else {
        try {
          phone = normalizePhone(entry.phone, 'phone')
        } catch (err) {
          if (!(err instanceof AppError)) throw err
          return { recipient: this.skipped(entry, entry.phone, 'invalid_number') }
        }
      }
      if (seen.has(phone)) return { excluded: 'duplicate' }
      seen.add(phone)
      if (entry.optedOut) return { recipient: this.skipped(entry, phone, 'opted_out') }
      const accountId = ctx.choose(
        entry.contactId ? last.get(entry.contactId)?.accountId : undefined,
      )
      if (ctx.windowed.has(accountId)) {
        const lastIn = entry.contactId ? inbound.get(`${entry.contactId}:${accountId}`) : null
        const open = lastIn ? ctx.now - Date.parse(lastIn) < SERVICE_WINDOW_MS : false
        if (!open) {
          return { recipient: { ...this.skipped(entry, phone, 'outside_window'), accountId } }
        }
      }
      const zone = entry.attributes.timezone
      return {
        recipient: {
          contactId: entry.contactId,
          phone,
          accountId,
          language: entry.language,
          timezone: typeof zone === 'string' && isTimeZone(zone) ? zone : null,
          vars: recipientVars(ctx.wanted, { ...entry, phone }, entry.vars),
          state: 'pending',
          reason: null,
        },
      }
    })
  }

  private skipped(
    entry: AudienceEntry,
    phone: string,
    reason: ExclusionReason,
  ): Omit<repo.NewRecipient, 'seq'> {
    return {
      contactId: entry.contactId,
      phone,
      accountId: null,
      language: entry.language,
      timezone: null,
      vars: null,
      state: 'skipped',
      reason,
    }
  }

  // ---- dispatch ----

  /**
   * The `campaign.dispatch` job: sends to the due recipients, paced, for one slice of time,
   * then hands over to itself (a DelayError keeps the job, its dedupe key and the pace).
   */
  async dispatch(job: Job<'campaign.dispatch'>, jobSignal: AbortSignal): Promise<void> {
    const signal = AbortSignal.any([jobSignal, this.halting.signal])
    try {
      await this.dispatchSlice(job, signal)
    } catch (err) {
      // Stopping: the job waits, pending, for the next start.
      if (this.halting.signal.aborted && !(err instanceof DelayError)) {
        throw new DelayError(0, 'Linda is stopping')
      }
      throw err
    }
  }

  private async dispatchSlice(job: Job<'campaign.dispatch'>, signal: AbortSignal): Promise<void> {
    const { db } = this.deps
    const { campaignId } = job.data
    const deadline = Date.now() + (this.deps.sliceMs ?? 20_000)
    const row = await repo.findCampaign(db, campaignId)
    if (!row || row.status !== 'running') return
    const { spec } = row
    const accounts = new Map<string, Account | undefined>()
    for (const id of spec.accounts) {
      // A deleted account's recipients fail in the pipeline, one by one, with the reason.
      accounts.set(id, await this.account(id).catch(() => undefined))
    }
    const perMinute = spec.throttle.perMinute
    let pacer = this.pacers.get(campaignId)
    if (perMinute !== null && !pacer) {
      pacer = new Pacer(perMinute, spec.throttle.jitter)
      this.pacers.set(campaignId, pacer)
    }
    for (;;) {
      signal.throwIfAborted()
      if ((await repo.campaignStatus(db, campaignId)) !== 'running') {
        this.pacers.delete(campaignId)
        return
      }
      if (!pacer && (await repo.countQueued(db, campaignId)) > DISPATCH_WINDOW) {
        await sleep(20, signal)
        if (Date.now() < deadline) continue
      }
      const now = Date.now()
      if (now >= deadline) throw new DelayError(0, 'next slice')
      const batch = await repo.dueRecipients(
        db,
        campaignId,
        new Date(now).toISOString(),
        pacer ? THROTTLED_BATCH : DISPATCH_BATCH,
      )
      if (batch.length === 0) {
        const next = await repo.nextPendingAt(db, campaignId)
        if (next === undefined) {
          await this.complete(campaignId)
          return
        }
        throw new DelayError(Math.max(20, Date.parse(next) - Date.now()), 'recipients deferred')
      }
      const sendable = await this.screen(campaignId, spec, batch, accounts)
      if (pacer) await this.sendPaced(row, sendable, pacer, signal)
      else
        await this.record(campaignId, await Promise.all(sendable.map((r) => this.sendOne(row, r))))
      this.touch(campaignId)
    }
  }

  /**
   * Leaves out recipients who opted out since the build (belt and braces: the pipeline
   * refuses them too) and defers those inside quiet hours; returns the rest.
   */
  private async screen(
    campaignId: string,
    spec: CampaignSpec,
    batch: repo.DueRecipient[],
    accounts: Map<string, Account | undefined>,
  ): Promise<repo.DueRecipient[]> {
    const { db } = this.deps
    const optedOut = await repo.optedOutPhones(
      db,
      batch.map((r) => r.phone),
    )
    const skip: Array<{ seq: number; reason: string }> = []
    const deferred = new Map<string, number[]>()
    const sendable: repo.DueRecipient[] = []
    const quiet = spec.throttle.quietHours
    const now = new Date()
    for (const r of batch) {
      if (optedOut.has(r.phone)) {
        skip.push({ seq: r.seq, reason: 'opted_out' })
        continue
      }
      if (quiet) {
        const accountZone = accounts.get(r.accountId ?? '')?.settings.timezone ?? 'UTC'
        const zone = quiet.timezone === 'account' ? accountZone : (r.timezone ?? accountZone)
        const until = quietUntil(now, quiet, zone)
        if (until) {
          const key = until.toISOString()
          deferred.set(key, [...(deferred.get(key) ?? []), r.seq])
          continue
        }
      }
      sendable.push(r)
    }
    if (skip.length > 0) await repo.settlePending(db, campaignId, 'skipped', skip)
    for (const [until, seqs] of deferred) await repo.deferRecipients(db, campaignId, seqs, until)
    return sendable
  }

  /**
   * Sends a batch on the pacer's grid: each account at its own rate. Each send starts at its
   * time without waiting for the one before, so that slow sends do not slow the rate.
   */
  private async sendPaced(
    row: repo.CampaignRow,
    batch: repo.DueRecipient[],
    pacer: Pacer,
    signal: AbortSignal,
  ): Promise<void> {
    const booked = batch
      .map((r) => ({ r, at: pacer.book(r.accountId ?? '', Date.now()) }))
      .sort((a, b) => a.at - b.at)
    const gapMs = 60_000 / (row.spec.throttle.perMinute ?? 60_000)
    const outcomes: Outcome[] = []
    const inFlight = new Set<Promise<void>>()
    const send = async (r: repo.DueRecipient) => {
      // Paced sends wait: whoever opted out meanwhile is skipped at the last moment.
      if ((await repo.optedOutPhones(this.deps.db, [r.phone])).size > 0) {
        outcomes.push({ seq: r.seq, kind: 'skipped', reason: 'opted_out' })
      } else {
        outcomes.push(await this.sendOne(row, r))
      }
    }
    try {
      for (const { r, at } of booked) {
        const wait = at - Date.now()
        if (wait > 0) await sleep(wait, signal)
        const task = send(r).finally(() => inFlight.delete(task))
        inFlight.add(task)
        // Recorded as they go (one by one when far apart), so that progress moves and a
        // pause stops within a few sends.
        if (gapMs >= 100) await task
        if (outcomes.length >= 8 || gapMs >= 100) await this.record(row.id, outcomes.splice(0))
        if (wait > 1000 && (await repo.campaignStatus(this.deps.db, row.id)) !== 'running') break
      }
    } catch (err) {
      await Promise.allSettled(inFlight)
      await this.record(row.id, outcomes)
      throw err
    }
    const settled = await Promise.allSettled(inFlight)
    await this.record(row.id, outcomes)
    const failed = settled.find((s) => s.status === 'rejected')
    // Not sent, not recorded: the recipient stays pending for the job's retry.
    if (failed) throw failed.reason
  }

  private async sendOne(row: repo.CampaignRow, r: repo.DueRecipient): Promise<Outcome> {
    if (!r.accountId) return { seq: r.seq, kind: 'failed', reason: 'NO_ACCOUNT' }
    const content = this.deps.renderer.render(row.spec.message, {
      vars: r.vars ?? {},
      language: r.language,
    })
    try {
      const { message } = await this.deps.sender.send(
        { accountId: r.accountId, to: r.phone, ...content },
        { idempotencyKey: `campaign:${row.id}:${r.seq}`, origin: row.origin },
      )
      return { seq: r.seq, kind: 'queued', messageId: message.id, contactId: message.contactId }
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      // The pipeline's word on who may not be written to is final.
      if (err.code === 'PHONE_INVALID')
        return { seq: r.seq, kind: 'skipped', reason: 'invalid_number' }
      if (err.code === 'OUTSIDE_SERVICE_WINDOW') {
        return { seq: r.seq, kind: 'skipped', reason: 'outside_window' }
      }
      if ((err.code as string) === 'CONTACT_OPTED_OUT') {
        return { seq: r.seq, kind: 'skipped', reason: 'opted_out' }
      }
      return { seq: r.seq, kind: 'failed', reason: err.code }
    }
  }

  /** Stores what became of a batch, then the statuses its messages reached meanwhile. */
  private async record(campaignId: string, outcomes: readonly Outcome[]): Promise<void> {
    if (outcomes.length === 0) return
    const { db } = this.deps
    const queued = outcomes.flatMap((o) => (o.kind === 'queued' ? [o] : []))
    const skipped = outcomes.flatMap((o) => (o.kind === 'skipped' ? [o] : []))
    const failed = outcomes.flatMap((o) => (o.kind === 'failed' ? [o] : []))
    await groupWrite(db, (e) => repo.markQueued(e, campaignId, queued))
    if (skipped.length > 0) await repo.settlePending(db, campaignId, 'skipped', skipped)
    if (failed.length > 0) await repo.settlePending(db, campaignId, 'failed', failed)
    // Receipts that came before the message id was stored found no recipient.
    await this.applyStatuses(
      await repo.inFlightStatuses(
        db,
        campaignId,
        queued.map((q) => q.seq),
      ),
    )
  }

  private async complete(campaignId: string): Promise<void> {
    this.pacers.delete(campaignId)
    const done = await repo.moveCampaign(this.deps.db, campaignId, ['running'], 'completed', {
      finishedAt: nowIso(),
    })
    if (done) {
      this.deps.logger.info({ campaignId }, 'campaign dispatched to every recipient')
      this.publish(await this.get(campaignId))
    }
  }

  // ---- receipts and replies ----

  private onStatus(message: Message): void {
    const status = message.status
    if (status === 'sent' || status === 'delivered' || status === 'read') {
      const at =
        (status === 'sent'
          ? message.sentAt
          : status === 'delivered'
            ? message.deliveredAt
            : message.readAt) ?? message.updatedAt
      this.buffer(status, message.id, at)
    } else if (status === 'failed' || status === 'uncertain') {
      const reason = status === 'uncertain' ? 'UNCERTAIN' : (message.error?.code ?? 'SEND_FAILED')
      this.buffer(`failed|${reason}`, message.id, message.updatedAt, reason)
    }
  }

  private onReceived(message: Message): void {
    this.replies.push({
      contactId: message.contactId,
      accountId: message.accountId,
      at: message.createdAt,
    })
    this.scheduleFlush()
  }

  private buffer(key: string, id: string, at: string, reason?: string): void {
    const entry = this.receipts.get(key)
    if (entry) entry.items.push({ id, at })
    else this.receipts.set(key, { items: [{ id, at }], ...(reason ? { reason } : {}) })
    this.scheduleFlush()
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.stopped) return
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined
      void this.flush()
    }, 50)
    this.flushTimer.unref()
  }

  /** Moves recipients by the receipts and replies gathered since the last flush. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const groups = [...this.receipts.entries()]
      this.receipts.clear()
      const replies = this.replies.splice(0)
      const touched = new Set<string>()
      try {
        for (const [key, { items, reason }] of groups) {
          const state = key.split('|')[0] as 'sent' | 'delivered' | 'read' | 'failed'
          for (let i = 0; i < items.length; i += 500) {
            const moved = await groupWrite(this.deps.db, (e) =>
              repo.advanceByMessage(e, items.slice(i, i + 500), state, reason),
            )
            for (const id of moved) touched.add(id)
          }
        }
        for (const r of replies) {
          const since = new Date(Date.parse(r.at) - REPLY_WINDOW_MS).toISOString()
          const moved = await groupWrite(this.deps.db, (e) =>
            repo.markReplied(e, r.contactId, r.accountId, r.at, since),
          )
          for (const id of moved) touched.add(id)
        }
      } catch (err) {
        // What was not applied is caught up from the messages by the sweep.
        this.deps.logger.error({ err }, 'applying receipts to campaign recipients failed')
      }
      for (const id of touched) this.touch(id)
    })
    return this.flushing
  }

  /** Applies message statuses read from the database (what events may have missed). */
  private async applyStatuses(rows: Awaited<ReturnType<typeof repo.inFlightStatuses>>) {
    if (rows.length === 0) return
    const steps = new Map<string, { items: Array<{ id: string; at: string }>; reason?: string }>()
    const add = (key: string, id: string, at: string, reason?: string) => {
      const step = steps.get(key)
      if (step) step.items.push({ id, at })
      else steps.set(key, { items: [{ id, at }], ...(reason ? { reason } : {}) })
    }
    for (const r of rows) {
      if (r.status === 'failed' || r.status === 'uncertain') {
        const reason = r.status === 'uncertain' ? 'UNCERTAIN' : (r.error ?? 'SEND_FAILED')
        add(`failed|${reason}`, r.messageId, nowIso(), reason)
        continue
      }
      if (r.sentAt) add('sent', r.messageId, r.sentAt)
      if (r.deliveredAt) add('delivered', r.messageId, r.deliveredAt)
      if (r.readAt) add('read', r.messageId, r.readAt)
    }
    // In order: a recipient moves sent, then delivered, then read.
    for (const key of [...steps.keys()].sort((a, b) => rank(a) - rank(b))) {
      const { items, reason } = steps.get(key)!
      const state = key.split('|')[0] as 'sent' | 'delivered' | 'read' | 'failed'
      await groupWrite(this.deps.db, (e) => repo.advanceByMessage(e, items, state, reason))
    }
  }

  /** Catches a campaign's recipients up with their messages (receipts missed while stopped). */
  private async catchUp(campaignId: string): Promise<void> {
    await this.applyStatuses(await repo.inFlightStatuses(this.deps.db, campaignId))
  }

  // ---- progress ----

  /** Publishes the campaign's progress soon (at most every `progressEveryMs`). */
  private touch(campaignId: string): void {
    if (this.progressTimers.has(campaignId) || this.stopped) return
    const timer = setTimeout(() => {
      this.progressTimers.delete(campaignId)
      void this.progressTick(campaignId)
    }, this.deps.progressEveryMs ?? 500)
    timer.unref()
    this.progressTimers.set(campaignId, timer)
  }

  private async progressTick(campaignId: string): Promise<void> {
    try {
      const campaign = await this.get(campaignId)
      this.publish(campaign)
      await this.checkFailures(campaign)
    } catch (err) {
      this.deps.logger.error({ err, campaignId }, 'campaign progress failed')
    }
  }

  /** Pauses a running campaign whose failure rate crossed its threshold. */
  private async checkFailures(campaign: Campaign): Promise<void> {
    if (campaign.status !== 'running') return
    const { counts } = campaign.progress
    const attempts = counts.sent + counts.delivered + counts.read + counts.replied + counts.failed
    const { failureRate, minAttempts } = campaign.autoPause
    if (attempts < minAttempts || counts.failed / attempts <= failureRate) return
    const share = Math.round((counts.failed / attempts) * 100)
    const reason = `Paused automatically: ${counts.failed} of ${attempts} sends failed (${share}%, above ${Math.round(failureRate * 100)}%)`
    const moved = await repo.moveCampaign(this.deps.db, campaign.id, ['running'], 'paused', {
      reason,
    })
    if (moved) {
      this.deps.logger.warn({ campaignId: campaign.id, reason }, 'campaign paused')
      this.publish(await this.get(campaign.id))
    }
  }

  private publish(campaign: Campaign): void {
    this.deps.events.publish('campaign.progress', {
      campaignId: campaign.id,
      name: campaign.name,
      status: campaign.status,
      statusReason: campaign.statusReason,
      progress: campaign.progress,
    })
  }

  private async progressOf(row: repo.CampaignRow): Promise<CampaignProgress> {
    const counts = Object.fromEntries(recipientStates.map((s) => [s, 0])) as Record<
      RecipientState,
      number
    >
    const skipped: Record<string, number> = {}
    let total = 0
    for (const { state, reason, n } of await repo.countStates(this.deps.db, row.id)) {
      counts[state] += n
      total += n
      if (state === 'skipped')
        skipped[reason ?? 'unknown'] = (skipped[reason ?? 'unknown'] ?? 0) + n
    }
    const sent = counts.sent + counts.delivered + counts.read + counts.replied
    const attempts = sent + counts.failed
    const delivered = counts.delivered + counts.read + counts.replied
    const rate = (n: number, of: number) =>
      of === 0 ? null : Math.round((n / of) * 10_000) / 10_000
    const done = total - counts.pending - counts.queued
    return {
      total,
      counts,
      skipped,
      excluded: row.excluded as Record<string, number>,
      done,
      percent: total === 0 ? 0 : Math.round((done / total) * 1000) / 10,
      deliveryRate: rate(delivered, sent),
      readRate: rate(counts.read + counts.replied, sent),
      replyRate: rate(counts.replied, sent),
      failureRate: rate(counts.failed, attempts),
    }
  }

  // ---- helpers ----

  private async row(id: string): Promise<repo.CampaignRow> {
    const row = await repo.findCampaign(this.deps.db, id)
    if (!row) throw new AppError('CAMPAIGN_NOT_FOUND', `No campaign has the id ${id}`)
    return row
  }

  private async present(row: repo.CampaignRow): Promise<Campaign> {
    const { spec } = row
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      // While scheduled or building, the reason field holds the builder's token.
      statusReason:
        row.status === 'scheduled' || row.status === 'building' ? null : row.statusReason,
      origin: row.origin,
      scheduleId: row.scheduleId,
      audience: summarizeAudience(spec),
      message: spec.message,
      accounts: spec.accounts,
      spread: spec.spread,
      startAt: row.startAt,
      timezone: spec.timezone,
      throttle: spec.throttle,
      autoPause: spec.autoPause,
      progress: await this.progressOf(row),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      startedAt: row.startedAt,
      finishedAt: row.finishedAt,
    }
  }

  private async account(id: string): Promise<Account> {
    return this.deps.accounts.live(id) ?? (await this.deps.accounts.get(id))
  }

  private capabilitiesOf(account: Account): TransportCapabilities | undefined {
    if (this.deps.accounts.live(account.id)) {
      return this.deps.accounts.transport(account.id).transport.capabilities
    }
    return this.deps.capabilities[account.transport]
  }

  /** Refuses a spec this Linda cannot run, before anything is stored. */
  async check(spec: CampaignSpec): Promise<void> {
    if (!this.deps.audience.supports(spec.audience.type)) {
      throw new AppError(
        'AUDIENCE_NOT_SUPPORTED',
        `This version cannot resolve a ${spec.audience.type} audience; use all, contacts, list or tags`,
        [{ path: 'body.audience.type', message: `${spec.audience.type} is not available yet` }],
      )
    }
    for (const [i, id] of spec.accounts.entries()) {
      const exists = await this.deps.accounts.get(id).then(
        () => true,
        () => false,
      )
      if (!exists) {
        throw new AppError('ACCOUNT_NOT_FOUND', `No account has the id ${id}`, [
          { path: `body.accounts.${i}`, message: 'names no account' },
        ])
      }
    }
    if (spec.spread.strategy === 'weighted') {
      const weights = spec.spread.weights ?? {}
      const stray = Object.keys(weights).find((id) => !spec.accounts.includes(id))
      if (stray) {
        throw new AppError(
          'VALIDATION_FAILED',
          `The weight of ${stray} names no campaign account`,
          [
            {
              path: `body.spread.weights.${stray}`,
              message: 'is not one of the campaign accounts',
            },
          ],
        )
      }
      if (spec.accounts.every((id) => (weights[id] ?? 1) === 0)) {
        throw new AppError('VALIDATION_FAILED', 'At least one account needs a weight above 0', [
          { path: 'body.spread.weights', message: 'must give some account a weight above 0' },
        ])
      }
    }
  }

  private startTime(text: string, timeZone: string): Date {
    const at = parseInstant(text, timeZone)
    if (!at) {
      throw new AppError('VALIDATION_FAILED', `The start time "${text}" is not a date-time`, [
        {
          path: 'body.startAt',
          message: 'must be ISO 8601 with an offset, or a local date-time such as 2026-12-01T09:00',
        },
      ])
    }
    return at
  }
}

const stepOrder = ['sent', 'delivered', 'read', 'failed']
function rank(key: string): number {
  return stepOrder.indexOf(key.split('|')[0]!)
}

function summarizeAudience(spec: CampaignSpec): { type: string } & Record<string, unknown> {
  const a = spec.audience
  // An uploaded list can be long: the campaign shows its size, its recipients show the rest.
  if (a.type === 'list') return { type: 'list', size: a.recipients.length }
  if (a.type === 'contacts') return { type: 'contacts', size: a.contactIds.length }
  return a as { type: string } & Record<string, unknown>
}

function toRecipient(r: repo.RecipientRow): Recipient {
  return {
    id: Number(r.seq),
    contactId: r.contact_id,
    phone: r.phone,
    accountId: r.account_id,
    language: r.language,
    state: r.state as RecipientState,
    reason: r.reason,
    messageId: r.message_id,
    queuedAt: r.queued_at,
    sentAt: r.sent_at,
    deliveredAt: r.delivered_at,
    readAt: r.read_at,
    repliedAt: r.replied_at,
  }
}
