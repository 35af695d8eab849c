/**
 * Per-key send pacing: each key may take one slot every 1/rate seconds, with a burst of
 * up to one second's worth. `reserve` books the next slot and says how long to wait for it.
 */
export class SendPacer {
  private readonly next = new Map<string, number>()

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds to wait before sending; 0 to send now. A null rate never waits. */
  reserve(key: string, ratePerSecond: number | null): number {
    if (ratePerSecond === null) return 0
    const interval = 1000 / ratePerSecond
    const now = this.now()
    // The burst is a second's worth of slots, and never less than one: below one send a
    // second the floor would otherwise sit in the future and every send would wait.
    const burstFloor = now - Math.max(0, 1000 - interval)
    const slot = Math.max(this.next.get(key) ?? burstFloor, burstFloor)
    this.next.set(key, slot + interval)
    return Math.max(0, Math.ceil(slot - now))
  }

  /** Gives back a slot reserved but not used. */
  release(key: string, ratePerSecond: number | null): void {
    if (ratePerSecond === null) return
    const current = this.next.get(key)
    if (current !== undefined) this.next.set(key, current - 1000 / ratePerSecond)
  }
}
