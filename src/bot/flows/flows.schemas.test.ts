import { describe, expect, it } from 'vitest'
import { createFlowBody, flowDefinitionSchema, updateFlowBody } from './flows.schemas.js'

/** The refusals of a definition, as `path: message` lines. */
function refusals(def: unknown): string[] {
  const result = flowDefinitionSchema.safeParse(def)
  if (result.success) return []
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

describe('flowDefinitionSchema', () => {
  it('fills in the defaults', () => {
    const def = flowDefinitionSchema.parse({
      steps: [{ id: 'q', type: 'ask', text: 'Name?', var: 'name' }],
    })
    expect(def.keywords).toEqual([])
    expect(def.cancel.keywords).toEqual(['cancel'])
    expect(def.idle.timeoutSeconds).toBe(1800)
    expect(def.steps[0]).toMatchObject({ answer: { type: 'text' }, maxRetries: 2 })
  })

  it('refuses a next, onMaxRetries, case, default, onError or start naming no step', () => {
    expect(
      refusals({
        start: 'nope',
        steps: [
          { id: 'a', type: 'send', text: 'x', next: 'n1' },
          { id: 'b', type: 'ask', text: 'x', var: 'v', onMaxRetries: 'n2' },
          {
            id: 'c',
            type: 'branch',
            cases: [{ when: { var: 'v', op: 'exists' }, next: 'n3' }],
            default: 'n4',
          },
          { id: 'd', type: 'webhook', url: 'https://example.com', onError: 'n5' },
        ],
      }),
    ).toEqual([
      'start: names no step ("nope")',
      'steps.0.next: names no step ("n1")',
      'steps.1.onMaxRetries: names no step ("n2")',
      'steps.2.cases.0.next: names no step ("n3")',
      'steps.2.default: names no step ("n4")',
      'steps.3.onError: names no step ("n5")',
    ])
  })

  it('refuses two steps with one id', () => {
    expect(
      refusals({
        steps: [
          { id: 'a', type: 'end' },
          { id: 'b', type: 'end' },
          { id: 'a', type: 'end' },
        ],
      }),
    ).toEqual(['steps.2.id: is used by step 0 too: step ids must be unique'])
  })

  it('refuses a loop that never waits for the contact, explicit or by falling through', () => {
    expect(
      refusals({
        steps: [
          { id: 'a', type: 'send', text: '1' },
          { id: 'b', type: 'set', vars: { x: 1 } },
          {
            id: 'c',
            type: 'branch',
            cases: [{ when: { var: 'x', op: 'eq', value: 2 }, next: 'd' }],
            default: 'a',
          },
          { id: 'd', type: 'end' },
        ],
      }),
    ).toEqual([
      'steps.0: loops (a → b → c → a) without an ask: the flow would never wait for the contact',
    ])
    expect(refusals({ steps: [{ id: 'a', type: 'send', text: '1', next: 'a' }] })).toEqual([
      'steps.0: loops (a → a) without an ask: the flow would never wait for the contact',
    ])
  })

  it('accepts a loop through an ask', () => {
    expect(
      refusals({
        steps: [
          {
            id: 'q',
            type: 'ask',
            text: 'Again?',
            var: 'again',
            answer: { type: 'choice', choices: [{ value: 'yes' }, { value: 'no' }] },
          },
          {
            id: 'b',
            type: 'branch',
            cases: [{ when: { var: 'again', op: 'eq', value: 'yes' }, next: 'q' }],
          },
          { id: 'e', type: 'end' },
        ],
      }),
    ).toEqual([])
  })

  it('refuses a pattern that cannot run in linear time, naming it', () => {
    const [refusal] = refusals({
      steps: [
        {
          id: 'q',
          type: 'ask',
          text: '?',
          var: 'v',
          answer: { type: 'regex', pattern: '(\\w+)\\s\\1' },
        },
      ],
    })
    expect(refusal).toMatch(/^steps\.0\.answer\.pattern: is not a pattern Linda can run safely/)
  })

  it('refuses reserved and malformed variable names, and conditions without their value', () => {
    expect(
      refusals({
        steps: [
          { id: 'q', type: 'ask', text: '?', var: 'contact' },
          { id: 'r', type: 'ask', text: '?', var: '1st' },
          { id: 'b', type: 'branch', cases: [{ when: { var: 'q', op: 'gt' }, next: 'q' }] },
          {
            id: 'c',
            type: 'branch',
            cases: [{ when: { var: 'q', op: 'in', value: 'x' }, next: 'q' }],
          },
        ],
      }),
    ).toEqual([
      'steps.0.var: must not be contact, message, flow (reserved)',
      'steps.1.var: must be a name of letters, digits and "_" (not starting with a digit), at most 64',
      'steps.2.cases.0.when.value: is needed by "gt"',
      'steps.3.cases.0.when.value: must be a list for "in"',
    ])
  })

  it('refuses an empty set step and a webhook that is not http(s)', () => {
    expect(
      refusals({
        steps: [
          { id: 's', type: 'set' },
          { id: 'w', type: 'webhook', url: 'ftp://example.com/x' },
        ],
      }),
    ).toEqual([
      'steps.0: must set at least one of vars, attributes, addTags, removeTags',
      'steps.1.url: must be an http(s) URL',
    ])
  })
})

describe('the API bodies', () => {
  it('checks the graph of a created flow', () => {
    const result = createFlowBody.safeParse({
      name: 'x',
      steps: [{ id: 'a', type: 'send', text: 'x', next: 'b' }],
    })
    expect(result.error?.issues[0]?.path).toEqual(['steps', 0, 'next'])
  })

  it('leaves the fields a PATCH does not give unset (no defaults)', () => {
    expect(updateFlowBody.parse({ enabled: false })).toEqual({ enabled: false })
    expect(updateFlowBody.safeParse({}).success).toBe(false)
  })
})
