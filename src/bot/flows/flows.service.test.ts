import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { answerPool, randomFlowSteps } from '../../../test/helpers/flows.js'
import type { Message } from '../../messages/index.js'
import { migrateToLatest, nowIso, openDb, type DbHandle } from '../../platform/db/index.js'
import { newId } from '../../platform/ids.js'
import { createLogger } from '../../platform/logging.js'
import type { EnqueueOptions, Job, JobQueue, JobRegistry } from '../../platform/queue/index.js'
import type { OutboundContent } from '../../transports/index.js'
import * as repo from './flows.repo.js'
import type { CodeFlowInput } from './flows.schemas.js'
import { FlowsService, defineFlow, type FlowsDeps } from './flows.service.js'

/** What the flows sent, as the message pipeline was asked (one message per idempotency key). */
class FakeMessages {
  readonly sent: Array<{ to: string; content: OutboundContent; key: string }> = []
  private readonly keys = new Set<string>()

  /** The next send fails as a crash would (not a refusal). */
  failNext = false

  send: FlowsDeps['messages']['send'] = (input, options) => {
    if (this.failNext) {
      this.failNext = false
      return Promise.reject(new Error('connection lost'))
    }
    const { accountId: _a, to, ...content } = input
    const key = options?.idempotencyKey ?? newId()
    if (!this.keys.has(key)) {
      this.keys.add(key)
      this.sent.push({ to, content: content as OutboundContent, key })
    }
    return Promise.resolve({ message: {} as Message, duplicate: false })
  }

  texts(): string[] {
    return this.sent.map((s) => (s.content.type === 'text' ? s.content.text : s.content.type))
  }
}

/** A job queue that keeps what is enqueued (the runtime's idle timers). */
class FakeQueue {
  readonly jobs: Array<{ name: string; data: unknown; options: EnqueueOptions | undefined }> = []
  enqueue(name: string, data: unknown, options?: EnqueueOptions): Promise<string> {
    this.jobs.push({ name, data, options })
    return Promise.resolve(newId())
  }
}

function idleJob(data: JobRegistry['flow.idle']): Job<'flow.idle'> {
  return { id: newId(), name: 'flow.idle', data, attempt: 1, maxAttempts: 5, createdAt: nowIso() }
}

describe(FlowsService.name, () => {
  let dir: string
  let handle: DbHandle
  let messages: FakeMessages
  let queue: FakeQueue
  let flows: FlowsService
  let accountId: string
  let contactId: string
  let conversationId: string
  const phone = '+15550001111'

  const service = () =>
    new FlowsService({
      db: handle.db,
      queue: queue as unknown as JobQueue,
      messages,
      accounts: { get: () => Promise.reject(new Error('not used')) },
      logger: createLogger('silent'),
      callWebhook: () => Promise.resolve({ ok: true, status: 200, json: { n: 1 } }),
    })

  /** An inbound message of the test conversation. */
  const inbound = (text: string): Message => ({
    id: newId(),
    accountId,
    conversationId,
    contactId,
    phone,
    direction: 'in',
    type: 'text',
    text,
    content: null,
    status: 'received',
    error: null,
    externalId: newId(),
    createdAt: nowIso(),
    updatedAt: nowIso(),
    sentAt: null,
    deliveredAt: null,
    readAt: null,
  })

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'linda-flows-'))
    handle = await openDb({ sqlitePath: join(dir, 'linda.db') })
    await migrateToLatest(handle.db)
    messages = new FakeMessages()
    queue = new FakeQueue()
    flows = service()
    const now = nowIso()
    accountId = newId()
    contactId = newId()
    conversationId = newId()
    await handle.db
      .insertInto('accounts')
      .values({
        id: accountId,
        name: 'A',
        transport: 'sandbox',
        state: 'connected',
        settings: '{}',
        created_at: now,
        updated_at: now,
      })
      .execute()
    await handle.db
      .insertInto('contacts')
      .values({
        id: contactId,
        phone,
        tags: '["vip"]',
        attributes: '{"city":"Lima"}',
        created_at: now,
        updated_at: now,
      })
      .execute()
    await handle.db
      .insertInto('conversations')
      .values({
        id: conversationId,
        status: 'open',
        account_id: accountId,
        contact_id: contactId,
        last_message_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute()
  })

  afterEach(async () => {
    await handle.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const surveyInput: CodeFlowInput = {
    id: 'survey',
    name: 'Survey',
    keywords: ['feedback', 'rate us'],
    idle: {
      timeoutSeconds: 60,
      reminderText: 'Still there, {{contact.attributes.city}}?',
      expiredText: 'Bye for now.',
    },
    steps: [
      {
        id: 'rate',
        type: 'ask',
        text: 'From 1 to 5?',
        var: 'rate',
        answer: { type: 'number', min: 1, max: 5 },
      },
      { id: 'save', type: 'set', attributes: { rating: '{{rate}}' }, addTags: ['rated'] },
      { id: 'done', type: 'end', text: 'Thanks!' },
    ],
  }
  const survey = defineFlow(surveyInput)

  it('saves the place of the conversation and schedules the idle reminder', async () => {
    flows.registerFlow(survey)
    const before = Date.now()
    const started = await flows.start(inbound('feedback'), 'survey')
    expect(started).toMatchObject({ stepId: 'rate', waitingFor: 'answer', ended: false })
    const session = await repo.findSession(handle.db, conversationId)
    expect(session).toMatchObject({ flowId: 'survey', stepId: 'rate', status: 'active', turn: 1 })
    expect(queue.jobs).toHaveLength(1)
    const job = queue.jobs[0]!
    expect(job).toMatchObject({
      name: 'flow.idle',
      data: { conversationId, turn: 1, stage: 'remind' },
      options: { dedupeKey: `flow.idle:${conversationId}:1` },
    })
    expect(new Date(job.options!.runAt!).getTime()).toBeGreaterThanOrEqual(before + 60_000)

    const answered = await flows.handle(inbound('4'))
    expect(answered).toMatchObject({ ended: true, endReason: 'end', vars: { rate: 4 } })
    expect(messages.texts()).toEqual(['From 1 to 5?', 'Thanks!'])
    const contact = await repo.findContactView(handle.db, contactId)
    expect(contact).toMatchObject({
      tags: ['vip', 'rated'],
      attributes: { city: 'Lima', rating: 4 },
    })
    expect(await repo.findSession(handle.db, conversationId)).toMatchObject({
      status: 'ended',
      turn: 2,
    })
    expect(await flows.handle(inbound('5'))).toBeNull()
  })

  it('does nothing again for a message it handled (a retried job)', async () => {
    flows.registerFlow(survey)
    await flows.start(inbound('feedback'), 'survey')
    const message = inbound('9')
    const first = await flows.handle(message)
    expect(first?.sends).toHaveLength(1)
    const again = await flows.handle(message)
    expect(again).toMatchObject({ replayed: true, sends: [], stepId: 'rate' })
    expect(messages.sent).toHaveLength(2)
    expect((await repo.findSession(handle.db, conversationId))?.retries).toBe(1)
  })

  it('sends what a job saved but did not send when it runs again, and only that', async () => {
    flows.registerFlow(survey)
    await flows.start(inbound('feedback'), 'survey')
    const message = inbound('3')
    // The first attempt saved the conversation's new place, then died before sending.
    messages.failNext = true
    await expect(flows.handle(message)).rejects.toThrow(/connection lost/)
    expect(await repo.findSession(handle.db, conversationId)).toMatchObject({ status: 'ended' })
    expect(messages.texts()).toEqual(['From 1 to 5?'])
    const again = await flows.handle(message)
    expect(again).toMatchObject({ replayed: true })
    await flows.handle(message)
    expect(messages.texts()).toEqual(['From 1 to 5?', 'Thanks!'])
  })

  describe('idle', () => {
    it('reminds once, then ends the flow with its expiry text', async () => {
      flows.registerFlow(survey)
      await flows.start(inbound('feedback'), 'survey')
      await flows.idle(idleJob({ conversationId, turn: 1, stage: 'remind' }))
      expect(messages.texts().at(-1)).toBe('Still there, Lima?')
      const expire = queue.jobs.at(-1)!
      expect(expire).toMatchObject({ data: { conversationId, turn: 1, stage: 'expire' } })
      expect((await repo.findSession(handle.db, conversationId))?.reminded).toBe(true)
      // The queue may run a job twice: the reminder is not sent twice.
      await flows.idle(idleJob({ conversationId, turn: 1, stage: 'remind' }))
      expect(messages.texts().filter((t) => t.startsWith('Still'))).toHaveLength(1)
      await flows.idle(idleJob({ conversationId, turn: 1, stage: 'expire' }))
      expect(messages.texts().at(-1)).toBe('Bye for now.')
      expect(await repo.findSession(handle.db, conversationId)).toMatchObject({
        status: 'ended',
        endReason: 'expired',
      })
    })

    it('does nothing when the contact answered since it was scheduled', async () => {
      flows.registerFlow(survey)
      await flows.start(inbound('feedback'), 'survey')
      await flows.handle(inbound('nope'))
      await flows.idle(idleJob({ conversationId, turn: 1, stage: 'remind' }))
      await flows.idle(idleJob({ conversationId, turn: 1, stage: 'expire' }))
      expect(messages.texts()).toHaveLength(2)
      expect((await repo.findSession(handle.db, conversationId))?.status).toBe('active')
    })

    it('writes nothing to a conversation a person took over, or a contact who opted out', async () => {
      flows.registerFlow(survey)
      await flows.start(inbound('feedback'), 'survey')
      await handle.db.updateTable('conversations').set({ bot_paused: 1 }).execute()
      await flows.idle(idleJob({ conversationId, turn: 1, stage: 'remind' }))
      await handle.db.updateTable('conversations').set({ bot_paused: 0 }).execute()
      await handle.db.updateTable('contacts').set({ opted_out: 1 }).execute()
      await flows.idle(idleJob({ conversationId, turn: 1, stage: 'expire' }))
      expect(messages.texts()).toEqual(['From 1 to 5?'])
      expect((await repo.findSession(handle.db, conversationId))?.status).toBe('ended')
    })

    it('treats a session past its expiry as over when the contact writes', async () => {
      flows.registerFlow(survey)
      await flows.start(inbound('feedback'), 'survey')
      const session = (await repo.findSession(handle.db, conversationId))!
      await repo.saveSession(handle.db, {
        ...session,
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      })
      expect(await flows.handle(inbound('3'))).toBeNull()
      expect(await repo.findSession(handle.db, conversationId)).toMatchObject({
        endReason: 'expired',
      })
    })
  })

  it('moves a contact to a new version of a code flow at the same question, or out of it', async () => {
    flows.registerFlow(survey)
    await flows.start(inbound('feedback'), 'survey')
    // A restart with the flow's next version: the question is still there.
    const v2 = defineFlow({
      ...surveyInput,
      version: 2,
      steps: [
        {
          id: 'rate',
          type: 'ask',
          text: 'From 1 to 10?',
          var: 'rate',
          answer: { type: 'number', min: 1, max: 10 },
        },
        { id: 'done', type: 'end', text: 'Thanks (v2): {{rate}}' },
      ],
    })
    flows = service()
    flows.registerFlow(v2)
    expect(await flows.handle(inbound('8'))).toMatchObject({ flowVersion: 2, endReason: 'end' })
    expect(messages.texts().at(-1)).toBe('Thanks (v2): 8')

    await flows.start(inbound('feedback'), 'survey')
    flows = service()
    flows.registerFlow(
      defineFlow({ ...surveyInput, version: 3, steps: [{ id: 'other', type: 'end', text: 'x' }] }),
    )
    expect(await flows.handle(inbound('8'))).toBeNull()
    expect(await repo.findSession(handle.db, conversationId)).toMatchObject({
      endReason: 'flow_changed',
    })
  })

  it('refuses a code flow with an id taken, or a definition that is not valid, naming the field', () => {
    flows.registerFlow(survey)
    expect(() => flows.registerFlow(survey)).toThrow(/registered already/)
    expect(() =>
      defineFlow({ id: 'x', name: 'x', steps: [{ id: 'a', type: 'send', text: 'x', next: 'b' }] }),
    ).toThrow(
      expect.objectContaining({
        errors: [{ path: 'flow.steps.0.next', message: 'names no step ("b")' }],
      }),
    )
    expect(() =>
      flows.registerFlow({
        id: 'y',
        name: 'y',
        steps: [{ id: 'w', type: 'webhook', url: 'http://127.0.0.1/x' }],
      }),
    ).toThrow(
      expect.objectContaining({
        errors: [{ path: 'flow.steps.0.url', message: expect.stringMatching(/loopback/) }],
      }),
    )
  })

  it('matches trigger keywords as whole words, on the flow’s account, enabled flows only', async () => {
    flows.registerFlow(survey)
    flows.registerFlow({
      id: 'other-account',
      name: 'o',
      accountId: 'elsewhere',
      keywords: ['menu'],
      steps: [{ id: 'a', type: 'end' }],
    })
    flows.registerFlow({
      id: 'off',
      name: 'off',
      enabled: false,
      keywords: ['hours'],
      steps: [{ id: 'a', type: 'end' }],
    })
    const at = (text: string) => flows.matchTrigger({ accountId, text })
    expect(await at('I want to RATE US now')).toEqual({ flowId: 'survey', keyword: 'rate us' })
    expect(await at('Féedback!')).toEqual({ flowId: 'survey', keyword: 'feedback' })
    expect(await at('feedbacks')).toBeNull()
    expect(await at('menu')).toBeNull()
    expect(await at('opening hours')).toBeNull()
    // The flow tried first wins, wherever its keyword stands in the message.
    flows.registerFlow({
      id: 'late',
      name: 'late',
      keywords: ['hello'],
      steps: [{ id: 'a', type: 'end' }],
    })
    expect(await at('hello, feedback here')).toEqual({ flowId: 'survey', keyword: 'feedback' })
    expect(await at('hello rate')).toEqual({ flowId: 'late', keyword: 'hello' })
    expect(await flows.matchTrigger({ accountId: 'elsewhere', text: 'menu' })).toEqual({
      flowId: 'other-account',
      keyword: 'menu',
    })
  })

  it('never sends, schedules or changes anything in a dry run, whatever the flow and answers', async () => {
    const snapshot = async () => ({
      sessions: await handle.db.selectFrom('flow_sessions').selectAll().execute(),
      contacts: await handle.db.selectFrom('contacts').selectAll().execute(),
      conversations: await handle.db.selectFrom('conversations').selectAll().execute(),
    })
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        randomFlowSteps,
        fc.array(fc.constantFrom(...answerPool), { maxLength: 6 }),
        fc.boolean(),
        async (steps, answers, live) => {
          const id = `random-${n++}`
          flows.registerFlow({ id, name: id, steps })
          if (live) await flows.start(inbound('go'), id)
          const sentBefore = messages.sent.length
          const jobsBefore = queue.jobs.length
          const before = await snapshot()
          const first = await flows.start(inbound('go'), id, { dryRun: true })
          expect(first.dryRun).toBe(true)
          for (const text of answers) {
            const outcome = await flows.handle(inbound(text), { dryRun: true })
            // Ended, waiting for an answer, or stopped before a webhook it may not call.
            if (outcome) expect(outcome.ended || outcome.waitingFor !== null).toBe(true)
          }
          expect(messages.sent.length).toBe(sentBefore)
          expect(queue.jobs.length).toBe(jobsBefore)
          expect(await snapshot()).toEqual(before)
        },
      ),
      { numRuns: 60 },
    )
  })
})
