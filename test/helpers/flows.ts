// Random conversation flows for property tests: any mix of step types and links that the
// flow schema accepts (steps that do not wait link forwards, or back to an ask), and answers
// of every kind a question may get.
import fc from 'fast-check'
import type { FlowStep } from '../../src/bot/flows/index.js'

/** Steps in a random flow at most. */
const N = 8
/** Answers to random questions: numbers, emails, dates, choices, junk, the cancel keyword. */
export const answerPool = [
  '1',
  '2',
  '7',
  '42',
  '-3',
  'yes',
  'small',
  'big',
  'a@b.co',
  '2026-02-30',
  '03/04/2026',
  'cancel',
  '',
  'x'.repeat(50),
  '{{contact.phone}}',
]

/** The steps of a random valid flow (ids s0, s1, …; variables v0, v1, v2). */
export const randomFlowSteps = fc
  .array(fc.constantFrom('send', 'ask', 'branch', 'set', 'webhook', 'end', 'handoff'), {
    minLength: 1,
    maxLength: N,
  })
  .chain((types) => {
    const ids = types.map((_, i) => `s${i}`)
    const asks = ids.filter((_, i) => types[i] === 'ask')
    const target = (i: number, type: string) => {
      const options = type === 'ask' ? ids : [...ids.slice(i + 1), ...asks]
      return options.length === 0
        ? fc.constant(undefined)
        : fc.option(fc.constantFrom(...options), { nil: undefined })
    }
    const step = (type: string, i: number): fc.Arbitrary<FlowStep> => {
      const id = ids[i]!
      switch (type) {
        case 'send':
          return target(i, type).map(
            (next) => ({ id, type: 'send', text: `at ${id} {{v0}}`, next }) as FlowStep,
          )
        case 'ask':
          return fc
            .tuple(
              target(i, type),
              target(i, type),
              fc.constantFrom<unknown>(
                { type: 'text' },
                { type: 'number', min: 0, max: 10 },
                { type: 'email' },
                { type: 'date' },
                { type: 'choice', choices: [{ value: 'small' }, { value: 'big' }] },
                { type: 'regex', pattern: '^(a+)+$' },
              ),
              fc.integer({ min: 0, max: 2 }),
            )
            .map(
              ([next, onMaxRetries, answer, maxRetries]) =>
                ({
                  id,
                  type: 'ask',
                  text: `q ${id}`,
                  var: `v${i % 3}`,
                  answer,
                  maxRetries,
                  onMaxRetries,
                  next,
                }) as unknown as FlowStep,
            )
        case 'branch':
          return fc
            .tuple(target(i, type), target(i, type), fc.integer({ min: 0, max: 10 }))
            .map(([to, fallback, value]) =>
              to === undefined
                ? ({ id, type: 'send', text: 'no branch' } as FlowStep)
                : ({
                    id,
                    type: 'branch',
                    cases: [{ when: { var: 'v0', op: 'gt', value }, next: to }],
                    default: fallback,
                  } as unknown as FlowStep),
            )
        case 'set':
          return target(i, type).map(
            (next) =>
              ({
                id,
                type: 'set',
                vars: { v1: '{{v0}}' },
                attributes: { last: id },
                addTags: [id],
                next,
              }) as unknown as FlowStep,
          )
        case 'webhook':
          return target(i, type).map(
            (next) =>
              ({
                id,
                type: 'webhook',
                url: 'https://example.com/h',
                saveAs: 'hook',
                next,
              }) as unknown as FlowStep,
          )
        case 'handoff':
          return fc.constant({ id, type: 'handoff', text: 'human' } as FlowStep)
        default:
          return fc.constant({ id, type: 'end', text: 'bye {{v0}}' } as FlowStep)
      }
    }
    return fc.tuple(...types.map(step))
  })
