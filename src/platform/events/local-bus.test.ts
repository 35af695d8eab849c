import { Writable } from 'node:stream'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { createLogger } from '../logging.js'
import { LocalEventBus } from './local-bus.js'
import type { DomainEvent } from './port.js'

declare module './port.js' {
  interface EventRegistry {
    'test.ping': { n: number }
    'test.other': { text: string }
  }
}

/** A bus whose logger writes JSON lines into `logs`. */
function makeBus(): { bus: LocalEventBus; logs: Array<Record<string, unknown>> } {
  const logs: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        logs.push(JSON.parse(line) as Record<string, unknown>)
      }
      callback()
    },
  })
  return { bus: new LocalEventBus(createLogger('error', sink)), logs }
}

/** Lets every queued microtask (the bus's deliveries) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe(LocalEventBus.name, () => {
  it('delivers a published event to the subscribers of its name, with a timestamp', async () => {
    const { bus } = makeBus()
    const seen: Array<DomainEvent<'test.ping'>> = []
    bus.subscribe('test.ping', (event) => {
      expectTypeOf(event.data).toEqualTypeOf<{ n: number }>()
      seen.push(event)
    })
    const before = Date.now()
    bus.publish('test.ping', { n: 1 })
    await settle()
    expect(seen).toEqual([{ type: 'test.ping', data: { n: 1 }, at: expect.any(String) }])
    expect(Date.parse(seen[0]?.at ?? '')).toBeGreaterThanOrEqual(before - 1)
  })

  it('does not deliver events of other names', async () => {
    const { bus } = makeBus()
    const seen: unknown[] = []
    bus.subscribe('test.other', (event) => seen.push(event.data))
    bus.publish('test.ping', { n: 1 })
    await settle()
    expect(seen).toEqual([])
  })

  it('delivers after publish returns, so a subscriber never runs inside the publisher', async () => {
    const { bus } = makeBus()
    let calls = 0
    bus.subscribe('test.ping', () => calls++)
    bus.publish('test.ping', { n: 1 })
    expect(calls).toBe(0)
    await settle()
    expect(calls).toBe(1)
  })

  it('delivers every event to a "*" subscriber', async () => {
    const { bus } = makeBus()
    const seen: string[] = []
    bus.subscribe('*', (event) => seen.push(event.type))
    bus.publish('test.ping', { n: 1 })
    bus.publish('test.other', { text: 'hi' })
    await settle()
    expect(seen).toEqual(['test.ping', 'test.other'])
  })

  it('keeps the order of publishing for one subscriber', async () => {
    const { bus } = makeBus()
    const seen: number[] = []
    bus.subscribe('test.ping', (event) => seen.push(event.data.n))
    for (let n = 0; n < 5; n++) bus.publish('test.ping', { n })
    await settle()
    expect(seen).toEqual([0, 1, 2, 3, 4])
  })

  it('publishes with no subscribers without failing', () => {
    const { bus } = makeBus()
    expect(() => bus.publish('test.ping', { n: 1 })).not.toThrow()
  })

  it('keeps delivering to the other handlers when one throws, and logs the failure', async () => {
    const { bus, logs } = makeBus()
    const seen: string[] = []
    bus.subscribe('test.ping', () => seen.push('first'))
    bus.subscribe('test.ping', () => {
      throw new Error('handler exploded')
    })
    bus.subscribe('test.ping', () => seen.push('third'))
    bus.subscribe('*', () => seen.push('wildcard'))
    expect(() => bus.publish('test.ping', { n: 1 })).not.toThrow()
    await settle()
    expect(seen).toEqual(['first', 'third', 'wildcard'])
    expect(logs).toEqual([
      expect.objectContaining({
        msg: 'event handler failed',
        event: 'test.ping',
        err: expect.objectContaining({ message: 'handler exploded' }),
      }),
    ])
  })

  it('stops delivering to a handler once unsubscribed, and only to that handler', async () => {
    const { bus } = makeBus()
    const seen: string[] = []
    const unsubscribe = bus.subscribe('test.ping', (e) => seen.push(`a${e.data.n}`))
    const unsubscribeAll = bus.subscribe('*', (e) => seen.push(`*${e.type}`))
    bus.subscribe('test.ping', (e) => seen.push(`b${e.data.n}`))
    bus.publish('test.ping', { n: 1 })
    await settle()
    unsubscribe()
    unsubscribeAll()
    bus.publish('test.ping', { n: 2 })
    await settle()
    expect(seen).toEqual(['a1', 'b1', '*test.ping', 'b2'])
  })

  it('can be unsubscribed twice harmlessly', async () => {
    const { bus } = makeBus()
    let calls = 0
    const unsubscribe = bus.subscribe('test.ping', () => calls++)
    unsubscribe()
    unsubscribe()
    bus.publish('test.ping', { n: 1 })
    await settle()
    expect(calls).toBe(0)
  })
})
