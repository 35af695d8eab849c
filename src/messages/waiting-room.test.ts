import { describe, expect, it } from 'vitest'
import { WaitingRoom } from './waiting-room.js'

function room(ttlMs = 1000, limit = 3) {
  let now = 0
  const clock = { advance: (ms: number) => (now += ms) }
  return { room: new WaitingRoom<string>(ttlMs, limit, () => now), clock }
}

describe(WaitingRoom.name, () => {
  it('hands back what waited for a key, in order, once', () => {
    const { room: r } = room()
    r.hold('a', '1')
    r.hold('a', '2')
    expect(r.take('a')).toEqual(['1', '2'])
    expect(r.take('a')).toEqual([])
  })

  it('drops what waited too long', () => {
    const { room: r, clock } = room(1000)
    r.hold('a', '1')
    clock.advance(1001)
    expect(r.take('a')).toEqual([])
  })

  it('keeps at most `limit` keys, dropping the oldest', () => {
    const { room: r } = room(1000, 2)
    r.hold('a', '1')
    r.hold('b', '2')
    r.hold('c', '3')
    expect(r.size).toBe(2)
    expect(r.take('a')).toEqual([])
    expect(r.take('c')).toEqual(['3'])
  })
})
