import type { ConnectionState } from '../transports/index.js'

/**
 * The account lifecycle, the one place that says which state may follow which:
 *
 *   created → linking → connected ⇄ reconnecting → disconnected | logged_out | error
 *
 * - `created`: never connected.
 * - `linking`: waiting for the user to link a device (QR code or pairing code).
 * - `connected`: up.
 * - `reconnecting`: the transport is (re)establishing the connection by itself, retrying
 *   with backoff: the connection dropped, the provider cannot be reached, or WhatsApp asked
 *   for a restart right after a device was linked.
 * - `disconnected`: stopped on purpose; the link is kept, `connect` resumes it.
 * - `logged_out`: the link is gone (the phone unlinked the device, or `logout`); a new
 *   link is needed, so `connect` goes through `linking` again (or straight to `connected`
 *   for a transport without pairing).
 * - `error`: failed, with a reason; `connect` tries again.
 *
 * Staying in the same state is not a transition (only the reason may change).
 */
export const accountTransitions = {
  created: ['linking', 'connected', 'reconnecting', 'disconnected', 'logged_out', 'error'],
  linking: ['connected', 'reconnecting', 'disconnected', 'logged_out', 'error'],
  connected: ['reconnecting', 'disconnected', 'logged_out', 'error'],
  reconnecting: ['connected', 'disconnected', 'logged_out', 'error'],
  disconnected: ['linking', 'connected', 'reconnecting', 'logged_out', 'error'],
  // A logged-out account stays logged out when it is disconnected: its link is gone
  // either way, and "disconnected" would promise that `connect` resumes one.
  logged_out: ['linking', 'connected', 'error'],
  error: ['linking', 'connected', 'reconnecting', 'disconnected', 'logged_out'],
} as const satisfies Record<ConnectionState, readonly ConnectionState[]>

/** Whether an account in state `from` may move to `to` (a different state). */
export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return (accountTransitions[from] as readonly ConnectionState[]).includes(to)
}

/** Why a transition was refused, for logs and errors. */
export function refusedTransition(from: ConnectionState, to: ConnectionState): string {
  const allowed = accountTransitions[from]
  return `an account cannot go from ${from} to ${to} (from ${from}: ${allowed.join(', ')})`
}
