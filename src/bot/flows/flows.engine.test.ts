import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { runFlow, type RunInput, type RunResult } from './flows.engine.js'
import { answerPool, randomFlowSteps } from '../../../test/helpers/flows.js'
import { packageRoot } from '../../paths.js'
import { createFlowBody, flowDefinitionSchema, type Flow } from './flows.schemas.js'
import type { ContactView } from './flows.values.js'
import type { WebhookCall, WebhookResult } from './flows.webhook.js'

const contact: ContactView = {
  id: 'c1',
  phone: '+15550001111',
  name: 'Aisha',
  language: 'en',
  tags: ['vip'],
  attributes: { city: 'Dubai' },
}

/** A flow from its steps (and settings), checked by the same schema as the API's. */
function flowOf(steps: unknown[], extra: Record<string, unknown> = {}, id = 'f1'): Flow {
  const def = flowDefinitionSchema.parse({ steps, ...extra })
  return {
    ...def,
    id,
    name: id,
    accountId: null,
    enabled: true,
    version: 1,
    source: 'code',
    createdAt: null,
    updatedAt: null,
  }
}

function texts(result: RunResult): string[] {
  return result.sends.map((s) =>
    s.content.type === 'text' ? s.content.text : `[${s.content.type}]`,
  )
}

const run = (input: Partial<RunInput> & { flow: Flow }) =>
  runFlow({
    state: null,
    answer: null,
    contact,
    loadFlow: () => Promise.resolve(undefined),
    callWebhook: () => Promise.resolve({ ok: true, status: 200, json: {} }),
    ...input,
  })

/** Runs a flow from its start, then answers each of `answers` in turn. */
async function converse(flow: Flow, answers: string[], extra: Partial<RunInput> = {}) {
  let result = await run({ flow, ...extra })
  const all = [result]
  for (const text of answers) {
    if (result.status !== 'waiting') break
    result = await run({
      ...extra,
      flow: result.flow,
      state: { stepId: result.stepId, vars: result.vars, retries: result.retries },
      answer: { text },
      contact: result.contact,
    })
    all.push(result)
  }
  return { last: result, all, sent: all.flatMap(texts) }
}

describe(runFlow.name, () => {
  describe('send', () => {
    it('sends its text with variables and contact fields filled in, and goes on', async () => {
      const flow = flowOf([
        { id: 'a', type: 'send', text: 'Hello {{contact.name}} from {{contact.attributes.city}}' },
        { id: 'b', type: 'send', text: '{{greeting}}!' },
      ])
      const result = await run({ flow, vars: { greeting: 'Welcome' } })
      expect(texts(result)).toEqual(['Hello Aisha from Dubai', 'Welcome!'])
      expect(result).toMatchObject({ status: 'ended', endReason: 'end', stepId: 'b' })
    })

    it('skips a text that fills in to nothing', async () => {
      const result = await run({ flow: flowOf([{ id: 'a', type: 'send', text: '{{missing}}' }]) })
      expect(result.sends).toEqual([])
    })
  })

  describe('ask', () => {
    const flow = flowOf([
      {
        id: 'age',
        type: 'ask',
        text: 'How old are you?',
        var: 'age',
        answer: { type: 'number', min: 18, max: 120, integer: true },
        maxRetries: 1,
        onMaxRetries: 'sorry',
      },
      { id: 'ok', type: 'end', text: 'Thanks, {{age}}.' },
      { id: 'sorry', type: 'end', text: 'Let us stop here.' },
    ])

    it('asks and waits, then stores a valid answer and goes on', async () => {
      const { all, sent } = await converse(flow, ['42'])
      expect(all[0]).toMatchObject({ status: 'waiting', stepId: 'age' })
      expect(all[1]?.vars).toEqual({ age: 42 })
      expect(sent).toEqual(['How old are you?', 'Thanks, 42.'])
    })

    it('asks again after an invalid answer, then takes onMaxRetries', async () => {
      const { last, sent } = await converse(flow, ['ten', '7'])
      expect(sent).toEqual([
        'How old are you?',
        'Please answer with a whole number between 18 and 120.\nHow old are you?',
        'Let us stop here.',
      ])
      expect(last).toMatchObject({ status: 'ended', stepId: 'sorry' })
    })

    it('ends the flow after the last retry when there is no onMaxRetries', async () => {
      const strict = flowOf([
        {
          id: 'q',
          type: 'ask',
          text: 'Email?',
          var: 'e',
          answer: { type: 'email' },
          maxRetries: 0,
        },
        { id: 'z', type: 'end', text: 'never' },
      ])
      const { last, sent } = await converse(strict, ['nope'])
      expect(last).toMatchObject({ status: 'ended', endReason: 'max_retries' })
      expect(sent).toEqual(['Email?'])
    })

    it('says its own retry text when it has one', async () => {
      const custom = flowOf([
        {
          id: 'q',
          type: 'ask',
          text: 'Email?',
          var: 'e',
          answer: { type: 'email' },
          retryText: 'Hmm, {{contact.name}}?',
        },
      ])
      const { sent } = await converse(custom, ['nope'])
      expect(sent[1]).toBe('Hmm, Aisha?\nEmail?')
    })
  })

  describe('branch', () => {
    const flow = flowOf([
      { id: 'q', type: 'ask', text: 'Amount?', var: 'amount', answer: { type: 'number' } },
      {
        id: 'b',
        type: 'branch',
        cases: [
          {
            when: {
              all: [
                { var: 'amount', op: 'gte', value: 100 },
                { var: 'contact.tags', op: 'contains', value: 'vip' },
              ],
            },
            next: 'vip',
          },
          { when: { var: 'amount', op: 'gte', value: 100 }, next: 'big' },
        ],
        default: 'small',
      },
      { id: 'vip', type: 'end', text: 'VIP' },
      { id: 'big', type: 'end', text: 'big' },
      { id: 'small', type: 'end', text: 'small' },
    ])

    it('takes the first case that holds', async () => {
      expect((await converse(flow, ['150'])).sent.at(-1)).toBe('VIP')
      const plain = { ...contact, tags: [] }
      expect((await converse(flow, ['150'], { contact: plain })).sent.at(-1)).toBe('big')
    })

    it('takes its default when no case holds', async () => {
      expect((await converse(flow, ['5'])).sent.at(-1)).toBe('small')
    })
  })

  describe('set', () => {
    it('sets variables, attributes and tags, seen by the steps after it', async () => {
      const flow = flowOf([
        { id: 'q', type: 'ask', text: 'City?', var: 'city' },
        {
          id: 's',
          type: 'set',
          vars: { copy: '{{city}}', n: 3 },
          attributes: { city: '{{city}}', old: null },
          addTags: ['lead', 'vip'],
          removeTags: ['cold'],
        },
        {
          id: 'e',
          type: 'end',
          text: '{{contact.attributes.city}} {{contact.tags}} {{copy}} {{n}}',
        },
      ])
      const withOld = { ...contact, tags: ['vip', 'cold'], attributes: { city: 'Dubai', old: 1 } }
      const { last, sent } = await converse(flow, ['Lima'], { contact: withOld })
      expect(sent.at(-1)).toBe('Lima vip, lead Lima 3')
      expect(last.contact.attributes).toEqual({ city: 'Lima' })
      expect(last.effects).toEqual([
        { type: 'attributes', stepId: 's', set: { city: 'Lima', old: null } },
        { type: 'tags', stepId: 's', add: ['lead'], remove: ['cold'] },
      ])
      expect(last.vars).toEqual({ city: 'Lima', copy: 'Lima', n: 3 })
    })
  })

  describe('handoff', () => {
    it('says its text and ends the flow with a handoff', async () => {
      const result = await run({
        flow: flowOf([
          { id: 'h', type: 'handoff', text: 'A person will answer.' },
          { id: 'x', type: 'end' },
        ]),
      })
      expect(texts(result)).toEqual(['A person will answer.'])
      expect(result).toMatchObject({ status: 'ended', endReason: 'handoff' })
      expect(result.effects).toEqual([{ type: 'handoff', stepId: 'h' }])
    })
  })

  describe('webhook', () => {
    const flow = flowOf([
      {
        id: 'w',
        type: 'webhook',
        url: 'https://example.com/hook',
        saveAs: 'order',
        body: { id: '{{orderId}}', who: '{{contact.phone}}' },
        onError: 'fail',
      },
      { id: 'ok', type: 'end', text: 'Status: {{order.status}}' },
      { id: 'fail', type: 'end', text: 'Sorry.' },
    ])

    it('posts its body and keeps the answer in a variable', async () => {
      const calls: WebhookCall[] = []
      const result = await run({
        flow,
        vars: { orderId: 7 },
        callWebhook: (call) => {
          calls.push(call)
          return Promise.resolve({ ok: true, status: 200, json: { status: 'packed' } })
        },
      })
      expect(calls).toEqual([
        {
          url: 'https://example.com/hook',
          headers: undefined,
          body: { id: 7, who: contact.phone },
          timeoutMs: 5000,
        },
      ])
      expect(texts(result)).toEqual(['Status: packed'])
      expect(result.vars.order).toEqual({ status: 'packed' })
    })

    it('goes to onError when the call fails', async () => {
      const failed: WebhookResult = { ok: false, status: 503, error: 'The webhook answered 503' }
      const result = await run({ flow, callWebhook: () => Promise.resolve(failed) })
      expect(texts(result)).toEqual(['Sorry.'])
      expect(result.effects).toContainEqual(
        expect.objectContaining({ type: 'webhook', ok: false, status: 503 }),
      )
    })

    it('stops before the call in a dry run', async () => {
      const result = await run({ flow, callWebhook: undefined })
      expect(result).toMatchObject({ status: 'stopped', stepId: 'w', sends: [] })
      expect(result.effects).toEqual([
        { type: 'webhook', stepId: 'w', url: 'https://example.com/hook', skipped: true },
      ])
    })
  })

  describe('jump', () => {
    it('goes on with another flow, keeping the variables', async () => {
      const other = flowOf([{ id: 'x', type: 'end', text: 'Other flow, {{who}}' }], {}, 'f2')
      const flow = flowOf([
        { id: 's', type: 'set', vars: { who: 'Aisha' } },
        { id: 'j', type: 'jump', flow: 'f2' },
      ])
      const result = await run({
        flow,
        loadFlow: (id) => Promise.resolve(id === 'f2' ? other : undefined),
      })
      expect(texts(result)).toEqual(['Other flow, Aisha'])
      expect(result.flow.id).toBe('f2')
      expect(result.trace).toEqual([
        { flowId: 'f1', stepId: 's' },
        { flowId: 'f1', stepId: 'j' },
        { flowId: 'f2', stepId: 'x' },
      ])
    })

    it('ends the flow when the target is gone', async () => {
      const result = await run({ flow: flowOf([{ id: 'j', type: 'jump', flow: 'gone' }]) })
      expect(result).toMatchObject({ status: 'ended', endReason: 'jump_failed' })
    })

    it('ends flows that jump to each other forever', async () => {
      const a = flowOf([{ id: 'j', type: 'jump', flow: 'b' }], {}, 'a')
      const b = flowOf([{ id: 'j', type: 'jump', flow: 'a' }], {}, 'b')
      const result = await run({
        flow: a,
        loadFlow: (id) => Promise.resolve(id === 'a' ? a : b),
        maxSteps: 20,
      })
      expect(result).toMatchObject({ status: 'ended', endReason: 'too_many_steps' })
      expect(result.trace).toHaveLength(20)
    })
  })

  describe('end and cancel', () => {
    it('ends after the last step without an end step', async () => {
      const result = await run({ flow: flowOf([{ id: 'a', type: 'send', text: 'only' }]) })
      expect(result).toMatchObject({ status: 'ended', endReason: 'end' })
    })

    it('ends on a cancel keyword, whatever its case and accents, with the confirmation', async () => {
      const flow = flowOf([{ id: 'q', type: 'ask', text: 'Name?', var: 'n' }], {
        cancel: { keywords: ['annuler'], text: 'Annulé.' },
      })
      const { last, sent } = await converse(flow, ['  ANNULER '])
      expect(sent).toEqual(['Name?', 'Annulé.'])
      expect(last).toMatchObject({ status: 'ended', endReason: 'cancelled' })
      // Only the whole message cancels: "annuler" inside a sentence is an answer.
      const answered = await converse(flow, ['je vais annuler'])
      expect(answered.last.vars).toEqual({ n: 'je vais annuler' })
    })
  })
})

// ---- properties over random flows ----

describe('runFlow over random flows', () => {
  it('accepts every generated flow as valid', () => {
    fc.assert(
      fc.property(randomFlowSteps, (steps) => {
        expect(flowDefinitionSchema.safeParse({ steps }).success).toBe(true)
      }),
    )
  })

  it('never throws, and each message leaves the flow waiting at an ask or ended', async () => {
    await fc.assert(
      fc.asyncProperty(
        randomFlowSteps,
        fc.array(fc.constantFrom(...answerPool), { maxLength: 12 }),
        fc.infiniteStream(fc.boolean()),
        async (steps, answers, hookOk) => {
          const flow = flowOf(steps)
          const callWebhook = () =>
            Promise.resolve<WebhookResult>(
              hookOk.next().value
                ? { ok: true, status: 200, json: { n: 1 } }
                : { ok: false, error: 'down' },
            )
          const { all } = await converse(flow, answers, { callWebhook })
          for (const result of all) {
            if (result.status === 'waiting') {
              expect(flow.steps.find((s) => s.id === result.stepId)?.type).toBe('ask')
              expect(result.endReason).toBeNull()
            } else {
              expect(result.status).toBe('ended')
              expect(result.endReason).not.toBeNull()
            }
            // Without jumps a run cannot loop: every cycle waits at an ask.
            expect(result.endReason).not.toBe('too_many_steps')
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('without a webhook caller (a dry run) stops at the first webhook and calls nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        randomFlowSteps,
        fc.array(fc.constantFrom(...answerPool), { maxLength: 6 }),
        async (steps, answers) => {
          const flow = flowOf(steps)
          const { all } = await converse(flow, answers, { callWebhook: undefined })
          for (const result of all) {
            if (result.status === 'stopped') {
              expect(flow.steps.find((s) => s.id === result.stepId)?.type).toBe('webhook')
              expect(result.effects.at(-1)).toMatchObject({ type: 'webhook', skipped: true })
            }
            expect(result.effects.filter((e) => e.type === 'webhook' && !e.skipped)).toEqual([])
          }
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('the example of docs/flows.md', () => {
  it('is a valid flow that holds the conversation shown there', async () => {
    const doc = readFileSync(join(packageRoot, 'docs', 'flows.md'), 'utf8')
    const example = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1]
    const body = createFlowBody.parse(JSON.parse(example!))
    const flow = flowOf(body.steps, {
      keywords: body.keywords,
      cancel: body.cancel,
      idle: body.idle,
    })
    const calls: WebhookCall[] = []
    const { sent, last } = await converse(flow, ['Aisha', 'purple', 'the big one', '12'], {
      contact: { ...contact, attributes: {}, tags: [] },
      callWebhook: (call) => {
        calls.push(call)
        return Promise.resolve({ ok: true, status: 200, json: { number: 'A-1042', minutes: 25 } })
      },
    })
    const shown = doc
      .slice(doc.indexOf("contact: I'd like a pizza"))
      .split('```')[0]!
      .split('\n')
      .reduce<string[]>((lines, line) => {
        if (line.startsWith('linda:   ')) lines.push(line.slice(9))
        else if (line.startsWith('         ')) lines[lines.length - 1] += `\n${line.slice(9)}`
        return lines
      }, [])
    expect(sent).toEqual(shown)
    expect(calls[0]?.body).toEqual({ phone: contact.phone, size: 'large', count: 12 })
    expect(last.contact).toMatchObject({
      attributes: { pizzaSize: 'large', firstName: 'Aisha' },
      tags: ['pizza-customer'],
    })
  })
})
