/**
 * Items waiting, by key, for something that has not happened yet; each is dropped after
 * `ttlMs`, and the room holds at most `limit` keys (the oldest go first).
 */
export class WaitingRoom<T> {
  private readonly waiting = new Map<string, { until: number; items: T[] }>()

  constructor(
    private readonly ttlMs = 120_000,
    private readonly limit = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  hold(key: string, item: T): void {
    this.sweep()
    const entry = this.waiting.get(key)
    if (entry) {
      entry.items.push(item)
      return
    }
    if (this.waiting.size >= this.limit) this.waiting.delete(this.waiting.keys().next().value!)
    this.waiting.set(key, { until: this.now() + this.ttlMs, items: [item] })
  }

  /** The items waiting for `key`, in the order they came; they leave the room. */
  take(key: string): T[] {
    if (this.waiting.size === 0) return []
    const entry = this.waiting.get(key)
    if (!entry) return []
    this.waiting.delete(key)
    return entry.until >= this.now() ? entry.items : []
  }

  get size(): number {
    return this.waiting.size
  }

  private sweep(): void {
    const now = this.now()
    for (const [key, entry] of this.waiting) {
      if (entry.until >= now) break
      this.waiting.delete(key)
    }
  }
}
