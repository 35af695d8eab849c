import type { ThrottleRecord } from './sessions.repo.js'

/** How failed sign-ins for one key (an email address, or a client address) slow it down. */
export interface ThrottlePolicy {
  /** Failures allowed before any lockout. */
  freeFailures: number
  /** The first lockout; each further failure doubles it. */
  baseLockMs: number
  maxLockMs: number
  /** A key with no failure for this long starts again from zero. */
  forgetAfterMs: number
}

/** Per email address: a person mistyping gets five tries, a guesser about one an hour later. */
export const emailPolicy: ThrottlePolicy = {
  freeFailures: 5,
  baseLockMs: 1_000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
}

/** Per client address: more room (an office shares one address), the same growth. */
export const ipPolicy: ThrottlePolicy = {
  freeFailures: 20,
  baseLockMs: 1_000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
}

/** The record after one more failure at `now`: past the free ones, an exponential lockout. */
export function afterFailure(
  key: string,
  previous: ThrottleRecord | undefined,
  now: number,
  policy: ThrottlePolicy,
): ThrottleRecord {
  const fresh = !previous || now - Date.parse(previous.lastFailureAt) > policy.forgetAfterMs
  const failures = fresh ? 1 : previous.failures + 1
  const over = failures - policy.freeFailures
  const lockMs = over > 0 ? Math.min(policy.maxLockMs, policy.baseLockMs * 2 ** (over - 1)) : 0
  return {
    key,
    failures,
    lastFailureAt: new Date(now).toISOString(),
    lockedUntil: lockMs > 0 ? new Date(now + lockMs).toISOString() : null,
  }
}

/** How long until every one of these keys may try again; 0 when none is locked. */
export function lockedForMs(records: readonly ThrottleRecord[], now: number): number {
  let wait = 0
  for (const r of records) {
    if (r.lockedUntil) wait = Math.max(wait, Date.parse(r.lockedUntil) - now)
  }
  return wait
}
