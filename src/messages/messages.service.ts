import type { Account, AccountsService } from '../accounts/index.js'
import { normalizePhone, upsertContactByPhone } from '../contacts/index.js'
import { groupWrite, transaction, type Db } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import type { EventBus } from '../platform/events/index.js'
import type { Logger } from '../platform/logging.js'
import { sleep } from '../platform/sleep.js'
import { DelayError, type Job, type JobQueue } from '../platform/queue/index.js'
import { TransportError, type InboundMessage, type StatusUpdate } from '../transports/index.js'
import * as repo from './messages.repo.js'
import type {
  ListMessagesQuery,
  Message,
  MessageStatus,
  SendMessageInput,
} from './messages.schemas.js'
import { SendPacer } from './rate-limiter.js'
import { WaitingRoom } from './waiting-room.js'

declare module '../platform/queue/port.js' {
  interface JobRegistry {
    /** Hand one queued outbound message to its account's transport. */
    'message.send': { messageId: string; accountId: string }
    /** Run the bot (and anything else that reacts) on one inbound message. */
    'message.process': { messageId: string }
  }
}

declare module '../platform/events/port.js' {
  interface EventRegistry {
    'message.received': Message
    'message.created': Message
    'message.status': Message
  }
}

export interface MessagesDeps {
  db: Db
  queue: JobQueue
  events: EventBus
  accounts: AccountsService
  logger: Logger
  /** Attempts of a send before the message is failed; default 5. */
  sendAttempts?: number
}

export interface SendOptions {
  /** Two sends with the same key for one account store and send one message. */
  idempotencyKey?: string
}

/** How often a message queued for a disconnected account checks whether it is back. */
const ACCOUNT_WAIT_MS = 5_000

/** Receipts moved by one statement at most. */
const RECEIPT_CHUNK = 500

/** Which states a receipt may move a message from: statuses only move forward. */
const receiptFrom: Record<StatusUpdate['status'], readonly MessageStatus[]> = {
  sent: ['queued', 'sending', 'uncertain'],
  delivered: ['queued', 'sending', 'uncertain', 'sent'],
  read: ['queued', 'sending', 'uncertain', 'sent', 'delivered'],
  failed: ['queued', 'sending', 'uncertain', 'sent'],
}

/**
 * The message pipeline: ingest what contacts send (idempotently), queue what Linda sends
 * (in the same transaction as its job), hand queued messages to transports within each
 * account's rate, and apply receipts.
 */
export class MessagesService {
  private readonly pacer = new SendPacer()
  private readonly earlyReceipts = new WaitingRoom<{ update: StatusUpdate }>()

  constructor(private readonly deps: MessagesDeps) {}

  /** Stores an inbound message once, whatever how often the transport reports it. */
  async ingest(
    account: Account,
    inbound: InboundMessage,
  ): Promise<{ messageId: string; duplicate: boolean }> {
    const { db, queue } = this.deps
    const phone = normalizePhone(inbound.from, 'from')
    const stored = await transaction(db, async (trx) => {
      const contactId = await upsertContactByPhone(trx, phone, {
        direction: 'in',
        at: inbound.timestamp,
        profileName: inbound.profileName,
      })
      const conversationId = await repo.upsertConversation(
        trx,
        account.id,
        contactId,
        'in',
        inbound.timestamp,
      )
      const message = await repo.insertMessage(trx, {
        accountId: account.id,
        conversationId,
        contactId,
        phone,
        direction: 'in',
        type: inbound.type,
        text: inbound.text,
        status: 'received',
        externalId: inbound.externalId,
        at: inbound.timestamp,
      })
      // Lost a race with the same message: roll back the contact and conversation touch.
      if (!message) throw new DuplicateInbound()
      await queue.enqueue('message.process', { messageId: message.id }, { runHere: true }, trx)
      return message
    }).catch(async (err: unknown) => {
      if (!(err instanceof DuplicateInbound)) throw err
      return undefined
    })
    if (!stored) {
      const id = await repo.findIdByExternalId(db, account.id, inbound.externalId)
      return { messageId: id!, duplicate: true }
    }
    this.deps.events.publish('message.received', stored)
    return { messageId: stored.id, duplicate: false }
  }

  /** Queues a message to a contact; it is sent by the `message.send` job. */
  async send(
    input: SendMessageInput,
    options: SendOptions = {},
  ): Promise<{ message: Message; duplicate: boolean }> {
    const { db, queue, accounts } = this.deps
    const account = accounts.live(input.accountId) ?? (await accounts.get(input.accountId))
    const to = normalizePhone(input.to, 'body.to')
    const message = await transaction(db, async (trx) => {
      const contactId = await upsertContactByPhone(trx, to, { direction: 'out' })
      const conversationId = await repo.upsertConversation(
        trx,
        account.id,
        contactId,
        'out',
        new Date().toISOString(),
      )
      const inserted = await repo.insertMessage(trx, {
        accountId: account.id,
        conversationId,
        contactId,
        phone: to,
        direction: 'out',
        type: input.type,
        text: input.text,
        status: 'queued',
        idempotencyKey: options.idempotencyKey,
      })
      if (inserted) {
        await queue.enqueue(
          'message.send',
          { messageId: inserted.id, accountId: account.id },
          { maxAttempts: this.deps.sendAttempts ?? 5, runHere: true },
          trx,
        )
      }
      return inserted
    })
    if (!message) {
      // The idempotency key was used before: answer with that message.
      const earlier = await repo.findByIdempotencyKey(db, account.id, options.idempotencyKey!)
      return { message: this.sameRequest(earlier!, to, input), duplicate: true }
    }
    this.deps.events.publish('message.created', message)
    return { message, duplicate: false }
  }

  async get(id: string): Promise<Message> {
    const message = await repo.findMessage(this.deps.db, id)
    if (!message) throw new AppError('MESSAGE_NOT_FOUND', `No message has the id ${id}`)
    return message
  }

  list(query: Omit<ListMessagesQuery, 'cursor'> & { before?: string }): Promise<Message[]> {
    const phone = query.phone === undefined ? undefined : normalizePhone(query.phone, 'query.phone')
    return repo.listMessages(this.deps.db, { ...query, phone })
  }

  /**
   * Applies receipts from a transport, in order; receipts never move a message backwards.
   * Receipts of one kind and time (a batch from WhatsApp) move in one statement.
   */
  async applyStatuses(account: Account, updates: readonly StatusUpdate[]): Promise<void> {
    const groups = new Map<string, StatusUpdate[]>()
    for (const update of updates) {
      if (update.status === 'failed') {
        // Each failure carries its own error: one by one.
        await this.applyFailure(account, update)
        continue
      }
      const key = `${update.status}|${update.timestamp}`
      const group = groups.get(key)
      if (group) group.push(update)
      else groups.set(key, [update])
    }
    for (const group of groups.values()) {
      const { status, timestamp } = group[0]!
      for (let i = 0; i < group.length; i += RECEIPT_CHUNK) {
        const chunk = group.slice(i, i + RECEIPT_CHUNK)
        const moved = await repo.transitionMany(
          this.deps.db,
          account.id,
          chunk.map((u) => u.externalId),
          receiptFrom[status],
          status as 'sent' | 'delivered' | 'read',
          timestamp,
        )
        for (const message of moved) this.deps.events.publish('message.status', message)
        if (moved.length < chunk.length) await this.holdEarly(account, chunk, moved)
      }
    }
  }

  private async applyFailure(account: Account, update: StatusUpdate): Promise<void> {
    const message = await repo.transition(
      this.deps.db,
      { accountId: account.id, externalId: update.externalId },
      receiptFrom.failed,
      'failed',
      { at: update.timestamp, ...(update.error ? { error: update.error } : {}) },
    )
    if (message) this.deps.events.publish('message.status', message)
    else await this.holdEarly(account, [update], [])
  }

  /**
   * A receipt can beat the sender to the database: the provider answered the send and
   * reported delivery before its external id was stored. Such receipts wait for it.
   */
  private async holdEarly(
    account: Account,
    updates: readonly StatusUpdate[],
    moved: readonly Message[],
  ): Promise<void> {
    const done = new Set(moved.map((m) => m.externalId))
    const unmoved = updates.filter((u) => !done.has(u.externalId))
    const known = await repo.knownExternalIds(
      this.deps.db,
      account.id,
      unmoved.map((u) => u.externalId),
    )
    for (const update of unmoved) {
      if (!known.has(update.externalId)) {
        this.earlyReceipts.hold(`${account.id}:${update.externalId}`, { update })
      }
    }
  }

  /** The `message.send` job: one attempt at handing a queued message to its transport. */
  async deliver(job: Job<'message.send'>, signal: AbortSignal): Promise<void> {
    try {
      await this.attemptSend(job, signal)
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

  private async attemptSend(job: Job<'message.send'>, signal: AbortSignal): Promise<void> {
    const { db, accounts, logger } = this.deps
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
      await this.move(messageId, ['queued', 'sending'], 'failed', {
        error: { code: 'ACCOUNT_DELETED', message: 'The account was deleted before the send' },
      })
      return
    }
    const { transport } = accounts.transport(account.id)
    const rate = account.settings.sendRatePerSecond
    const wait = this.pacer.reserve(account.id, rate)
    if (wait > 1000) {
      this.pacer.release(account.id, rate)
      throw new DelayError(wait)
    }
    if (wait > 0) await sleep(wait, signal)

    // The common case in one statement: a queued message becomes `sending`.
    let message = await this.move(messageId, ['queued'], 'sending')
    if (!message) {
      this.pacer.release(account.id, rate)
      const current = await repo.findMessage(db, messageId)
      // Sent, failed or gone already: this run of the job has nothing to do.
      if (current?.status !== 'sending') return
      // The previous attempt was cut short after it may have reached WhatsApp.
      if (account.settings.uncertainPolicy === 'mark') {
        logger.warn({ messageId }, 'send interrupted by a crash; marked uncertain')
        await this.move(messageId, ['sending'], 'uncertain', {
          error: {
            code: 'SEND_INTERRUPTED',
            message: 'The send was interrupted; it may or may not have been delivered',
          },
        })
        return
      }
      message = current
    }
    try {
      const { externalId } = await transport.send(
        { messageId: message.id, to: message.phone, type: message.type, text: message.text ?? '' },
        signal,
      )
      await this.move(message.id, ['sending'], 'sent', { externalId, error: null })
      const early = this.earlyReceipts.take(`${account.id}:${externalId}`)
      if (early.length > 0)
        await this.applyStatuses(
          account,
          early.map((e) => e.update),
        )
    } catch (err) {
      const lastAttempt = job.attempt >= job.maxAttempts
      const error =
        err instanceof TransportError
          ? { code: err.code, message: err.message }
          : { code: 'SEND_FAILED', message: err instanceof Error ? err.message : String(err) }
      if (
        err instanceof TransportError &&
        err.deliveryUnknown &&
        account.settings.uncertainPolicy === 'mark'
      ) {
        // It may have gone out: a person decides rather than a retry sending it twice.
        logger.warn({ messageId: message.id, error }, 'send outcome unknown; marked uncertain')
        await this.move(message.id, ['sending'], 'uncertain', { error })
        return
      }
      const retry = !(err instanceof TransportError) || err.retryable || err.deliveryUnknown
      if (retry && !lastAttempt) {
        await this.move(message.id, ['sending'], 'queued', { error })
        if (err instanceof TransportError && err.retryAfterMs)
          throw new DelayError(err.retryAfterMs)
        throw err
      }
      logger.warn({ messageId: message.id, error }, 'message failed')
      await this.move(message.id, ['sending'], 'failed', { error })
    }
  }

  private async move(
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

  private sameRequest(earlier: Message, to: string, input: SendMessageInput): Message {
    if (earlier.phone !== to || earlier.text !== input.text || earlier.type !== input.type) {
      throw new AppError(
        'IDEMPOTENCY_CONFLICT',
        'This Idempotency-Key was used for a different message',
      )
    }
    return earlier
  }
}

class DuplicateInbound extends Error {}
