import { Writable } from 'node:stream'
import { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MemoryBaileysStore } from '../../../test/fakes/baileys/index.js'
import { createLogger } from '../../platform/logging.js'
import type { ConnectionState } from '../port.js'
import { SessionChannel, type Loss } from './baileys.channel.js'
import { BaileysError } from './baileys.errors.js'
import {
  RestartPolicy,
  SupervisedBaileysTransport,
  type SessionWorkers,
} from './baileys.session.js'
import type { BaileysListener } from './baileys.transport.js'

describe(RestartPolicy.name, () => {
  it('waits longer before each restart, up to its cap, with jitter of at most half', () => {
    const policy = new RestartPolicy(
      { baseMs: 100, maxMs: 1_000, maxRestarts: 100, windowMs: 60_000 },
      () => 1,
    )
    const delays = Array.from({ length: 6 }, (_, i) => policy.lost(i))
    expect(delays).toEqual(
      [100, 200, 400, 800, 1000, 1000].map((d) => ({ restart: true, delayMs: d })),
    )
    const low = new RestartPolicy({ baseMs: 100 }, () => 0)
    expect(low.lost(0)).toEqual({ restart: true, delayMs: 50 })
  })

  it('starts again from the base delay once the session came back', () => {
    const policy = new RestartPolicy({ baseMs: 100, maxRestarts: 100 }, () => 1)
    policy.lost(0)
    policy.lost(1)
    policy.recovered()
    expect(policy.lost(2)).toEqual({ restart: true, delayMs: 100 })
  })

  it('gives up past maxRestarts within the window, and not when they are spread out', () => {
    const policy = new RestartPolicy({ maxRestarts: 3, windowMs: 1_000 }, () => 0)
    expect([0, 10, 20].map((at) => policy.lost(at).restart)).toEqual([true, true, true])
    expect(policy.lost(30)).toEqual({ restart: false })

    const spread = new RestartPolicy({ maxRestarts: 3, windowMs: 1_000 }, () => 0)
    expect([0, 400, 800, 1_200, 1_600, 2_000].map((at) => spread.lost(at).restart)).toEqual(
      Array(6).fill(true),
    )
    spread.reset()
    expect([0, 1, 2].map((at) => spread.lost(3_000 + at).restart)).toEqual([true, true, true])
  })
})

// A stand-in session worker in plain JavaScript that speaks the protocol: it opens at once
// and answers sends as `send` says. The real worker (with Baileys) is tested in
// test/integration/baileys-sessions.test.ts.
function scriptedWorker(send: string): string {
  return `
const { parentPort } = require('node:worker_threads')
const post = (m) => parentPort.postMessage(m)
parentPort.on('message', (m) => {
  if (m.type !== 'request') return
  const answer = (outcome) => post({ type: 'response', id: m.id, outcome })
  switch (m.request.op) {
    case 'connect':
      post({ type: 'state', state: 'connected' })
      return answer({ ok: true, value: null })
    case 'disconnect':
      return answer({ ok: true, value: null })
    case 'ping':
      return answer({ ok: true, value: { heapUsed: 1, external: 1 } })
    case 'send':
      return (${send})(m.request.message, answer)
  }
})
post({ type: 'ready' })
`
}

const transports: SupervisedBaileysTransport[] = []
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.disconnect()))
})

/** A session on scripted workers: `send` answers sends; `code`, if given, is the whole worker. */
function setup(
  send: string,
  code?: string,
  restart = { baseMs: 10, maxMs: 10, maxRestarts: 5 },
  logger = createLogger('silent'),
) {
  const states: Array<[ConnectionState, string | undefined]> = []
  const restarts: Loss[] = []
  const listener: BaileysListener = {
    inbound: () => Promise.resolve({ messageId: 'x', duplicate: false }),
    statuses: () => Promise.resolve(),
    state: (state, reason) => states.push([state, reason]),
    pairing: () => {},
  }
  const workers: SessionWorkers = {
    open: (_session, handlers) =>
      new SessionChannel(new Worker(code ?? scriptedWorker(send), { eval: true }), handlers, {
        maxHeapMb: 64,
        heartbeat: { intervalMs: 1_000, timeoutMs: 30_000 },
        startTimeoutMs: 30_000,
      }),
    sendTimeoutMs: 200,
    startTimeoutMs: 30_000,
    restartPolicy: restart,
    logger,
    restarted: (_id, loss) => restarts.push(loss),
    memory: () => {},
  }
  const transport = new SupervisedBaileysTransport(
    listener,
    { accountId: 'acc-1', store: new MemoryBaileysStore() },
    workers,
  )
  transports.push(transport)
  return { transport, states, restarts }
}

const message = { messageId: 'm1', to: '+15550001111', type: 'text', text: 'hello' } as const
const signal = new AbortController().signal

describe(SupervisedBaileysTransport.name, () => {
  it("sends through its worker and reports the worker's states", async () => {
    const { transport, states } = setup(
      `(m, answer) => answer({ ok: true, value: { externalId: 'WA-' + m.messageId } })`,
    )
    await transport.connect()
    await vi.waitFor(() => expect(states).toEqual([['connected', undefined]]))
    expect(await transport.send(message, signal)).toEqual({ externalId: 'WA-m1' })
    await transport.disconnect()
    expect(states.at(-1)).toEqual(['disconnected', undefined])
    await expect(transport.send(message, signal)).rejects.toMatchObject({
      code: 'BAILEYS_NOT_CONNECTED',
      retryable: true,
      deliveryUnknown: false,
    })
  })

  it('fails a send as the worker said, keeping its code and whether to retry', async () => {
    const { transport } = setup(
      `(m, answer) => answer({ ok: false, error: { code: m.text === 'odd' ? 'SOMETHING_ELSE' : 'BAILEYS_SEND_REJECTED', message: 'refused', retryable: false, deliveryUnknown: false } })`,
    )
    await transport.connect()
    const refused = await transport.send(message, signal).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(BaileysError)
    expect(refused).toMatchObject({
      code: 'BAILEYS_SEND_REJECTED',
      retryable: false,
      deliveryUnknown: false,
    })
    await expect(transport.send({ ...message, text: 'odd' }, signal)).rejects.toMatchObject({
      code: 'BAILEYS_SEND_FAILED',
      retryable: false,
    })
  })

  it('fails a send the worker does not answer in time as of unknown outcome', async () => {
    const { transport } = setup(`() => {}`)
    await transport.connect()
    await expect(transport.send(message, signal)).rejects.toMatchObject({
      code: 'BAILEYS_CONNECTION_LOST',
      retryable: true,
      deliveryUnknown: true,
    })
  })

  it('restarts a worker that exits, reporting reconnecting with the reason', async () => {
    const { transport, states, restarts } = setup(`() => process.exit(9)`)
    await transport.connect()
    await expect(transport.send(message, signal)).rejects.toMatchObject({
      code: 'BAILEYS_WORKER_LOST',
      deliveryUnknown: true,
    })
    await vi.waitFor(() => expect(states.filter(([s]) => s === 'connected')).toHaveLength(2))
    expect(states).toEqual([
      ['connected', undefined],
      ['reconnecting', 'worker exited with code 9'],
      ['connected', undefined],
    ])
    expect(restarts).toEqual([{ kind: 'exit', reason: 'worker exited with code 9' }])
  })

  it('has a send asked for while its worker is restarted wait, without using up an attempt', async () => {
    const { transport, states } = setup(`() => process.exit(9)`, undefined, {
      baseMs: 60_000,
      maxMs: 60_000,
      maxRestarts: 5,
    })
    await transport.connect()
    await transport.send(message, signal).catch(() => {})
    await vi.waitFor(() => expect(states.at(-1)?.[0]).toBe('reconnecting'))
    const waiting = await transport.send(message, signal).catch((err: unknown) => err)
    expect(waiting).toMatchObject({
      code: 'BAILEYS_NOT_CONNECTED',
      retryable: true,
      deliveryUnknown: false,
      retryAfterMs: 1_000,
    })
  })

  it("writes the worker's log lines with its own logger, at their level, once each key", async () => {
    const lines: string[] = []
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString())
          done()
        },
      }),
      'json',
    )
    const line = JSON.stringify({
      level: 40,
      time: 1,
      pid: 2,
      accountId: 'acc-1',
      component: 'baileys',
      msg: 'slow',
    })
    const debug = JSON.stringify({ level: 20, msg: 'chatter' })
    const { transport } = setup(
      '',
      scriptedWorker('() => {}').replace(
        "post({ type: 'ready' })",
        `post({ type: 'log', line: ${JSON.stringify(line)} }); post({ type: 'log', line: ${JSON.stringify(debug)} }); post({ type: 'log', line: 'not json' }); post({ type: 'ready' })`,
      ),
      undefined,
      logger,
    )
    await transport.connect()
    await vi.waitFor(() => expect(lines).toHaveLength(2))
    const [slow, unreadable] = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(slow).toMatchObject({
      level: 40,
      msg: 'slow',
      accountId: 'acc-1',
      component: 'baileys',
      worker: true,
    })
    expect(lines[0]!.match(/"accountId"/g)).toHaveLength(1)
    expect(unreadable).toMatchObject({ level: 40, line: 'not json', accountId: 'acc-1' })
  })

  it('fails the connect when the worker cannot start, without restarting it', async () => {
    const { transport, states, restarts } = setup('', `throw new Error('no Baileys here')`)
    await expect(transport.connect()).rejects.toThrow(
      'the WhatsApp Web session could not start: worker crashed: no Baileys here',
    )
    expect(states).toEqual([])
    expect(restarts).toEqual([])
  })
})
