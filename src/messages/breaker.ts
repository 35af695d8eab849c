import type { BreakerState } from '../accounts/index.js'

export interface BreakerOptions {
  /** Failures in a row that open the breaker. */
  failureThreshold: number
  /** How long it stays open before a probe; doubles each time a probe fails. */
  coolDownMs: number
  /** The longest cool-down, however often probes fail. */
  maxCoolDownMs?: number
}

export interface BreakerSnapshot {
  state: BreakerState
  consecutiveFailures: number
  /** When it last opened (ms since the epoch); null while closed. */
  openedAt: number | null
  /** While open: when a probe may go. */
  probeAt: number | null
  /** Probes that failed since it opened (each doubles the cool-down). */
  reopened: number
}

/** What the breaker says to a send that asks to go. */
export type Admission = { go: true; probe: boolean } | { go: false; waitMs: number }

/** How long sends wait while a probe is out, before asking again. */
const PROBE_WAIT_MS = 1_000

/**
 * A circuit breaker for one account's sends. Closed: sends go, and `failureThreshold`
 * failures in a row open it. Open: sends wait until the cool-down has passed; then one send
 * goes as a probe (half-open) while the others keep waiting. The probe's success closes
 * it; its failure opens it again for twice as long (up to `maxCoolDownMs`).
 *
 * Transitions are returned (not published) so that the caller persists and announces them.
 */
export class CircuitBreaker {
  private snap: BreakerSnapshot
  private probing = false

  constructor(
    private options: BreakerOptions,
    private readonly now: () => number = Date.now,
    initial?: Partial<BreakerSnapshot>,
  ) {
    this.snap = {
      state: 'closed',
      consecutiveFailures: 0,
      openedAt: null,
      probeAt: null,
      reopened: 0,
      ...initial,
    }
    // A half-open breaker restored from storage lost its probe: the next send probes.
    if (this.snap.state === 'half_open') this.snap = { ...this.snap, state: 'open' }
  }

  get state(): BreakerState {
    return this.snap.state
  }

  snapshot(): BreakerSnapshot {
    return { ...this.snap }
  }

  /** New settings apply from the next transition. */
  configure(options: BreakerOptions): void {
    this.options = options
  }

  /** Whether a send may go now; an open breaker lets one probe through after its cool-down. */
  admit(): Admission {
    const now = this.now()
    switch (this.snap.state) {
      case 'closed':
        return { go: true, probe: false }
      case 'open': {
        const probeAt = this.snap.probeAt ?? now
        if (now < probeAt) return { go: false, waitMs: probeAt - now }
        this.snap = { ...this.snap, state: 'half_open' }
        this.probing = true
        return { go: true, probe: true }
      }
      case 'half_open':
        if (this.probing) return { go: false, waitMs: PROBE_WAIT_MS }
        this.probing = true
        return { go: true, probe: true }
    }
  }

  /** Without asking to go: how long a send would have to wait (0: it may try). */
  waitMs(): number {
    if (this.snap.state === 'closed') return 0
    if (this.snap.state === 'half_open') return this.probing ? PROBE_WAIT_MS : 0
    return Math.max(0, (this.snap.probeAt ?? 0) - this.now())
  }

  /** A send succeeded: the provider works, the breaker closes. Returns the new state if it changed. */
  success(probe: boolean): BreakerState | undefined {
    if (probe) this.probing = false
    const was = this.snap.state
    this.snap = {
      state: 'closed',
      consecutiveFailures: 0,
      openedAt: null,
      probeAt: null,
      reopened: 0,
    }
    return was === 'closed' ? undefined : 'closed'
  }

  /** A send failed in a way that says the account or provider is in trouble. */
  failure(probe: boolean): BreakerState | undefined {
    const now = this.now()
    const failures = this.snap.consecutiveFailures + 1
    if (probe) {
      this.probing = false
      const reopened = this.snap.reopened + 1
      this.snap = {
        state: 'open',
        consecutiveFailures: failures,
        openedAt: now,
        probeAt: now + this.coolDown(reopened),
        reopened,
      }
      return 'open'
    }
    if (this.snap.state === 'closed' && failures >= this.options.failureThreshold) {
      this.snap = {
        state: 'open',
        consecutiveFailures: failures,
        openedAt: now,
        probeAt: now + this.coolDown(0),
        reopened: 0,
      }
      return 'open'
    }
    this.snap = { ...this.snap, consecutiveFailures: failures }
    return undefined
  }

  /** A probe ended with no verdict (the send never reached the provider): another may go. */
  abandon(probe: boolean): void {
    if (probe) this.probing = false
  }

  /** Closes it by hand (an operator resumed sending). */
  reset(): BreakerState | undefined {
    this.probing = false
    return this.success(false)
  }

  private coolDown(reopened: number): number {
    const max = this.options.maxCoolDownMs ?? Math.max(this.options.coolDownMs, 10 * 60_000)
    return Math.min(max, this.options.coolDownMs * 2 ** Math.min(reopened, 20))
  }
}
