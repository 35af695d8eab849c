import { createHash } from 'node:crypto'
import type { Account, AccountsService, SendingHealth } from '../accounts/index.js'
import { contactOptedOut, normalizePhone, upsertContactByPhone } from '../contacts/index.js'
import { newId } from '../platform/ids.js'
import { transaction, type Db } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import type { EventBus } from '../platform/events/index.js'
import type { LanguagesService } from '../languages/index.js'
import type { Logger } from '../platform/logging.js'
import type { Job, JobQueue } from '../platform/queue/index.js'
import type {
  InboundMessage,
  MediaType,
  OutboundContent,
  StatusUpdate,
  TransportCapabilities,
  TransportKind,
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
  type SendOrigin,
} from './messages.schemas.js'
import { mayReachOptedOut } from './opt-out.js'
import { Sender, type SenderOptions } from './sender.js'
import * as senderRepo from './sender.repo.js'
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
  /** Retry timing and the like (see SenderOptions); tests make them short. */
  sender?: SenderOptions
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
  /**
   * Who asks: decides what may reach a contact who opted out (see `mayReachOptedOut`).
   * Default `api`.
   */
  origin?: SendOrigin
  /** Linda's own key: two sends with the same key for one account store one message. */
  idempotencyKey?: string
  /**
   * An API client's `Idempotency-Key`, scoped to the client: the same key with the same
   * request answers the first message (for 24 hours); with another request, a conflict.
   */
  requestKey?: { scope: string; key: string }
}

/** How long an `Idempotency-Key` of the API is kept. */
export const REQUEST_KEY_TTL_MS = 24 * 3600 * 1000

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
  private readonly earlyReceipts = new WaitingRoom<{ update: StatusUpdate }>()
  private readonly sender: Sender
  private keysPurgedAt = 0

  constructor(private readonly deps: MessagesDeps) {
    this.sender = new Sender(
      {
        db: deps.db,
        events: deps.events,
        accounts: deps.accounts,
        logger: deps.logger,
        onSent: (account, externalId) => this.applyEarly(account, externalId),
      },
      { ...deps.sender, attempts: deps.sendAttempts ?? deps.sender?.attempts },
    )
  }

  /** Receipts that came before the send's external id was stored, applied now. */
  private async applyEarly(account: Account, externalId: string): Promise<void> {
    const early = this.earlyReceipts.take(`${account.id}:${externalId}`)
    if (early.length > 0) {
      await this.applyStatuses(
        account,
        early.map((e) => e.update),
      )
    }
  }

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
    const origin = options.origin ?? 'api'
    const transactional = input.transactional === true
    const { requestKey } = options
    // A request sent again is answered as it was the first time, whatever changed since
    // (the service window closed, the contact opted out): it is the same request.
    const requestHash = requestKey && hashRequest(account.id, to, input)
    if (requestKey && requestHash) {
      const earlier = await this.replayed(requestKey, requestHash)
      if (earlier) return { message: earlier, duplicate: true }
      await this.purgeKeysNowAndThen()
    }
    const capabilities = this.capabilitiesOf(account)
    if (!capabilities.send.includes(content.type)) {
      throw new AppError(
        'MESSAGE_TYPE_NOT_SUPPORTED',
        `The ${account.transport} transport of account ${account.id} cannot send ${content.type} messages; it sends ${capabilities.send.join(', ')}`,
        [{ path: 'body.type', message: `the account cannot send ${content.type}` }],
      )
    }
    if (content.type !== 'text') await this.checkReferences(account.id, content)
    const answered =
      input.replyTo === undefined ? undefined : await this.answered(account, to, input.replyTo)
    const windowed = capabilities.templatesRequired && content.type !== 'template'
    let message: Message | undefined
    try {
      message = await transaction(db, async (trx) => {
        const contactId = await upsertContactByPhone(trx, to, { direction: 'out' })
        const now = Date.now()
        if (await contactOptedOut(trx, contactId)) {
          checkOptOut(origin, transactional, answered, now)
        }
        const conversation = await repo.upsertConversation(
          trx,
          account.id,
          contactId,
          'out',
          new Date(now).toISOString(),
        )
        if (windowed) checkServiceWindow(conversation.lastInboundAt, now)
        const id = newId()
        if (requestKey && requestHash) {
          const kept = await senderRepo.saveRequestKey(trx, {
            ...requestKey,
            requestHash,
            messageId: id,
            ttlMs: REQUEST_KEY_TTL_MS,
          })
          // A concurrent request with the same key won: answer with its message.
          if (!kept) throw new RequestKeyTaken()
        }
        const inserted = await repo.insertMessage(trx, {
          id,
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
          origin,
          replyTo: input.replyTo,
          transactional,
        })
        if (inserted) {
          await queue.enqueue(
            'message.send',
            { messageId: inserted.id, accountId: account.id },
            { maxAttempts: this.sender.maxAttempts, runHere: true },
            trx,
          )
        }
        return inserted
      })
    } catch (err) {
      if (!(err instanceof RequestKeyTaken) || !requestKey || !requestHash) throw err
      const earlier = await this.replayed(requestKey, requestHash)
      if (!earlier) throw err
      return { message: earlier, duplicate: true }
    }
    if (!message) {
      // The idempotency key was used before: answer with that message.
      const earlier = await repo.findByIdempotencyKey(db, account.id, options.idempotencyKey!)
      return { message: this.sameRequest(earlier!, to, content), duplicate: true }
    }
    this.deps.events.publish('message.created', message)
    return { message, duplicate: false }
  }

  /**
   * The message a request with this Idempotency-Key created, if the key is live; a
   * conflict when the key was used for another request.
   */
  private async replayed(
    requestKey: NonNullable<SendOptions['requestKey']>,
    requestHash: string,
  ): Promise<Message | undefined> {
    const { db } = this.deps
    const kept = await senderRepo.findRequestKey(db, requestKey.scope, requestKey.key)
    if (!kept || Date.parse(kept.expiresAt) <= Date.now()) return undefined
    const message = await repo.findMessage(db, kept.messageId)
    // Its message was purged with its account: the key is free again.
    if (!message) return undefined
    if (kept.requestHash !== requestHash) {
      throw new AppError(
        'IDEMPOTENCY_CONFLICT',
        `The Idempotency-Key "${requestKey.key}" was used at ${message.createdAt} for another request (message ${message.id}); use a new key for a new message`,
        [{ path: 'headers.idempotency-key', message: 'was used for a different request' }],
      )
    }
    return message
  }

  /** Deletes expired Idempotency-Keys, at most once a minute. */
  private async purgeKeysNowAndThen(): Promise<void> {
    const now = Date.now()
    if (now - this.keysPurgedAt < 60_000) return
    this.keysPurgedAt = now
    const purged = await senderRepo.purgeRequestKeys(this.deps.db)
    if (purged > 0) this.deps.logger.debug({ purged }, 'expired Idempotency-Keys deleted')
  }

  /** The inbound message a send answers: one the same contact sent to the same account. */
  private async answered(account: Account, to: string, replyTo: string): Promise<Message> {
    const message = await repo.findMessage(this.deps.db, replyTo)
    if (
      !message ||
      message.direction !== 'in' ||
      message.accountId !== account.id ||
      message.phone !== to
    ) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Message ${replyTo} is not a message ${to} sent to account ${account.id}`,
        [
          {
            path: 'body.replyTo',
            message: 'must be the id of a message the recipient sent to this account',
          },
        ],
      )
    }
    return message
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
  deliver(job: Job<'message.send'>, signal: AbortSignal): Promise<void> {
    return this.sender.deliver(job, signal)
  }

  /**
   * Sends a failed or uncertain outbound message again, with its attempts renewed.
   * Idempotent: a message already queued again (or on its way) is answered as it is.
   */
  async retry(id: string): Promise<Message> {
    const { db, queue } = this.deps
    const requeued = await transaction(db, async (trx) => {
      const message = await repo.requeueForRetry(trx, id)
      if (message) {
        await queue.enqueue(
          'message.send',
          { messageId: message.id, accountId: message.accountId },
          { maxAttempts: this.sender.maxAttempts, runHere: true },
          trx,
        )
      }
      return message
    })
    if (requeued) {
      this.deps.logger.info({ messageId: id }, 'message queued again by hand')
      this.deps.events.publish('message.status', requeued)
      return requeued
    }
    const current = await this.get(id)
    if (
      current.direction === 'out' &&
      (current.status === 'queued' || current.status === 'sending')
    ) {
      return current
    }
    throw new AppError(
      'MESSAGE_NOT_RETRYABLE',
      current.direction === 'in'
        ? `Message ${id} was received, not sent: there is nothing to retry`
        : `Message ${id} is ${current.status}: only failed or uncertain messages are sent again`,
    )
  }

  /** Lifts the account's pause and closes its breaker; returns its sending health. */
  async resumeSending(accountId: string): Promise<SendingHealth> {
    const account = this.deps.accounts.live(accountId) ?? (await this.deps.accounts.get(accountId))
    return this.sender.resume(account)
  }

  /** How the account's sending is doing (shown on its health). */
  sendingHealth(account: Account): Promise<SendingHealth> {
    return this.sender.health(account)
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
class RequestKeyTaken extends Error {}

/** The fingerprint of a send request: what it asks for, not how it was spelt. */
function hashRequest(accountId: string, to: string, input: SendMessageInput): string {
  const content = contentOfSend(input)
  return createHash('sha256')
    .update(
      canonicalJson({
        accountId,
        to,
        content,
        replyTo: input.replyTo ?? null,
        transactional: input.transactional === true,
      }),
    )
    .digest('hex')
}

/** Refuses what may not reach a contact who opted out (see `mayReachOptedOut`). */
function checkOptOut(
  origin: SendOrigin,
  transactional: boolean,
  answered: Message | undefined,
  now: number,
): void {
  const answersContact =
    answered !== undefined && now - Date.parse(answered.createdAt) < SERVICE_WINDOW_MS
  if (mayReachOptedOut({ origin, transactional, answersContact })) return
  const hint =
    origin === 'api'
      ? ' An API send reaches them only when it is transactional ("transactional": true), such as an order update or a one-time code.'
      : origin === 'campaign' || origin === 'schedule'
        ? ''
        : ` A ${origin} message reaches them only as an answer to a message they sent in the last 24 hours.`
  throw new AppError(
    'CONTACT_OPTED_OUT',
    `The contact opted out of messages: a ${origin} message is not sent to them.${hint}`,
    [{ path: 'body.to', message: 'opted out of messages' }],
  )
}

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
