import { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  SessionChannel,
  WorkerGoneError,
  WorkerRequestError,
  WorkerTimeoutError,
  type ChannelHandlers,
  type Loss,
} from './baileys.channel.js'
import type { Call } from './baileys.protocol.js'

// Small stand-ins for a session worker, in plain JavaScript: the channel only sees messages.
const preamble = `
const { parentPort } = require('node:worker_threads')
const post = (m) => parentPort.postMessage(m)
`

/** A worker that says it is ready and answers each request as `respond` says. */
function workerScript(respond: string, extra = ''): string {
  return `${preamble}
parentPort.on('message', (m) => {
  if (m.type !== 'request') return
  const answer = (${respond})(m.request)
  if (answer !== undefined) post({ type: 'response', id: m.id, outcome: answer })
})
${extra}
post({ type: 'ready' })
`
}

const channels: SessionChannel[] = []
afterEach(async () => {
  await Promise.all(channels.splice(0).map((c) => c.close()))
})

function recorder() {
  const seen = {
    states: [] as Array<[string, string | undefined]>,
    invalid: [] as string[],
    losses: [] as Loss[],
    calls: [] as Call[],
    memory: [] as number[],
  }
  const handlers: ChannelHandlers = {
    call: (call) => {
      seen.calls.push(call)
      if (call.op === 'read') return Promise.resolve([['creds', 'stored']])
      return Promise.reject(new Error('the database is gone'))
    },
    state: (state, reason) => seen.states.push([state, reason]),
    pairing: () => {},
    log: () => {},
    memory: (usage) => seen.memory.push(usage.heapUsed),
    lost: (loss) => seen.losses.push(loss),
    invalid: (issue) => seen.invalid.push(issue),
  }
  return { seen, handlers }
}

function open(
  script: string,
  handlers: ChannelHandlers,
  options: { maxHeapMb?: number; timeoutMs?: number } = {},
): SessionChannel {
  const worker = new Worker(script, {
    eval: true,
    resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 64 },
  })
  const channel = new SessionChannel(worker, handlers, {
    maxHeapMb: options.maxHeapMb ?? 64,
    heartbeat: { intervalMs: 20, timeoutMs: options.timeoutMs ?? 5_000 },
    startTimeoutMs: 30_000,
  })
  channels.push(channel)
  return channel
}

describe(SessionChannel.name, () => {
  it('answers requests by id, and turns a refusal into a WorkerRequestError', async () => {
    const { handlers } = recorder()
    const channel = open(
      workerScript(`(r) => r.op === 'send'
        ? { ok: false, error: { code: 'BAILEYS_SEND_REJECTED', message: 'no', retryable: false, deliveryUnknown: false } }
        : { ok: true, value: r.op }`),
      handlers,
    )
    await channel.ready()
    expect(await channel.request({ op: 'connect' })).toBe('connect')
    const refused = await channel
      .request({
        op: 'send',
        message: { messageId: 'm', to: '+15550001111', type: 'text', text: 'x' },
      })
      .catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(WorkerRequestError)
    expect((refused as WorkerRequestError).error).toMatchObject({ code: 'BAILEYS_SEND_REJECTED' })
  })

  it('gives up on a request past its timeout', async () => {
    const { handlers } = recorder()
    const channel = open(workerScript('() => undefined'), handlers)
    await channel.ready()
    await expect(channel.request({ op: 'connect' }, 50)).rejects.toBeInstanceOf(WorkerTimeoutError)
  })

  it("answers the worker's calls, a failure as its message", async () => {
    const { seen, handlers } = recorder()
    const channel = open(
      `${preamble}
const results = []
parentPort.on('message', (m) => {
  if (m.type !== 'result') return
  results.push(m.outcome)
  if (results.length === 2) post({ type: 'state', state: 'connected', reason: JSON.stringify(results) })
})
post({ type: 'call', id: 1, call: { op: 'read', keys: ['creds'] } })
post({ type: 'call', id: 2, call: { op: 'clear' } })
post({ type: 'ready' })`,
      handlers,
    )
    await channel.ready()
    await vi.waitFor(() => expect(seen.states).toHaveLength(1))
    expect(seen.calls.map((c) => c.op)).toEqual(['read', 'clear'])
    expect(JSON.parse(seen.states[0]![1]!)).toEqual([
      { ok: true, value: [['creds', 'stored']] },
      { ok: false, error: 'the database is gone' },
    ])
  })

  it('drops a message outside the protocol and names what is wrong with it', async () => {
    const { seen, handlers } = recorder()
    const channel = open(
      `${preamble}
post({ type: 'state', state: 'happy' })
post({ type: 'call', id: 1, call: { op: 'inbound', message: { externalId: 'X', from: 'not a phone', type: 'text', text: 'hi', timestamp: '2026-11-25T10:00:00Z' } } })
post({ type: 'ready' })`,
      handlers,
    )
    await channel.ready()
    await vi.waitFor(() => expect(seen.invalid).toHaveLength(2))
    expect(seen.invalid[0]).toMatch(/^state: /)
    expect(seen.invalid[1]).toMatch(/^call\.message\.from: must be a phone number/)
    expect(seen.states).toEqual([])
    expect(seen.calls).toEqual([])
  })

  it('reports a worker that throws, failing the requests it left unanswered', async () => {
    const { seen, handlers } = recorder()
    const channel = open(
      workerScript(
        `(r) => { if (r.op === 'send') setImmediate(() => { throw new Error('boom') }) }`,
      ),
      handlers,
    )
    await channel.ready()
    const send = channel
      .request({
        op: 'send',
        message: { messageId: 'm', to: '+15550001111', type: 'text', text: 'x' },
      })
      .catch((err: unknown) => err)
    const gone = await send
    expect(gone).toBeInstanceOf(WorkerGoneError)
    expect((gone as WorkerGoneError).loss).toEqual({
      kind: 'crash',
      reason: 'worker crashed: boom',
    })
    expect(seen.losses).toEqual([{ kind: 'crash', reason: 'worker crashed: boom' }])
    await expect(channel.request({ op: 'ping' })).rejects.toBeInstanceOf(WorkerGoneError)
  })

  it('reports a worker that exits, with its code', async () => {
    const { seen, handlers } = recorder()
    const channel = open(workerScript(`() => process.exit(7)`), handlers)
    await channel.ready()
    await channel.request({ op: 'connect' }).catch(() => {})
    await channel.exited
    expect(seen.losses).toEqual([{ kind: 'exit', reason: 'worker exited with code 7' }])
  })

  it('reports a worker that passes its heap ceiling', async () => {
    const { seen, handlers } = recorder()
    const channel = open(
      workerScript(
        `() => { const keep = []; for (;;) keep.push(new Array(100000).fill(keep.length)) }`,
      ),
      handlers,
      { maxHeapMb: 32 },
    )
    await channel.ready()
    await channel.request({ op: 'connect' }).catch(() => {})
    await channel.exited
    expect(seen.losses).toEqual([{ kind: 'memory', reason: 'worker exceeded 32 MB heap' }])
  })

  it('ends a worker that stops answering its heartbeat, and hears the memory of one that answers', async () => {
    const { seen, handlers } = recorder()
    const answering = open(
      workerScript(
        `(r) => r.op === 'ping' ? { ok: true, value: { heapUsed: 5e6, external: 1e5 } } : { ok: true, value: null }`,
      ),
      handlers,
      { timeoutMs: 200 },
    )
    const stuck = open(
      workerScript(
        `(r) => { if (r.op === 'connect') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); return { ok: true, value: null } }`,
      ),
      handlers,
      { timeoutMs: 200 },
    )
    await Promise.all([answering.ready(), stuck.ready()])
    answering.startHeartbeat()
    stuck.startHeartbeat()
    void stuck.request({ op: 'connect' }).catch(() => {})
    await stuck.exited
    expect(seen.losses).toEqual([
      { kind: 'heartbeat', reason: 'worker stopped answering for 200 ms' },
    ])
    await vi.waitFor(() => expect(seen.memory.length).toBeGreaterThan(0))
    expect(seen.memory[0]).toBe(5e6)
  })

  it('closes a worker on purpose without reporting it lost', async () => {
    const { seen, handlers } = recorder()
    const channel = open(workerScript('() => undefined'), handlers)
    await channel.ready()
    const pending = channel.request({ op: 'disconnect' }).catch((err: unknown) => err)
    await channel.close()
    const err = await pending
    expect(err).toBeInstanceOf(WorkerGoneError)
    expect((err as WorkerGoneError).loss).toBeUndefined()
    expect(seen.losses).toEqual([])
  })
})
