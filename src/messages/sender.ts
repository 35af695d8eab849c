import type { Account, AccountsService, SendingHealth } from '../accounts/index.js'
import { contactOptedOut } from '../contacts/index.js'
import { groupWrite, type Db } from '../platform/db/index.js'
import type { EventBus } from '../platform/events/index.js'
import type { Logger } from '../platform/logging.js'
import { backoffDelay, DelayError, type Job } from '../platform/queue/index.js'
import { sleep } from '../platform/sleep.js'
import {
  TransportError,
  type OutboundContent,
  type OutboundMessage,
  type OutboundMessageType,
  type Transport,
} from '../transports/index.js'
import { CircuitBreaker } from './breaker.js'
import * as repo from './messages.repo.js'
import type { Message, MessageStatus } from './messages.schemas.js'
import { SendLimiter, SpacingBook } from './rate-limiter.js'
import * as senderRepo from './sender.repo.js'
import { localDay, nextLocalMidnight, warmupPlan } from './warmup.js'

declare module '../platform/events/port.js' {
  interface EventRegistry {
    /**
     * An account's sending changed: paused or resumed, its circuit breaker opened or
     * closed, the warm-up cap of the day reached.
     */
    'account.sending': { accountId: string; sending: SendingHealth }
  }
}

export interface SenderDeps {
  db: Db
  events: EventBus
  accounts: AccountsService
  logger: Logger
  /** Called once a message is `sent`, with the provider's id (early receipts wait for it). */
  onSent(account: Account, externalId: string): Promise<void>
}

export interface SenderOptions {
  /** Sends to the provider a message may take before it is failed; default 5. */
  attempts?: number
  /** Backoff between attempts: exponential from this, with jitter; default 1000 ms. */
  retryBaseMs?: number
  /** The longest backoff; default 5 minutes. */
  retryMaxMs?: number
  /**
   * The longest a waiting send (a pause, an open breaker, the warm-up cap) stays away
   * before it looks again: a resume applies within it. Default 30 s.
   */
  recheckMs?: number
  random?: () => number
  /** The wall clock (pauses, the breaker, days); default Date.now. */
  now?: () => number
  /** A monotonic clock for the rate limit and spacing; default performance.now. */
  monotonic?: () => number
}

/** How often a message queued for a disconnected account checks whether it is back. */
const ACCOUNT_WAIT_MS = 5_000

/**
 * Sends of one account that may hold a sender slot while they wait (for their turn within
 * its rate, or on its provider): half the sender's slots, so that a slow or hanging
 * account never takes every slot from the others.
 */
const SLOTS_PER_ACCOUNT = 16
/** A send still waiting on its provider after this long makes the provider count as slow. */
const SLOW_SEND_MS = 100
/** How soon a send held back by that limit tries again (no attempt is used up). */
const ACCOUNT_BUSY_WAIT_MS = 50

/** A send that must wait longer than this for its turn leaves its slot and comes back. */
const MAX_SLEEP_MS = 1_000

/** How long an account pauses when its provider throttles it without saying for how long. */
const DEFAULT_PAUSE_MS = 60_000
/** How long a recipient is left alone when the provider says it got too many, unsaid how long. */
const DEFAULT_RECIPIENT_WAIT_MS = 6_000

/** What the sender keeps per account. */
interface Gate {
  accountId: string
  pausedUntil: number | null
  pauseReason: string | null
  breaker: CircuitBreaker
  /** Sends of the account sleeping in a sender slot until their turn. */
  waiting: number
  /** Sends of the account waiting on its provider: when each started (oldest first). */
  inFlight: Map<number, number>
  /** The account's day (in its time zone) and the conversations counted as opened on it. */
  day: string
  opened: Set<string>
  /** The day the warm-up cap was announced as reached. */
  cappedDay: string | null
}

/**
 * The sender: hands queued messages to their account's transport within the account's
 * limits (rate, spacing per contact, warm-up), pauses an account its provider throttles,
 * retries with backoff that honours the provider's hints, fails a message for good with
 * its reason when retrying cannot help, and trips a circuit breaker per account when its
 * sends keep failing. It never loses a message: whatever waits stays `queued`.
 */
export class Sender {
  private readonly limiter: SendLimiter
  private readonly spacing: SpacingBook
  private readonly gates = new Map<string, Promise<Gate>>()
  /** Booked turns of messages that left their slot to come back at it, by message id. */
  private readonly booked = new Map<string, number>()
  private readonly attempts: number
  private readonly retryBaseMs: number
  private readonly retryMaxMs: number
  private readonly recheckMs: number
  private readonly random: () => number
  private readonly now: () => number
  private readonly monotonic: () => number
  private prunedAt = 0
  private tickets = 0

  constructor(
    private readonly deps: SenderDeps,
    options: SenderOptions = {},
  ) {
    this.attempts = options.attempts ?? 5
    this.retryBaseMs = options.retryBaseMs ?? 1_000
    this.retryMaxMs = options.retryMaxMs ?? 5 * 60_000
    this.recheckMs = options.recheckMs ?? 30_000
    this.random = options.random ?? Math.random
    this.now = options.now ?? Date.now
    // Sub-millisecond and never set back, so that the rate limit's windows are exact.
    this.monotonic = options.monotonic ?? (() => performance.now())
    this.limiter = new SendLimiter(this.monotonic)
    this.spacing = new SpacingBook(this.monotonic)
  }

  /** Attempts of a send before the message is failed. */
  get maxAttempts(): number {
    return this.attempts
  }

  /** The `message.send` job: one attempt at handing a queued message to its transport. */
  async deliver(job: Job<'message.send'>, signal: AbortSignal): Promise<void> {
    try {
      await this.attempt(job, signal)
    } catch (err) {
      if (!(err instanceof DelayError) && job.attempt >= job.maxAttempts) {
        // The job dies with this attempt: the message must not stay queued for ever.
        const message = err instanceof Error ? err.message : String(err)
        await this.move(job.data.messageId, ['queued', 'sending'], 'failed', {
          error: { code: 'SEND_FAILED', message },
        })
      }
      throw err
    }
  }

  private async attempt(job: Job<'message.send'>, signal: AbortSignal): Promise<void> {
    const { accounts, db, logger } = this.deps
    const { messageId, accountId } = job.data
    const account = accounts.live(accountId)
    if (!account) {
      const exists = await accounts.get(accountId).then(
        () => true,
        () => false,
      )
      if (exists) {
        // The message waits, queued, for its account to connect again.
        throw new DelayError(ACCOUNT_WAIT_MS, `account ${accountId} is not connected`)
      }
      this.forgetMessage(messageId)
      await this.move(messageId, ['queued', 'sending'], 'failed', {
        error: { code: 'ACCOUNT_DELETED', message: 'The account was deleted before the send' },
      })
      return
    }
    const { transport } = accounts.transport(account.id)
    let message = await repo.findMessage(db, messageId)
    if (message?.status === 'sending') {
      // The previous attempt was cut short after it may have reached WhatsApp.
      if (account.settings.uncertainPolicy === 'mark') {
        logger.warn({ messageId }, 'send interrupted by a crash; marked uncertain')
        this.forgetMessage(messageId)
        await this.move(messageId, ['sending'], 'uncertain', {
          error: {
            code: 'SEND_INTERRUPTED',
            message: 'The send was interrupted; it may or may not have been delivered',
          },
        })
        return
      }
      message = await this.move(messageId, ['sending'], 'queued')
    }
    // Sent, failed or gone already: this run of the job has nothing to do.
    if (message?.status !== 'queued') {
      this.forgetMessage(messageId)
      return
    }
    await this.sendWithin(account, transport, message, signal)
  }

  private async sendWithin(
    account: Account,
    transport: Transport,
    message: Message,
    signal: AbortSignal,
  ): Promise<void> {
    const gate = await this.gate(account)
    gate.breaker.configure(account.settings.breaker)
    this.pruneNowAndThen()

    // A provider's block or quota: every send of the account waits it out.
    if (gate.pausedUntil !== null) {
      const left = gate.pausedUntil - this.now()
      if (left > 0) throw new DelayError(this.recheck(left), 'sending is paused')
      await this.setPause(gate, null, null, 'the pause ran out')
    }
    // Failing again and again: sends wait while the breaker is open.
    const open = gate.breaker.waitMs()
    if (open > 0) throw new DelayError(this.recheck(open), 'the circuit breaker is open')

    if (await this.refusedByOptOut(message)) return
    await this.checkWarmup(account, gate, message)

    // One contact's messages at least `recipientSpacingMs` apart (and never before a pair
    // rate limit the provider set has passed).
    const recipient = `${account.id}:${message.phone}`
    const spaced = this.spacing.wait(recipient, message.id, account.settings.recipientSpacingMs)
    if (spaced > 0) throw new DelayError(spaced, 'spacing sends to this contact')

    await this.sendInTurn(account, transport, gate, message, recipient, signal)
  }

  private async sendInTurn(
    account: Account,
    transport: Transport,
    gate: Gate,
    message: Message,
    recipient: string,
    signal: AbortSignal,
  ): Promise<void> {
    const { logger } = this.deps
    const rate = account.settings.sendRatePerSecond
    // The message's turn within the account's rate: kept if it had one already.
    const turn =
      rate === null
        ? undefined
        : (this.booked.get(message.id) ?? this.limiter.reserve(account.id, rate))
    const comeBack = (ms: number, why: string) => {
      if (turn !== undefined) this.booked.set(message.id, turn)
      return new DelayError(Math.max(1, Math.ceil(ms)), why)
    }
    if (turn !== undefined) {
      const wait = turn - this.monotonic()
      if (wait > MAX_SLEEP_MS || (wait > 0 && gate.waiting >= SLOTS_PER_ACCOUNT)) {
        throw comeBack(wait, 'waiting for its turn within the rate limit')
      }
      if (wait > 0) await this.sleepInSlot(gate, wait, signal)
    }
    const humanize = account.settings.humanize
    if (humanize.enabled) {
      if (humanize.typing && transport.typing) {
        await transport.typing(message.phone, signal).catch((err: unknown) => {
          logger.debug({ err, messageId: message.id }, 'typing indicator failed')
        })
      }
      const { minDelayMs, maxDelayMs } = humanize
      const pause = Math.round(minDelayMs + this.random() * (maxDelayMs - minDelayMs))
      await this.sleepInSlot(gate, pause, signal)
    }
    this.booked.delete(message.id)
    await this.sendNow(account, transport, gate, message, recipient, signal)
  }

  /**
   * Whether the account has its share of sends waiting on a slow provider. Sends that
   * answer at once are never counted against it (a burst released together by one commit
   * would otherwise look like a crowd).
   */
  private providerBusy(gate: Gate): boolean {
    if (gate.inFlight.size < SLOTS_PER_ACCOUNT) return false
    const oldest = gate.inFlight.values().next().value
    return oldest !== undefined && this.monotonic() - oldest > SLOW_SEND_MS
  }

  private async sleepInSlot(gate: Gate, ms: number, signal: AbortSignal): Promise<void> {
    gate.waiting++
    try {
      await sleep(ms, signal)
    } finally {
      gate.waiting--
    }
  }

  private async sendNow(
    account: Account,
    transport: Transport,
    gate: Gate,
    message: Message,
    recipient: string,
    signal: AbortSignal,
  ): Promise<void> {
    const rate = account.settings.sendRatePerSecond

    // The contact's spacing, measured from the sends that really went.
    const spacingMs = account.settings.recipientSpacingMs
    for (let gap = this.spacing.gap(recipient, spacingMs); gap > 0;) {
      if (gap > MAX_SLEEP_MS) throw new DelayError(gap, 'spacing sends to this contact')
      await sleep(gap, signal)
      gap = this.spacing.gap(recipient, spacingMs)
    }
    // Counted from now on (and again when it really goes), so that a concurrent send to
    // the contact waits for this one.
    this.spacing.sent(recipient)
    const admission = gate.breaker.admit()
    if (!admission.go) throw new DelayError(this.recheck(admission.waitMs), 'the breaker is open')
    const probe = admission.probe
    const sending = await this.move(message.id, ['queued'], 'sending', { attempt: 'count' })
    if (!sending) {
      // Someone else moved it meanwhile (a retry, a deletion): nothing to send.
      gate.breaker.abandon(probe)
      return
    }
    let externalId: string
    try {
      const outbound = await this.outbound(account.id, sending)
      if (rate !== null) {
        // The last word, over the times sends really went: a send that started late does
        // not bunch up with the next ones. Nothing awaits between it and the send, which is
        // counted just after it started.
        for (let wait = this.limiter.waitToSend(account.id, rate); wait > 0;) {
          await sleep(wait, signal)
          wait = this.limiter.waitToSend(account.id, rate)
        }
      }
      // One account's slow or hanging provider must not take every sender slot from the
      // others: past a few sends waiting on it, the next ones wait their turn, queued.
      if (this.providerBusy(gate)) {
        gate.breaker.abandon(probe)
        await this.move(message.id, ['sending'], 'queued', { attempt: 'refund' })
        throw new DelayError(ACCOUNT_BUSY_WAIT_MS, 'the account has its share of sends in flight')
      }
      this.spacing.sent(recipient)
      const ticket = ++this.tickets
      gate.inFlight.set(ticket, this.monotonic())
      try {
        const sent = transport.send(outbound, signal)
        // Counted once it started: a send is never earlier than the window thinks.
        if (rate !== null) this.limiter.count(account.id, rate)
        externalId = (await sent).externalId
      } finally {
        gate.inFlight.delete(ticket)
      }
    } catch (err) {
      if (err instanceof DelayError) throw err
      this.spacing.release(message.id)
      await this.failed(account, gate, sending, recipient, err, probe)
      return
    }
    this.spacing.release(message.id)
    const closed = gate.breaker.success(probe)
    if (closed) await this.breakerChanged(gate, account, closed)
    await this.move(message.id, ['sending'], 'sent', { externalId, error: null })
    await this.deps.onSent(account, externalId)
    if (sending.replyTo !== null && transport.markRead) {
      await this.markAnswered(transport, sending, signal)
    }
  }

  /** A send that failed: retried later, paused behind a throttle, or failed for good. */
  private async failed(
    account: Account,
    gate: Gate,
    message: Message,
    recipient: string,
    err: unknown,
    probe: boolean,
  ): Promise<void> {
    const { logger } = this.deps
    const te = err instanceof TransportError ? err : undefined
    const error = te
      ? { code: te.code, message: te.message }
      : { code: 'SEND_FAILED', message: err instanceof Error ? err.message : String(err) }
    const now = this.now()

    if (te?.throttle) {
      // Not this message's fault, nor a sign the provider is down: the attempt is given
      // back and the message waits with the others.
      gate.breaker.abandon(probe)
      // Back in the queue first, so that whoever sees the pause sees the message waiting.
      await this.move(message.id, ['sending'], 'queued', { error, attempt: 'refund' })
      let until: number
      if (te.throttle === 'account') {
        until = now + (te.retryAfterMs ?? DEFAULT_PAUSE_MS)
        await this.setPause(gate, until, error.message, 'the provider throttled the account')
      } else {
        const wait = te.retryAfterMs ?? DEFAULT_RECIPIENT_WAIT_MS
        until = now + wait
        this.spacing.block(recipient, this.monotonic() + wait)
      }
      throw new DelayError(this.recheck(until - now), error.message)
    }

    // Failures that say the account or its provider is in trouble count towards the
    // breaker; a refusal of this one message shows the provider answers.
    const trouble = !te || te.retryable || te.deliveryUnknown || te.authFailure
    const change = trouble ? gate.breaker.failure(probe) : gate.breaker.success(probe)
    if (change) await this.breakerChanged(gate, account, change)

    if (te?.deliveryUnknown && account.settings.uncertainPolicy === 'mark') {
      // It may have gone out: a person decides rather than a retry sending it twice.
      logger.warn({ messageId: message.id, error }, 'send outcome unknown; marked uncertain')
      await this.move(message.id, ['sending'], 'uncertain', { error })
      return
    }
    const retry = !te || te.retryable || te.deliveryUnknown
    if (retry && message.attempts < this.attempts) {
      const delay = retryDelay(message.attempts, te?.retryAfterMs, {
        baseMs: this.retryBaseMs,
        maxMs: this.retryMaxMs,
        random: this.random,
      })
      logger.info(
        { messageId: message.id, attempt: message.attempts, retryInMs: delay, error },
        'send failed; will retry',
      )
      await this.move(message.id, ['sending'], 'queued', { error })
      throw new DelayError(delay, error.message)
    }
    const why = retry
      ? `${error.message} (gave up after ${message.attempts} attempts)`
      : error.message
    logger.warn({ messageId: message.id, error }, 'message failed')
    await this.move(message.id, ['sending'], 'failed', {
      error: { code: error.code, message: why },
    })
  }

  /** Campaign, schedule and plain API sends never reach a contact who opted out. */
  private async refusedByOptOut(message: Message): Promise<boolean> {
    // Answers were checked when they were queued, and stay answers.
    if (message.origin === null || (message.replyTo !== null && message.origin !== 'api')) {
      return false
    }
    if (message.origin === 'api' && message.transactional) return false
    if (!(await contactOptedOut(this.deps.db, message.contactId))) return false
    this.forgetMessage(message.id)
    await this.move(message.id, ['queued'], 'failed', {
      error: {
        code: 'CONTACT_OPTED_OUT',
        message: `The contact opted out of messages; a ${message.origin} message is not sent to them`,
      },
    })
    return true
  }

  /**
   * A new WhatsApp Web number opens only so many new conversations a day: over the cap,
   * the message waits for the next day (in the account's time zone).
   */
  private async checkWarmup(account: Account, gate: Gate, message: Message): Promise<void> {
    const now = this.now()
    const tz = account.settings.timezone
    const plan = warmupPlan(account.settings.warmup, account, now, tz)
    if (!plan.active || plan.cap === null || message.replyTo !== null) return
    const day = localDay(now, tz)
    if (gate.day !== day) {
      gate.day = day
      gate.opened.clear()
    }
    if (gate.opened.has(message.conversationId)) return
    const { db } = this.deps
    if (!(await senderRepo.opensConversation(db, message.conversationId, message.id))) return
    if (await senderRepo.countNewConversation(db, account.id, day, plan.cap)) {
      gate.opened.add(message.conversationId)
      return
    }
    if (gate.cappedDay !== day) {
      gate.cappedDay = day
      this.deps.logger.info(
        { accountId: account.id, cap: plan.cap, day: plan.day },
        'warm-up cap of new conversations reached; new ones wait for tomorrow',
      )
      this.announce(account)
    }
    throw new DelayError(
      this.recheck(nextLocalMidnight(now, tz) - now),
      'the warm-up cap of new conversations is reached for today',
    )
  }

  /** Tells the provider the contact's messages up to the one answered were read. */
  private async markAnswered(
    transport: Transport,
    answer: Message,
    signal: AbortSignal,
  ): Promise<void> {
    const { db, logger } = this.deps
    try {
      const unread = await senderRepo.unreadInbound(db, answer.conversationId, answer.replyTo!)
      if (unread.length === 0) return
      await transport.markRead!(
        answer.phone,
        unread.map((m) => m.externalId),
        signal,
      )
      await senderRepo.markInboundRead(
        db,
        unread.map((m) => m.id),
      )
    } catch (err) {
      // A courtesy: the answer went out whatever becomes of the blue ticks.
      logger.warn({ err, messageId: answer.id }, 'marking the answered messages read failed')
    }
  }

  // ---- the account's sending state ----

  /** Clears a pause and closes the breaker: an operator says the account may send again. */
  async resume(account: Account): Promise<SendingHealth> {
    const gate = await this.gate(account)
    const closed = gate.breaker.reset()
    await this.setPause(gate, null, null, 'resumed by hand', closed !== undefined)
    return this.health(account)
  }

  /** How the account's sending is doing, for its health. */
  async health(account: Account): Promise<SendingHealth> {
    const gate = await this.gate(account)
    const now = this.now()
    const tz = account.settings.timezone
    const plan = warmupPlan(account.settings.warmup, account, now, tz)
    const today = await senderRepo.newConversationsOn(this.deps.db, account.id, localDay(now, tz))
    const capped = plan.active && plan.cap !== null && today >= plan.cap
    const paused = gate.pausedUntil !== null && gate.pausedUntil > now
    const breaker = gate.breaker.snapshot()
    return {
      status: paused
        ? 'paused'
        : breaker.state !== 'closed'
          ? 'breaker_open'
          : capped
            ? 'warmup_capped'
            : 'active',
      pausedUntil: paused ? iso(gate.pausedUntil) : null,
      pauseReason: paused ? gate.pauseReason : null,
      breaker: {
        state: breaker.state,
        consecutiveFailures: breaker.consecutiveFailures,
        openedAt: iso(breaker.openedAt),
        probeAt: breaker.state === 'open' ? iso(breaker.probeAt) : null,
      },
      warmup: {
        active: plan.active,
        day: plan.day,
        cap: plan.cap,
        newConversationsToday: today,
        nextDayAt: capped ? iso(nextLocalMidnight(now, tz)) : null,
      },
    }
  }

  private gate(account: Account): Promise<Gate> {
    let gate = this.gates.get(account.id)
    if (!gate) {
      gate = this.loadGate(account)
      this.gates.set(account.id, gate)
      // A failed load is tried again by the next send.
      gate.catch(() => this.gates.delete(account.id))
    }
    return gate
  }

  private async loadGate(account: Account): Promise<Gate> {
    const row = await senderRepo.findSendingState(this.deps.db, account.id)
    const ms = (t: string | null | undefined) => (t ? Date.parse(t) : null)
    return {
      accountId: account.id,
      pausedUntil: ms(row?.paused_until),
      pauseReason: row?.pause_reason ?? null,
      breaker: new CircuitBreaker(account.settings.breaker, this.now, {
        state: (row?.breaker_state as 'closed' | 'open' | 'half_open' | undefined) ?? 'closed',
        consecutiveFailures: row?.breaker_failures ?? 0,
        openedAt: ms(row?.breaker_opened_at),
        probeAt: ms(row?.breaker_probe_at),
      }),
      waiting: 0,
      inFlight: new Map(),
      day: '',
      opened: new Set(),
      cappedDay: null,
    }
  }

  private async setPause(
    gate: Gate,
    until: number | null,
    reason: string | null,
    why: string,
    force = false,
  ): Promise<void> {
    const unchanged = until === null ? gate.pausedUntil === null : (gate.pausedUntil ?? 0) >= until
    if (unchanged && !force) return
    gate.pausedUntil = until
    gate.pauseReason = until === null ? null : reason
    const account = this.deps.accounts.live(gate.accountId)
    this.deps.logger[until === null ? 'info' : 'warn'](
      { accountId: gate.accountId, pausedUntil: iso(until), reason },
      until === null ? `sending resumed: ${why}` : `sending paused: ${why}`,
    )
    await this.persist(gate)
    if (account) this.announce(account)
  }

  private async breakerChanged(gate: Gate, account: Account, state: string): Promise<void> {
    const snap = gate.breaker.snapshot()
    this.deps.logger[state === 'closed' ? 'info' : 'warn'](
      {
        accountId: account.id,
        breaker: state,
        consecutiveFailures: snap.consecutiveFailures,
        probeAt: iso(snap.probeAt),
      },
      state === 'closed'
        ? 'circuit breaker closed: sends flow again'
        : 'circuit breaker open: sends wait',
    )
    await this.persist(gate)
    this.announce(account)
  }

  private async persist(gate: Gate): Promise<void> {
    const snap = gate.breaker.snapshot()
    await senderRepo.saveSendingState(this.deps.db, {
      account_id: gate.accountId,
      paused_until: iso(gate.pausedUntil),
      pause_reason: gate.pauseReason,
      breaker_state: snap.state,
      breaker_failures: snap.consecutiveFailures,
      breaker_opened_at: iso(snap.openedAt),
      breaker_probe_at: iso(snap.probeAt),
    })
  }

  /** Publishes `account.sending` with the account's health (without holding anyone up). */
  private announce(account: Account): void {
    this.health(account).then(
      (sending) => this.deps.events.publish('account.sending', { accountId: account.id, sending }),
      (err: unknown) => {
        this.deps.logger.error({ err, accountId: account.id }, 'reading sending health failed')
      },
    )
  }

  // ---- small helpers ----

  /** A wait, capped so that waiting sends look again now and then (a resume, a new day). */
  private recheck(ms: number): number {
    const capped = Math.min(Math.max(0, ms), this.recheckMs)
    // Spread a little, so that a crowd of waiting sends does not come back at once.
    return Math.round(capped + this.random() * Math.min(250, capped * 0.1))
  }

  private forgetMessage(id: string): void {
    this.booked.delete(id)
    this.spacing.release(id)
  }

  private pruneNowAndThen(): void {
    const now = this.monotonic()
    if (now - this.prunedAt < 60_000) return
    this.prunedAt = now
    this.spacing.prune()
    for (const [id, at] of this.booked) if (at < now - 10 * 60_000) this.booked.delete(id)
  }

  async move(
    id: string,
    from: readonly MessageStatus[],
    to: MessageStatus,
    extra?: Parameters<typeof repo.transition>[4],
  ): Promise<Message | undefined> {
    const message = await groupWrite(this.deps.db, (db) =>
      repo.transition(db, { id }, from, to, extra),
    )
    if (message) this.deps.events.publish('message.status', message)
    return message
  }

  /** A queued message as its transport takes it (a reaction names the provider's id). */
  private async outbound(accountId: string, message: Message): Promise<OutboundMessage> {
    const type = message.type as OutboundMessageType
    const text = message.text ?? ''
    const content = (message.content ?? { type: 'text', text }) as OutboundContent
    if (content.type === 'reaction' && content.reaction.messageId !== undefined) {
      const target = await repo.externalIdOf(this.deps.db, accountId, content.reaction.messageId)
      if (!target.externalId) {
        // The message reacted to is not sent yet: a retry after it is.
        throw new TransportError(
          'REACTION_TARGET_NOT_SENT',
          'The message reacted to has not been sent yet',
          true,
        )
      }
      return {
        messageId: message.id,
        to: message.phone,
        type,
        text,
        content: { ...content, reaction: { ...content.reaction, externalId: target.externalId } },
      }
    }
    return { messageId: message.id, to: message.phone, type, text, content }
  }
}

/**
 * The wait before the next attempt: exponential backoff from `baseMs` with jitter, capped
 * at `maxMs`, and never sooner than the provider asked (its hint, plus a little jitter so
 * that throttled sends do not come back in lockstep).
 */
export function retryDelay(
  attempt: number,
  hintMs: number | undefined,
  options: { baseMs: number; maxMs: number; random?: () => number },
): number {
  const random = options.random ?? Math.random
  const backoff = backoffDelay(attempt, options.baseMs, options.maxMs, random)
  if (hintMs === undefined || hintMs <= 0) return backoff
  return Math.max(backoff, Math.round(hintMs + random() * Math.min(hintMs * 0.2, 5_000)))
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}
