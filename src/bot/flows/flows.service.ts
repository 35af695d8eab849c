import type { z } from 'zod'
import type { AccountsService } from '../../accounts/index.js'
import type { Message, MessagesService } from '../../messages/index.js'
import { transaction, type Db } from '../../platform/db/index.js'
import { AppError, type FieldError } from '../../platform/errors.js'
import { newId } from '../../platform/ids.js'
import type { Logger } from '../../platform/logging.js'
import type { Job, JobQueue } from '../../platform/queue/index.js'
import type { OutboundContent } from '../../transports/index.js'
import { words } from '../matcher.js'
import type { Answer } from './flows.answers.js'
import {
  findStep,
  runFlow,
  type EndReason,
  type FlowEffect,
  type RunResult,
} from './flows.engine.js'
import * as repo from './flows.repo.js'
import {
  codeFlowSchema,
  definitionKeys,
  flowDefinitionSchema,
  type CodeFlowInput,
  type CreateFlowInput,
  type Flow,
  type FlowDefinition,
  type UpdateFlowInput,
} from './flows.schemas.js'
import { interpolate, type ContactView } from './flows.values.js'
import { httpWebhookCaller, refusedUrl, type WebhookCaller } from './flows.webhook.js'

declare module '../../platform/queue/port.js' {
  interface JobRegistry {
    /**
     * A conversation left a flow's question unanswered: remind the contact, then end the
     * flow. `turn` is the session's turn when it was scheduled (a later answer makes it moot).
     */
    'flow.idle': { conversationId: string; turn: number; stage: 'remind' | 'expire' }
  }
}

/** What a flow did, or (in a dry run) would do, with one message. */
export interface FlowOutcome {
  flowId: string
  flowVersion: number
  /** The ask the conversation now waits at, or the step the flow ended (or stopped) on. */
  stepId: string
  ended: boolean
  endReason: EndReason | null
  /** `answer`: waits for the contact at an ask; `webhook`: a dry run stopped before a call. */
  waitingFor: 'answer' | 'webhook' | null
  /** The messages sent (dry run: that would be sent), in order. */
  sends: OutboundContent[]
  /** Changes besides sending: attributes, tags, handoff, webhook calls, jumps. */
  effects: FlowEffect[]
  /** The flow's variables after the message. */
  vars: Record<string, unknown>
  /** The steps run, in order. */
  trace: Array<{ flowId: string; stepId: string }>
  dryRun: boolean
  /** The message had been handled already (a retried job): nothing was done again. */
  replayed: boolean
}

/** What the bot dispatcher calls: the flow engine behind conversations. */
export interface FlowRuntime {
  /** The conversation's active flow handles this inbound message; null when none is active. */
  handle(message: Message, options?: { dryRun?: boolean }): Promise<FlowOutcome | null>
  /** Starts a flow for the message's conversation (from a rule action, a command, the API). */
  start(
    message: Message,
    flowId: string,
    options?: { dryRun?: boolean; vars?: Record<string, unknown> },
  ): Promise<FlowOutcome>
}

/** Which flow a message's keywords start, if any. */
export interface FlowTriggers {
  /**
   * The first enabled flow of the message's account (or of every account) with a keyword
   * the message contains as whole words, ignoring case and accents; null when none. Flows
   * defined in code are tried first, then stored flows, oldest first.
   */
  matchTrigger(message: Pick<Message, 'accountId' | 'text'>): Promise<FlowTrigger | null>
}

export interface FlowTrigger {
  flowId: string
  keyword: string
}

/** The fields of a message a flow reads. */
type FlowMessage = Pick<
  Message,
  'id' | 'accountId' | 'conversationId' | 'contactId' | 'phone' | 'text' | 'content'
>

export interface FlowsDeps {
  db: Db
  queue: JobQueue
  messages: Pick<MessagesService, 'send'>
  accounts: Pick<AccountsService, 'get'>
  logger: Logger
  /** Webhook steps may call loopback addresses (tests, an integration on this machine). */
  allowLoopbackWebhooks?: boolean
  /** How webhook steps call out; default Node's HTTP client behind the private-network guard. */
  callWebhook?: WebhookCaller
}

/** How long the trigger list is trusted before it is read again (other processes may edit it). */
const TRIGGERS_TTL_MS = 5_000

interface TriggerEntry {
  flowId: string
  accountId: string | null
  keyword: string
  words: string[]
  /** Its place in the order flows are tried. */
  rank: number
}

/** The keywords of the enabled flows, by their first word: a message costs one look-up a word. */
interface TriggerIndex {
  at: number
  byFirstWord: Map<string, TriggerEntry[]>
}

function definitionOf(flow: FlowDefinition): FlowDefinition {
  const def: Record<string, unknown> = {}
  for (const key of definitionKeys) if (flow[key] !== undefined) def[key] = flow[key]
  return def as unknown as FlowDefinition
}

function fieldErrors(error: z.ZodError, prefix: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.'),
    message: issue.message,
  }))
}

function invalid(detail: string, errors: FieldError[]): AppError {
  return new AppError('VALIDATION_FAILED', detail, errors)
}

/** A reply's id (buttons, lists) picks a choice as surely as its title. */
function answerOf(message: FlowMessage): Answer {
  const content = message.content
  if (content?.type === 'button_reply' || content?.type === 'list_reply') {
    return { text: message.text, replyId: content.reply.id }
  }
  if (content?.type === 'button' && content.button.payload !== undefined) {
    return { text: message.text, replyId: content.button.payload }
  }
  return { text: message.text }
}

function phraseAt(haystack: string[], at: number, needle: string[]): boolean {
  if (at + needle.length > haystack.length) return false
  for (let j = 1; j < needle.length; j++) if (haystack[at + j] !== needle[j]) return false
  return true
}

/**
 * Conversation flows: their definitions (stored and versioned, or registered from code),
 * and the runtime that moves each conversation through its flow, one message at a time,
 * with its place saved so that a restart goes on where it was.
 */
export class FlowsService implements FlowRuntime, FlowTriggers {
  private readonly registry = new Map<string, Flow>()
  private triggerCache: TriggerIndex | undefined
  private readonly callWebhook: WebhookCaller

  constructor(private readonly deps: FlowsDeps) {
    this.callWebhook =
      deps.callWebhook ?? httpWebhookCaller({ allowLoopback: deps.allowLoopbackWebhooks ?? false })
  }

  // ---- definitions ----

  async createFlow(input: CreateFlowInput): Promise<Flow> {
    if (input.accountId !== null) await this.deps.accounts.get(input.accountId)
    const definition = definitionOf(input)
    await this.checkReferences(definition, 'body')
    const flow = await transaction(this.deps.db, (trx) =>
      repo.insertFlow(
        trx,
        { id: newId(), name: input.name, accountId: input.accountId, enabled: input.enabled },
        definition,
      ),
    )
    this.triggerCache = undefined
    return flow
  }

  listFlows(page: { limit: number; after?: string }): Promise<Flow[]> {
    return repo.listFlows(this.deps.db, page)
  }

  /** A flow by id: one defined in code, or a stored one (its current version). */
  async getFlow(id: string): Promise<Flow> {
    const flow = this.registry.get(id) ?? (await repo.findFlow(this.deps.db, id))
    if (!flow) throw new AppError('FLOW_NOT_FOUND', `No flow has the id ${id}`)
    return flow
  }

  /** A stored flow as it was at one of its versions. */
  async getFlowVersion(
    id: string,
    version: number,
  ): Promise<{ flowId: string; version: number; definition: FlowDefinition; createdAt: string }> {
    const code = this.registry.get(id)
    if (code) {
      if (code.version !== version) {
        throw new AppError(
          'FLOW_NOT_FOUND',
          `The flow ${id} is defined in code; only its version ${code.version} is known`,
        )
      }
      return { flowId: id, version, definition: definitionOf(code), createdAt: '' }
    }
    const found = await repo.findFlowVersion(this.deps.db, id, version)
    if (!found) throw new AppError('FLOW_NOT_FOUND', `The flow ${id} has no version ${version}`)
    return { flowId: id, version, definition: definitionOf(found.flow), createdAt: found.createdAt }
  }

  /**
   * Changes a stored flow. A change to its steps or settings makes a new version; contacts
   * in the middle of the flow go on with the version they started.
   */
  async updateFlow(id: string, change: UpdateFlowInput): Promise<Flow> {
    this.refuseCodeFlow(id)
    const current = await repo.findFlow(this.deps.db, id)
    if (!current) throw new AppError('FLOW_NOT_FOUND', `No flow has the id ${id}`)
    if (change.accountId) await this.deps.accounts.get(change.accountId)
    const touched = definitionKeys.filter((key) => change[key] !== undefined)
    let definition: FlowDefinition | undefined
    if (touched.length > 0) {
      const merged = { ...definitionOf(current), ...definitionOf(change as FlowDefinition) }
      const parsed = flowDefinitionSchema.safeParse(merged)
      if (!parsed.success) {
        const errors = fieldErrors(parsed.error, 'body')
        throw invalid(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
      }
      definition = parsed.data
      await this.checkReferences(definition, 'body')
    }
    const flow = await transaction(this.deps.db, async (trx) => {
      const version = definition ? current.version + 1 : undefined
      const updated = await repo.updateFlow(trx, id, {
        name: change.name,
        accountId: change.accountId,
        enabled: change.enabled,
        definition,
        version,
      })
      if (updated && definition && version) {
        await repo.insertFlowVersion(trx, id, version, definition)
      }
      return updated
    })
    if (!flow) throw new AppError('FLOW_NOT_FOUND', `No flow has the id ${id}`)
    this.triggerCache = undefined
    return flow
  }

  /** Deletes a stored flow; the conversations in it leave it (without a message). */
  async deleteFlow(id: string): Promise<void> {
    this.refuseCodeFlow(id)
    const deleted = await transaction(this.deps.db, async (trx) => {
      await repo.endSessionsOfFlow(trx, id, 'flow_deleted')
      return repo.deleteFlow(trx, id)
    })
    if (!deleted) throw new AppError('FLOW_NOT_FOUND', `No flow has the id ${id}`)
    this.triggerCache = undefined
  }

  /**
   * Adds a flow defined in TypeScript (`defineFlow`), from app code or a plugin. Its id
   * must be free; it is not stored (register it on every start). Refused with
   * VALIDATION_FAILED naming the field when the definition is not valid.
   */
  registerFlow(def: CodeFlowInput | Flow): Flow {
    const flow = 'source' in def && def.source === 'code' ? def : defineFlow(def as CodeFlowInput)
    if (this.registry.has(flow.id)) {
      throw invalid(`A flow with the id ${flow.id} is registered already`, [
        { path: 'flow.id', message: 'is taken' },
      ])
    }
    const errors = this.webhookUrlErrors(flow, 'flow')
    if (errors.length > 0) throw invalid(errors[0]!.message, errors)
    this.registry.set(flow.id, flow)
    this.triggerCache = undefined
    return flow
  }

  /** The flows registered from code. */
  codeFlows(): Flow[] {
    return [...this.registry.values()]
  }

  private refuseCodeFlow(id: string): void {
    if (this.registry.has(id)) {
      throw new AppError('FLOW_READ_ONLY', `The flow ${id} is defined in code; change it there`)
    }
  }

  private webhookUrlErrors(def: FlowDefinition, prefix: string): FieldError[] {
    const allow = this.deps.allowLoopbackWebhooks ?? false
    return def.steps.flatMap((step, i) => {
      if (step.type !== 'webhook') return []
      const why = refusedUrl(step.url, allow)
      return why ? [{ path: `${prefix}.steps.${i}.url`, message: why }] : []
    })
  }

  /** Webhook URLs must be public and jumps must name a flow. */
  private async checkReferences(def: FlowDefinition, prefix: string): Promise<void> {
    const errors = this.webhookUrlErrors(def, prefix)
    for (const [i, step] of def.steps.entries()) {
      if (step.type !== 'jump') continue
      if (this.registry.has(step.flow)) continue
      if (await repo.findFlow(this.deps.db, step.flow)) continue
      errors.push({ path: `${prefix}.steps.${i}.flow`, message: `names no flow ("${step.flow}")` })
    }
    if (errors.length > 0) {
      throw invalid(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
    }
  }

  // ---- the runtime ----

  async handle(
    message: FlowMessage,
    options: { dryRun?: boolean } = {},
  ): Promise<FlowOutcome | null> {
    const dryRun = options.dryRun ?? false
    const session = await repo.findSession(this.deps.db, message.conversationId)
    if (!session) return null
    // A retried job, after the message was handled: it is handled, and nothing is redone.
    if (session.lastMessageId === message.id) return this.replay(message, session, dryRun)
    if (session.status !== 'active') return null
    const end = async (reason: EndReason) => {
      if (!dryRun) await this.endSession(session, reason)
      return null
    }
    if (session.expiresAt !== null && Date.parse(session.expiresAt) <= Date.now()) {
      return end('expired')
    }
    const flow = await this.flowAt(session.flowId, session.flowVersion)
    if (!flow) return end('flow_deleted')
    // A flow defined in code may have changed under the conversation: it goes on at the
    // same step when that is still there (and still a question), else it leaves the flow.
    if (findStep(flow, session.stepId)?.type !== 'ask') return end('flow_changed')
    const contact = await this.contactOf(message)
    const run = await runFlow({
      flow,
      state: { stepId: session.stepId, vars: session.vars, retries: session.retries },
      answer: answerOf(message),
      contact,
      loadFlow: (id) => this.latestEnabled(id),
      ...(dryRun ? {} : { callWebhook: this.callWebhook }),
    })
    return this.finish(message, session, contact, run, dryRun)
  }

  async start(
    message: FlowMessage,
    flowId: string,
    options: { dryRun?: boolean; vars?: Record<string, unknown> } = {},
  ): Promise<FlowOutcome> {
    const dryRun = options.dryRun ?? false
    const flow = await this.getFlow(flowId)
    if (!flow.enabled) throw new AppError('FLOW_DISABLED', `The flow ${flowId} is disabled`)
    if (flow.accountId !== null && flow.accountId !== message.accountId) {
      throw new AppError(
        'FLOW_NOT_FOUND',
        `The flow ${flowId} runs on another account than ${message.accountId}`,
      )
    }
    const previous = await repo.findSession(this.deps.db, message.conversationId)
    if (previous?.lastMessageId === message.id) return this.replay(message, previous, dryRun)
    const contact = await this.contactOf(message)
    const run = await runFlow({
      flow,
      state: null,
      answer: answerOf(message),
      contact,
      vars: options.vars ?? {},
      loadFlow: (id) => this.latestEnabled(id),
      ...(dryRun ? {} : { callWebhook: this.callWebhook }),
    })
    return this.finish(message, previous, contact, run, dryRun)
  }

  async matchTrigger(message: Pick<Message, 'accountId' | 'text'>): Promise<FlowTrigger | null> {
    if (!message.text) return null
    const index = await this.triggers()
    if (index.byFirstWord.size === 0) return null
    const textWords = words(message.text)
    let best: TriggerEntry | undefined
    for (let i = 0; i < textWords.length; i++) {
      for (const t of index.byFirstWord.get(textWords[i]!) ?? []) {
        if (best && t.rank >= best.rank) break
        if (t.accountId !== null && t.accountId !== message.accountId) continue
        if (phraseAt(textWords, i, t.words)) best = t
      }
    }
    return best ? { flowId: best.flowId, keyword: best.keyword } : null
  }

  /** The `flow.idle` job: a question left unanswered gets one reminder, then the flow ends. */
  async idle(job: Job<'flow.idle'>): Promise<void> {
    const { conversationId, turn, stage } = job.data
    const { db, queue, logger } = this.deps
    const session = await repo.findSession(db, conversationId)
    if (!session || session.status !== 'active' || session.turn !== turn) return
    const flow = await this.flowAt(session.flowId, session.flowVersion)
    if (!flow) return void (await this.endSession(session, 'flow_deleted'))
    const mayWrite = await repo.mayRemind(db, conversationId)
    const contact = await repo.findContactView(db, session.contactId)
    const say = async (text: string | null) => {
      if (!mayWrite || !contact || text === null) return
      const filled = interpolate(text, { vars: session.vars, contact, text: null }).slice(0, 4096)
      if (filled.trim() === '') return
      await this.sendOne(
        { accountId: session.accountId, phone: session.phone },
        { type: 'text', text: filled },
        `flow-idle:${conversationId}:${turn}:${stage}`,
      )
    }
    if (stage === 'expire') {
      // Ended before the goodbye: an answer to it starts afresh, it does not reach the flow.
      if (!(await this.endSession(session, 'expired'))) return
      logger.debug({ conversationId, flowId: flow.id }, 'flow expired')
      return say(flow.idle.expiredText)
    }
    await say(flow.idle.reminderText)
    await transaction(db, async (trx) => {
      const saved = await repo.saveSession(
        trx,
        { ...session, reminded: true, updatedAt: new Date().toISOString() },
        turn,
      )
      if (!saved) return
      await queue.enqueue(
        'flow.idle',
        { conversationId, turn, stage: 'expire' },
        {
          runAt: session.expiresAt ?? new Date(Date.now() + flow.idle.timeoutSeconds * 1000),
          dedupeKey: `flow.idle:${conversationId}:${turn}:expire`,
        },
        trx,
      )
    })
  }

  // ---- inside ----

  /** The flow a session runs: the stored version it started, or the code flow as it is now. */
  private async flowAt(id: string, version: number): Promise<Flow | undefined> {
    const code = this.registry.get(id)
    if (code) return code
    return (await repo.findFlowVersion(this.deps.db, id, version))?.flow
  }

  private async latestEnabled(id: string): Promise<Flow | undefined> {
    const flow = this.registry.get(id) ?? (await repo.findFlow(this.deps.db, id))
    return flow?.enabled ? flow : undefined
  }

  private async contactOf(message: FlowMessage): Promise<ContactView> {
    return (
      (await repo.findContactView(this.deps.db, message.contactId)) ?? {
        id: message.contactId,
        phone: message.phone,
        name: null,
        language: null,
        tags: [],
        attributes: {},
      }
    )
  }

  private async triggers(): Promise<TriggerIndex> {
    const cached = this.triggerCache
    if (cached && Date.now() - cached.at < TRIGGERS_TTL_MS) return cached
    const stored = await repo.listFlows(this.deps.db, { enabledOnly: true })
    const byFirstWord = new Map<string, TriggerEntry[]>()
    let rank = 0
    for (const flow of [...this.registry.values(), ...stored]) {
      if (!flow.enabled) continue
      for (const keyword of flow.keywords) {
        const entry = {
          flowId: flow.id,
          accountId: flow.accountId,
          keyword,
          words: words(keyword),
          rank: rank++,
        }
        const first = entry.words[0]
        if (first === undefined) continue
        const list = byFirstWord.get(first) ?? []
        list.push(entry)
        byFirstWord.set(first, list)
      }
    }
    this.triggerCache = { at: Date.now(), byFirstWord }
    return this.triggerCache
  }

  private async sendOne(
    to: { accountId: string; phone: string },
    content: OutboundContent,
    idempotencyKey: string,
  ): Promise<void> {
    try {
      await this.deps.messages.send(
        { accountId: to.accountId, to: to.phone, ...content } as Parameters<
          MessagesService['send']
        >[0],
        { idempotencyKey },
      )
    } catch (err) {
      // A refusal (the account cannot send it, the service window closed) will not change
      // on a retry: the flow goes on without that message.
      if (!(err instanceof AppError)) throw err
      this.deps.logger.warn(
        { err, accountId: to.accountId, idempotencyKey },
        'flow message refused',
      )
    }
  }

  private async endSession(session: repo.FlowSession, reason: EndReason): Promise<boolean> {
    return repo.saveSession(
      this.deps.db,
      {
        ...session,
        status: 'ended',
        endReason: reason,
        turn: session.turn + 1,
        expiresAt: null,
        outbox: [],
        updatedAt: new Date().toISOString(),
      },
      session.turn,
    )
  }

  /**
   * Carries out a run: in one transaction the conversation's new place (with the messages
   * to send), the contact's changes and the idle timer; then the messages, each keyed by the
   * inbound message and its place in the run. Nothing reaches the contact before the place
   * is saved (their next message finds it), and a job retried after the save sends what it
   * had not sent yet, never anything twice.
   */
  private async finish(
    message: FlowMessage,
    previous: repo.FlowSession | undefined,
    contact: ContactView,
    run: RunResult,
    dryRun: boolean,
  ): Promise<FlowOutcome> {
    const outcome = outcomeOf(run, dryRun)
    if (dryRun) return outcome
    const { db, queue, logger } = this.deps
    const now = Date.now()
    const waiting = run.status === 'waiting'
    const timeoutMs = run.flow.idle.timeoutSeconds * 1000
    const continuing = previous?.status === 'active' && previous.flowId === run.flow.id
    const session: repo.FlowSession = {
      conversationId: message.conversationId,
      accountId: message.accountId,
      contactId: message.contactId,
      phone: message.phone,
      flowId: run.flow.id,
      flowVersion: run.flow.version,
      stepId: run.stepId,
      vars: run.vars,
      retries: run.retries,
      status: waiting ? 'active' : 'ended',
      endReason: run.endReason,
      turn: (previous?.turn ?? 0) + 1,
      reminded: false,
      lastMessageId: message.id,
      outbox: run.sends.map((send, i) => ({
        key: `flow:${message.id}:${i}:${send.stepId}`,
        content: send.content,
      })),
      startedAt: continuing ? previous.startedAt : new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      expiresAt: waiting ? new Date(now + 2 * timeoutMs).toISOString() : null,
    }
    const change = contactChange(contact, run)
    await transaction(db, async (trx) => {
      const saved = await repo.saveSession(trx, session, previous?.turn)
      if (!saved) {
        // Another handler moved the conversation on meanwhile (nothing was sent): the job
        // runs again on the new state.
        throw new Error(`the flow session of conversation ${message.conversationId} moved on`)
      }
      if (change) await repo.changeContact(trx, message.contactId, change)
      if (run.effects.some((e) => e.type === 'handoff')) {
        await repo.pauseBot(trx, message.conversationId)
      }
      if (waiting) {
        await queue.enqueue(
          'flow.idle',
          { conversationId: message.conversationId, turn: session.turn, stage: 'remind' },
          {
            runAt: new Date(now + timeoutMs),
            dedupeKey: `flow.idle:${message.conversationId}:${session.turn}`,
          },
          trx,
        )
      }
    })
    for (const send of session.outbox) await this.sendOne(message, send.content, send.key)
    logger.debug(
      {
        messageId: message.id,
        flowId: run.flow.id,
        stepId: run.stepId,
        status: run.status,
        endReason: run.endReason,
      },
      'flow step',
    )
    return outcome
  }

  /** A message handled before (a retried job): what it had to send goes out, once. */
  private async replay(
    message: FlowMessage,
    session: repo.FlowSession,
    dryRun: boolean,
  ): Promise<FlowOutcome> {
    if (!dryRun) {
      for (const send of session.outbox) await this.sendOne(message, send.content, send.key)
    }
    return replayed(session, dryRun)
  }
}

/** The contact's attributes and tags as the run changed them, or null when it did not. */
function contactChange(
  before: ContactView,
  run: RunResult,
): { attributes: Record<string, unknown>; addTags: string[]; removeTags: string[] } | null {
  const attributes: Record<string, unknown> = {}
  for (const effect of run.effects) {
    if (effect.type === 'attributes') Object.assign(attributes, effect.set)
  }
  const addTags = run.contact.tags.filter((t) => !before.tags.includes(t))
  const removeTags = before.tags.filter((t) => !run.contact.tags.includes(t))
  if (Object.keys(attributes).length === 0 && addTags.length === 0 && removeTags.length === 0) {
    return null
  }
  return { attributes, addTags, removeTags }
}

function outcomeOf(run: RunResult, dryRun: boolean): FlowOutcome {
  return {
    flowId: run.flow.id,
    flowVersion: run.flow.version,
    stepId: run.stepId,
    ended: run.status === 'ended',
    endReason: run.endReason,
    waitingFor: run.status === 'waiting' ? 'answer' : run.status === 'stopped' ? 'webhook' : null,
    sends: run.sends.map((s) => s.content),
    effects: run.effects,
    vars: run.vars,
    trace: run.trace,
    dryRun,
    replayed: false,
  }
}

function replayed(session: repo.FlowSession, dryRun: boolean): FlowOutcome {
  return {
    flowId: session.flowId,
    flowVersion: session.flowVersion,
    stepId: session.stepId,
    ended: session.status === 'ended',
    endReason: session.endReason,
    waitingFor: session.status === 'active' ? 'answer' : null,
    sends: [],
    effects: [],
    vars: session.vars,
    trace: [],
    dryRun,
    replayed: true,
  }
}

/**
 * A flow defined in TypeScript, checked like a stored one: `defineFlow({ id, name, steps })`.
 * Throws VALIDATION_FAILED naming each bad field (`flow.steps.2.next`).
 */
export function defineFlow(def: CodeFlowInput): Flow {
  const parsed = codeFlowSchema.safeParse(def)
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error, 'flow')
    throw invalid(
      `The flow ${String((def as { id?: unknown }).id ?? '')} is not valid: ${errors
        .map((e) => `${e.path}: ${e.message}`)
        .join('; ')}`,
      errors,
    )
  }
  return { ...parsed.data, source: 'code', createdAt: null, updatedAt: null }
}
