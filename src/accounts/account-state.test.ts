import { describe, expect, it } from 'vitest'
import { connectionStates, type ConnectionState } from '../transports/index.js'
import { canTransition, refusedTransition } from './account-state.js'

// The lifecycle written out by hand, independently of the table in account-state.ts: every
// pair not listed here must be refused.
const allowed = new Set([
  'created → linking',
  'created → connected',
  'created → reconnecting',
  'created → disconnected',
  'created → logged_out',
  'created → error',
  'linking → connected',
  'linking → reconnecting',
  'linking → disconnected',
  'linking → logged_out',
  'linking → error',
  'connected → reconnecting',
  'connected → disconnected',
  'connected → logged_out',
  'connected → error',
  'reconnecting → connected',
  'reconnecting → disconnected',
  'reconnecting → logged_out',
  'reconnecting → error',
  'disconnected → linking',
  'disconnected → connected',
  'disconnected → reconnecting',
  'disconnected → logged_out',
  'disconnected → error',
  'logged_out → linking',
  'logged_out → connected',
  'logged_out → error',
  'error → linking',
  'error → connected',
  'error → reconnecting',
  'error → disconnected',
  'error → logged_out',
])

const pairs = connectionStates.flatMap((from) =>
  connectionStates.map((to) => [from, to] as [ConnectionState, ConnectionState]),
)

describe(canTransition.name, () => {
  it.each(pairs.filter(([from, to]) => allowed.has(`${from} → ${to}`)))(
    'allows %s → %s',
    (from, to) => {
      expect(canTransition(from, to)).toBe(true)
    },
  )

  it.each(pairs.filter(([from, to]) => !allowed.has(`${from} → ${to}`)))(
    'refuses %s → %s',
    (from, to) => {
      expect(canTransition(from, to)).toBe(false)
    },
  )

  it('treats staying in a state as no transition', () => {
    for (const state of connectionStates) expect(canTransition(state, state)).toBe(false)
  })

  it('lets every state but created be reached, and every state be left', () => {
    for (const state of connectionStates) {
      const reachable = connectionStates.some((from) => canTransition(from, state))
      expect(reachable, state).toBe(state !== 'created')
      expect(
        connectionStates.some((to) => canTransition(state, to)),
        state,
      ).toBe(true)
    }
  })

  it('lets a connect start from every state an account rests in', () => {
    for (const state of ['created', 'disconnected', 'logged_out', 'error'] as const) {
      expect(canTransition(state, 'connected') || canTransition(state, 'linking'), state).toBe(true)
    }
  })
})

describe(refusedTransition.name, () => {
  it('names both states and what is allowed instead', () => {
    expect(refusedTransition('logged_out', 'disconnected')).toBe(
      'an account cannot go from logged_out to disconnected (from logged_out: linking, connected, error)',
    )
  })
})
