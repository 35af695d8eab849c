/**
 * Runs tasks of one key one at a time, in the order they were handed in; tasks of other
 * keys run alongside. In-process only: it orders the bot's work on each conversation until
 * the job queue orders jobs of a group itself (then the queue's `group` option replaces it).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>()

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const result = previous.then(task)
    const tail = result.then(
      () => undefined,
      () => undefined,
    )
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return result
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.tails.size
  }
}
