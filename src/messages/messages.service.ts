import type { Account, AccountsService } from '../accounts/index.js'
import { normalizePhone, upsertContactByPhone } from '../contacts/index.js'
import { groupWrite, transaction, type Db } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import type { EventBus } from '../platform/events/index.js'
import type { LanguagesService } from '../languages/index.js'
import type { Logger } from '../platform/logging.js'
import { sleep } from '../platform/sleep.js'
import { DelayError, type Job, type JobQueue } from '../platform/queue/index.js'
import {
  TransportError,
  type InboundMessage,
  type MediaType,
  type OutboundContent,
  type OutboundMessage,
  type OutboundMessageType,
  type StatusUpdate,
  type Transport,
  type TransportCapabilities,
  type TransportKind,
} from '../transports/index.js'
import type { MediaStore } from '../media/index.js'
import { mediaMaxBytes } from '../media/index.js'
import { mediaIdsOf, readableText } from './content.schemas.js'
import { downloadInboundMedia, needsDownload } from './media-download.js'
import * as repo from './messages.repo.js'
import {
  contentOfSend,
  type ListMessagesQuery,
  type Message,
  type MessageStatus,
  type SendMessageInput,
} from './messages.schemas.js'
import { SendPacer } from './rate-limiter.js'
import { WaitingRoom } from './waiting-room.js'

declare module '../platform/queue/port.js' {
  interface JobRegistry {
    /** Hand one queued outbound message to its account's transport. */
    'message.send': { messageId: string; accountId: string }
    /**
     * Run the bot (and anything else that reacts) on one inbound message; `groupChat` is set
     * for a message written in a group chat.
     */
    'message.process': {
      messageId: string
      groupChat?: { id: string; mentionsAccount: boolean }
    }
    /** Fetch the media of one inbound message from its provider into the media store. */
    'media.download': { messageId: string; accountId: string }
  }
}

declare module '../platform/events/port.js' {
  interface EventRegistry {
    'message.received': Message
    'message.created': Message
    'message.status': Message
    /** A stored message changed other than by status (e.g. its media was downloaded). */
    'message.updated': Message
  }
}

export interface MessagesDeps {
  db: Db
  queue: JobQueue
  events: EventBus
  accounts: AccountsService
  logger: Logger
  /** Where media is stored: sends by `mediaId` are checked against it, downloads go in it. */
  media: MediaStore
  /**
   * What each transport kind can do, for accounts whose transport is not running (a live
   * transport answers for itself). A kind missing here sends text only.
   */
  capabilities: Partial<Record<TransportKind, TransportCapabilities>>
  /** Attempts of a send before the message is failed; default 5. */
  sendAttempts?: number
  /** Detects the language of inbound texts, stores it and infers contacts' languages. */
  languages?: Pick<LanguagesService, 'detect' | 'noteInbound'>
}

/** WhatsApp's customer-service window: free-form messages within 24 h of the contact's last. */
export const SERVICE_WINDOW_MS = 24 * 3600 * 1000

const textOnly: TransportCapabilities = {
  send: ['text'],
  receipts: false,
  pairing: 'none',
  templatesRequired: false,
}

export interface SendOptions {
  /** Two sends with the same key for one account store and send one message. */
  idempotencyKey?: string
}

/** How often a message queued for a disconnected account checks whether it is back. */
const ACCOUNT_WAIT_MS = 5_000

/**
 * Sends one account may have waiting on its provider at once: half the sender's slots, and
 * at ~100 ms a send still more than one WhatsApp number may use (Meta allows about 80/s).
 */
const SENDS_IN_FLIGHT_PER_ACCOUNT = 16
/** How soon a send held back by that limit tries again (no attempt is used up). */
const ACCOUNT_BUSY_WAIT_MS = 50

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
  private readonly sendsInFlight = new Map<string, number>()
  private readonly earlyReceipts = new WaitingRoom<{ update: StatusUpdate }>()

  constructor(private readonly deps: MessagesDeps) {}

  /** Stores an inbound message once, whatever how often the transport reports it. */
  async ingest(
    account: Account,
    inbound: InboundMessage,
  ): Promise<{ messageId: string; duplicate: boolean }> {
    const { db, queue } = this.deps
    const phone = normalizePhone(inbound.from, 'from')
    const language = await this.deps.languages?.detect(inbound.text)
    const stored = await transaction(db, async (trx) => {
      const contactId = await upsertContactByPhone(trx, phone, {
        direction: 'in',
        at: inbound.timestamp,
        profileName: inbound.profileName,
      })
      const conversation = await repo.upsertConversation(
        trx,
        account.id,
        contactId,
        'in',
        inbound.timestamp,
      )
      const content = inbound.content
      const message = await repo.insertMessage(trx, {
        accountId: account.id,
        conversationId: conversation.id,
        contactId,
        phone,
        direction: 'in',
        type: inbound.type,
        text: inbound.text,
        // Plain text is all in `text`: no payload to write or read.
        ...(content && content.type !== 'text' ? { content } : {}),
        status: 'received',
        externalId: inbound.externalId,
        at: inbound.timestamp,
      })
      // Lost a race with the same message: roll back the contact and conversation touch.
      if (!message) throw new DuplicateInbound()
      if (language)
        await this.deps.languages!.noteInbound(trx, { messageId: message.id, contactId, language })
      // The bot answers a conversation's messages one at a time, in the order they came.
      await queue.enqueue(
        'message.process',
        {
          messageId: message.id,
          ...(inbound.group ? { groupChat: inbound.group } : {}),
        },
        { runHere: true, group: message.conversationId },
        trx,
      )
      if (content && needsDownload(content)) {
        await queue.enqueue(
          'media.download',
          { messageId: message.id, accountId: account.id },
          { maxAttempts: 8 },
          trx,
        )
      }
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

  /**
   * Queues a message to a contact; it is sent by the `message.send` job. Refused before
   * anything is stored when the account's transport cannot send its type, when it names
   * media or a message that is not there, or, on transports that need templates, when the
   * contact has not written in the last 24 hours and it is not a template.
   */
  async send(
    input: SendMessageInput,
    options: SendOptions = {},
  ): Promise<{ message: Message; duplicate: boolean }> {
    const { db, queue, accounts } = this.deps
    const account = accounts.live(input.accountId) ?? (await accounts.get(input.accountId))
    const to = normalizePhone(input.to, 'body.to')
    const content = contentOfSend(input)
    const capabilities = this.capabilitiesOf(account)
    if (!capabilities.send.includes(content.type)) {
      throw new AppError(
        'MESSAGE_TYPE_NOT_SUPPORTED',
        `The ${account.transport} transport of account ${account.id} cannot send ${content.type} messages; it sends ${capabilities.send.join(', ')}`,
        [{ path: 'body.type', message: `the account cannot send ${content.type}` }],
      )
    }
    if (content.type !== 'text') await this.checkReferences(account.id, content)
    const windowed = capabilities.templatesRequired && content.type !== 'template'
    const message = await transaction(db, async (trx) => {
      const contactId = await upsertContactByPhone(trx, to, { direction: 'out' })
      const now = Date.now()
      const conversation = await repo.upsertConversation(
        trx,
        account.id,
        contactId,
        'out',
        new Date(now).toISOString(),
      )
      if (windowed) checkServiceWindow(conversation.lastInboundAt, now)
      const inserted = await repo.insertMessage(trx, {
        accountId: account.id,
        conversationId: conversation.id,
        contactId,
        phone: to,
        direction: 'out',
        type: content.type,
        text: readableText(content),
        ...(content.type === 'text' ? {} : { content }),
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
      return { message: this.sameRequest(earlier!, to, content), duplicate: true }
    }
    this.deps.events.publish('message.created', message)
    return { message, duplicate: false }
  }

  /** What the account's transport can send: the live transport's word, else its kind's. */
  private capabilitiesOf(account: Account): TransportCapabilities {
    if (this.deps.accounts.live(account.id)) {
      return this.deps.accounts.transport(account.id).transport.capabilities
    }
    return this.deps.capabilities[account.transport] ?? textOnly
  }

  /** Media and messages a send names must be the account's, and media within its type's limit. */
  private async checkReferences(accountId: string, content: OutboundContent): Promise<void> {
    const template = content.type === 'template'
    const path = template ? 'body.template.components' : 'body.media.mediaId'
    for (const id of mediaIdsOf(content)) {
      const media = await this.deps.media.get(id, path)
      if (media.accountId !== accountId) {
        throw new AppError('MEDIA_NOT_FOUND', `No media of this account has the id ${id}`, [
          { path, message: 'names no media of this account' },
        ])
      }
      const limit = template ? undefined : mediaMaxBytes[content.type as MediaType]
      if (limit !== undefined && media.size > limit) {
        throw new AppError(
          'MEDIA_TOO_LARGE',
          `The media is ${media.size} bytes; a ${content.type} may have ${limit}`,
          [{ path, message: 'is too large for this type' }],
        )
      }
    }
    if (content.type === 'reaction' && content.reaction.messageId !== undefined) {
      const target = await repo.externalIdOf(this.deps.db, accountId, content.reaction.messageId)
      if (!target.found) {
        throw new AppError(
          'MESSAGE_NOT_FOUND',
          `No message of this account has the id ${content.reaction.messageId}`,
          [{ path: 'body.reaction.messageId', message: 'names no message of this account' }],
        )
      }
    }
  }

  /** The `media.download` job: fetch an inbound message's media into the media store. */
  async downloadMedia(job: Job<'media.download'>, signal: AbortSignal): Promise<void> {
    const updated = await downloadInboundMedia(
      { db: this.deps.db, accounts: this.deps.accounts, media: this.deps.media },
      job.data,
      signal,
    )
    if (updated) this.deps.events.publish('message.updated', updated)
  }

  async get(id: string): Promise<Message> {
    const message = await repo.findMessage(this.deps.db, id)
    if (!message) throw new AppError('MESSAGE_NOT_FOUND', `No message has the id ${id}`)
    return message
  }

  /** Messages newest first; `accountIds` narrows them to those accounts (an agent's). */
  list(
    query: Omit<ListMessagesQuery, 'cursor'> & { before?: string; accountIds?: readonly string[] },
  ): Promise<Message[]> {
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
    const { accounts } = this.deps
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
    await this.sendWithin(job, signal, account, transport)
  }

  private async sendWithin(
    job: Job<'message.send'>,
    signal: AbortSignal,
    account: Account,
    transport: Transport,
  ): Promise<void> {
    const { db, logger } = this.deps
    const { messageId } = job.data
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
    const outbound = await this.outbound(account.id, message)
    // One account's slow or hanging API must not take every sender slot from the others:
    // past a few sends waiting on its provider, the next ones wait their turn, queued.
    const waiting = this.sendsInFlight.get(account.id) ?? 0
    if (waiting >= SENDS_IN_FLIGHT_PER_ACCOUNT) {
      this.pacer.release(account.id, rate)
      await this.move(message.id, ['sending'], 'queued')
      throw new DelayError(ACCOUNT_BUSY_WAIT_MS)
    }
    this.sendsInFlight.set(account.id, waiting + 1)
    try {
      const { externalId } = await transport.send(outbound, signal).finally(() => {
        const left = (this.sendsInFlight.get(account.id) ?? 1) - 1
        if (left > 0) this.sendsInFlight.set(account.id, left)
        else this.sendsInFlight.delete(account.id)
      })
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

  private sameRequest(earlier: Message, to: string, content: OutboundContent): Message {
    const same =
      earlier.phone === to &&
      earlier.type === content.type &&
      canonicalJson(earlier.content) === canonicalJson(content)
    if (!same) {
      throw new AppError(
        'IDEMPOTENCY_CONFLICT',
        'This Idempotency-Key was used for a different message',
      )
    }
    return earlier
  }
}

class DuplicateInbound extends Error {}

/** JSON with object keys sorted (PostgreSQL's jsonb hands keys back in its own order). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

/** Refuses a free-form send when the contact last wrote more than 24 hours ago, or never. */
function checkServiceWindow(lastInboundAt: string | null, now: number): void {
  const last = lastInboundAt === null ? Number.NaN : Date.parse(lastInboundAt)
  if (Number.isFinite(last) && now - last < SERVICE_WINDOW_MS) return
  const since =
    lastInboundAt === null
      ? 'has never written to this account'
      : `last wrote at ${new Date(last).toISOString()}`
  throw new AppError(
    'OUTSIDE_SERVICE_WINDOW',
    `The contact ${since}, more than 24 hours ago: WhatsApp only delivers an approved template now. Send one with "type": "template".`,
    [{ path: 'body.type', message: 'must be "template" outside the 24-hour window' }],
  )
}
