import { describe, expect, it } from 'vitest'
import { KeyedLock } from './keyed-lock.js'

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

describe(KeyedLock.name, () => {
  it('runs the tasks of one key one at a time, in order, and other keys alongside', async () => {
    const lock = new KeyedLock()
    const log: string[] = []
    const first = deferred()
    const a1 = lock.run('a', async () => {
      log.push('a1 start')
      await first.promise
      log.push('a1 end')
    })
    const a2 = lock.run('a', async () => {
      log.push('a2')
    })
    const b1 = lock.run('b', async () => {
      log.push('b1')
    })
    await b1
    expect(log).toEqual(['a1 start', 'b1'])
    first.resolve()
    await Promise.all([a1, a2])
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2'])
    await Promise.resolve()
    expect(lock.size).toBe(0)
  })

  it('goes on with the next task when one fails', async () => {
    const lock = new KeyedLock()
    const failed = lock.run('a', () => Promise.reject(new Error('boom')))
    const next = lock.run('a', () => Promise.resolve(42))
    await expect(failed).rejects.toThrow('boom')
    await expect(next).resolves.toBe(42)
  })
})
