import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sendOrigins } from './messages.schemas.js'
import { mayReachOptedOut } from './opt-out.js'

describe(mayReachOptedOut.name, () => {
  const cases = fc.record({
    origin: fc.constantFrom(...sendOrigins),
    transactional: fc.boolean(),
    answersContact: fc.boolean(),
  })

  it('never lets a campaign or a schedule reach a contact who opted out', () => {
    fc.assert(
      fc.property(cases, (c) => {
        if (c.origin === 'campaign' || c.origin === 'schedule') {
          expect(mayReachOptedOut(c)).toBe(false)
        }
      }),
    )
  })

  it('lets an API send through only when it is transactional', () => {
    fc.assert(
      fc.property(cases, (c) => {
        if (c.origin === 'api') expect(mayReachOptedOut(c)).toBe(c.transactional)
      }),
    )
  })

  it('lets the bot, a flow or an agent answer the contact, and nothing else from them', () => {
    fc.assert(
      fc.property(cases, (c) => {
        if (c.origin === 'bot' || c.origin === 'flow' || c.origin === 'agent') {
          expect(mayReachOptedOut(c)).toBe(c.answersContact)
        }
      }),
    )
  })

  it('lets through only what is an answer or transactional, for every origin', () => {
    fc.assert(
      fc.property(cases, (c) => {
        if (mayReachOptedOut(c)) expect(c.answersContact || c.transactional).toBe(true)
      }),
    )
  })
})
