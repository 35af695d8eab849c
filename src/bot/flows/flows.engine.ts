// The flow interpreter: from where a conversation is (or the start), through the steps,
// to the next ask (where it waits for the contact) or to the end. It does no I/O of its own
// but the webhook call it is handed and loading flows it jumps to: what to send and what to
// change on the contact come back as a plan, which the service carries out (or, in a dry
// run, only reports).
import type { OutboundContent } from '../../transports/index.js'
import { foldText } from '../matcher.js'
import { checkAnswer, questionText, type Answer } from './flows.answers.js'
import { fallThrough, type Flow, type FlowStep } from './flows.schemas.js'
import { evaluate, fillValue, interpolate, type ContactView, type Scope } from './flows.values.js'
import type { WebhookCaller } from './flows.webhook.js'

export const endReasons = [
  'end',
  'cancelled',
  'handoff',
  'max_retries',
  'webhook_failed',
  'jump_failed',
  'too_many_steps',
  'expired',
  'flow_deleted',
  'flow_changed',
  'replaced',
] as const
/** Why a flow ended: its end (or last) step, the cancel keyword, a handoff, a failure, … */
export type EndReason = (typeof endReasons)[number]

/** Where a conversation is in a flow between two messages: always at an ask. */
export interface FlowState {
  stepId: string
  vars: Record<string, unknown>
  retries: number
}

/** Something a flow changed besides sending, in the order it happened. */
export type FlowEffect =
  | { type: 'attributes'; stepId: string; set: Record<string, unknown> }
  | { type: 'tags'; stepId: string; add: string[]; remove: string[] }
  | { type: 'handoff'; stepId: string }
  | {
      type: 'webhook'
      stepId: string
      url: string
      /** Not called: a dry run stops before a webhook. */
      skipped: boolean
      ok?: boolean
      status?: number
      error?: string
    }
  | { type: 'jump'; stepId: string; from: string; to: string }

/** A message the flow sends, with the step that sends it (for its idempotency key). */
export interface PlannedSend {
  flowId: string
  stepId: string
  content: OutboundContent
}

export interface RunResult {
  /** The flow the run stopped in (another one after a jump). */
  flow: Flow
  /** The ask it waits at, the step it ended on, or (dry) the webhook it stopped before. */
  stepId: string
  status: 'waiting' | 'ended' | 'stopped'
  endReason: EndReason | null
  vars: Record<string, unknown>
  retries: number
  sends: PlannedSend[]
  effects: FlowEffect[]
  /** Every step run, in order. */
  trace: Array<{ flowId: string; stepId: string }>
  /** The contact with the run's attribute and tag changes applied. */
  contact: ContactView
}

export interface RunInput {
  flow: Flow
  /** Where the conversation is; null to start the flow at its start step. */
  state: FlowState | null
  /** The contact's message, answering the ask the state is at (ignored on a start). */
  answer: Answer | null
  contact: ContactView
  /** Variables to start with (a start only). */
  vars?: Record<string, unknown>
  /** The latest enabled version of a flow to jump to. */
  loadFlow(id: string): Promise<Flow | undefined>
  /** Calls a webhook step's URL; absent in a dry run, which stops before the webhook. */
  callWebhook?: WebhookCaller
  /** Steps one run may take before it is ended as a loop (jumps can loop across flows). */
  maxSteps?: number
}

/** WhatsApp's limit on a text message. */
const MAX_TEXT = 4096

const indexes = new WeakMap<Flow, Map<string, number>>()

function indexOf(flow: Flow): Map<string, number> {
  let index = indexes.get(flow)
  if (!index) {
    index = new Map(flow.steps.map((s, i) => [s.id, i]))
    indexes.set(flow, index)
  }
  return index
}

export function startStepOf(flow: Flow): string {
  return flow.start ?? flow.steps[0]!.id
}

export function findStep(flow: Flow, id: string): FlowStep | undefined {
  const i = indexOf(flow).get(id)
  return i === undefined ? undefined : flow.steps[i]
}

/** The step after `step` when it goes on normally: its `next`, or the following one. */
function nextOf(flow: Flow, step: FlowStep): string | undefined {
  if ('next' in step && step.next !== undefined) return step.next
  if (step.type === 'branch' && step.default !== undefined) return step.default
  return fallThrough(flow.steps, indexOf(flow).get(step.id)!)
}

/** Whether a message is one of the flow's cancel keywords (the whole message). */
export function isCancel(flow: Flow, text: string | null): boolean {
  if (!text) return false
  const folded = foldText(text)
  return flow.cancel.keywords.some((k) => foldText(k) === folded)
}

/** Runs a flow from its state (or start) until it waits at an ask or ends. */
export async function runFlow(input: RunInput): Promise<RunResult> {
  let flow = input.flow
  const maxSteps = input.maxSteps ?? 100
  const contact: ContactView = {
    ...input.contact,
    tags: [...input.contact.tags],
    attributes: { ...input.contact.attributes },
  }
  const vars: Record<string, unknown> = { ...(input.state?.vars ?? input.vars ?? {}) }
  const scope: Scope = { vars, contact, text: input.answer?.text ?? null }
  const sends: PlannedSend[] = []
  const effects: FlowEffect[] = []
  const trace: RunResult['trace'] = []
  let retries = input.state?.retries ?? 0
  let answer = input.state ? input.answer : null
  let stepId = input.state?.stepId ?? startStepOf(flow)

  const say = (step: FlowStep, text: string) => {
    const filled = interpolate(text, scope).slice(0, MAX_TEXT)
    if (filled.trim() === '') return
    sends.push({ flowId: flow.id, stepId: step.id, content: { type: 'text', text: filled } })
  }
  const result = (status: RunResult['status'], endReason: EndReason | null = null): RunResult => ({
    flow,
    stepId,
    status,
    endReason,
    vars,
    retries,
    sends,
    effects,
    trace,
    contact,
  })

  if (input.state && answer && isCancel(flow, answer.text)) {
    sends.push({
      flowId: flow.id,
      stepId,
      content: { type: 'text', text: interpolate(flow.cancel.text, scope).slice(0, MAX_TEXT) },
    })
    return result('ended', 'cancelled')
  }

  for (let count = 0; ; count++) {
    if (count >= maxSteps) return result('ended', 'too_many_steps')
    const step = findStep(flow, stepId)
    if (!step) return result('ended', 'flow_changed')
    trace.push({ flowId: flow.id, stepId: step.id })
    let go: string | undefined
    switch (step.type) {
      case 'send':
        say(step, step.text)
        go = nextOf(flow, step)
        break
      case 'ask': {
        if (answer === null) {
          // Arriving at the question: ask it and wait.
          retries = 0
          say(step, questionText(step.text, step.answer))
          return result('waiting')
        }
        const checked = checkAnswer(answer, step.answer)
        answer = null
        if (checked.ok) {
          vars[step.var] = checked.value
          retries = 0
          go = nextOf(flow, step)
          break
        }
        retries += 1
        if (retries > step.maxRetries) {
          retries = 0
          if (step.onMaxRetries === undefined) return result('ended', 'max_retries')
          go = step.onMaxRetries
          break
        }
        say(step, `${step.retryText ?? checked.hint}\n${questionText(step.text, step.answer)}`)
        return result('waiting')
      }
      case 'branch': {
        const hit = step.cases.find((c) => evaluate(c.when, scope))
        go = hit ? hit.next : nextOf(flow, step)
        break
      }
      case 'set': {
        for (const [name, value] of Object.entries(step.vars ?? {})) {
          vars[name] = fillValue(value, scope)
        }
        if (step.attributes) {
          const set: Record<string, unknown> = {}
          for (const [name, value] of Object.entries(step.attributes)) {
            const filled = fillValue(value, scope)
            set[name] = filled === undefined ? null : filled
            if (set[name] === null) delete contact.attributes[name]
            else contact.attributes[name] = set[name]
          }
          effects.push({ type: 'attributes', stepId: step.id, set })
        }
        const add = (step.addTags ?? []).filter((t) => !contact.tags.includes(t))
        const remove = (step.removeTags ?? []).filter((t) => contact.tags.includes(t))
        if (add.length > 0 || remove.length > 0) {
          contact.tags = [...contact.tags.filter((t) => !remove.includes(t)), ...add]
          effects.push({ type: 'tags', stepId: step.id, add, remove })
        }
        go = nextOf(flow, step)
        break
      }
      case 'handoff':
        if (step.text !== undefined) say(step, step.text)
        effects.push({ type: 'handoff', stepId: step.id })
        return result('ended', 'handoff')
      case 'webhook': {
        if (!input.callWebhook) {
          effects.push({ type: 'webhook', stepId: step.id, url: step.url, skipped: true })
          return result('stopped')
        }
        const body =
          step.body === undefined
            ? {
                flowId: flow.id,
                stepId: step.id,
                contact: {
                  phone: contact.phone,
                  name: contact.name,
                  language: contact.language,
                  tags: contact.tags,
                  attributes: contact.attributes,
                },
                vars,
                text: scope.text,
              }
            : fillValue(step.body, scope)
        const answered = await input.callWebhook({
          url: step.url,
          headers: step.headers,
          body,
          timeoutMs: step.timeoutMs,
        })
        effects.push({
          type: 'webhook',
          stepId: step.id,
          url: step.url,
          skipped: false,
          ok: answered.ok,
          ...(answered.status !== undefined ? { status: answered.status } : {}),
          ...(answered.ok ? {} : { error: answered.error }),
        })
        if (answered.ok) {
          if (step.saveAs !== undefined) vars[step.saveAs] = answered.json
          go = nextOf(flow, step)
        } else {
          if (step.saveAs !== undefined) delete vars[step.saveAs]
          if (step.onError === undefined) return result('ended', 'webhook_failed')
          go = step.onError
        }
        break
      }
      case 'jump': {
        const target = await input.loadFlow(step.flow)
        if (!target) return result('ended', 'jump_failed')
        effects.push({ type: 'jump', stepId: step.id, from: flow.id, to: target.id })
        flow = target
        stepId = startStepOf(target)
        continue
      }
      case 'end':
        if (step.text !== undefined) say(step, step.text)
        return result('ended', 'end')
    }
    if (go === undefined) return result('ended', 'end')
    stepId = go
  }
}
