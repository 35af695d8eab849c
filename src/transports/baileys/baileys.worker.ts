// The entry of a WhatsApp Web session's worker thread: one BaileysTransport, isolated from
// the main thread and from the other sessions (its own heap, with a ceiling). It has no
// database: its store and its listener are calls to the main thread over the worker's port
// (baileys.protocol.ts), and the main thread's requests (connect, disconnect, send, ping)
// are answered here. The main thread supervises it (baileys.session.ts).
import { Writable } from 'node:stream'
import { getHeapStatistics } from 'node:v8'
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { createLogger } from '../../platform/logging.js'
import { TransportError } from '../port.js'
import {
  describeIssue,
  hostMessageSchema,
  ingestedSchema,
  maybeStringSchema,
  readSchema,
  asOutbound,
  workerDataSchema,
  type Call,
  type Request,
  type TransportErrorShape,
  type WorkerMessage,
} from './baileys.protocol.js'
import type { MakeSocket } from './baileys.socket.js'
import type { BaileysStore } from './baileys.store.js'
import type { BaileysListener } from './baileys.transport.js'

if (!parentPort) throw new Error('baileys.worker runs as a worker thread only')
const port: MessagePort = parentPort

const post = (message: WorkerMessage) => port.postMessage(message)

const parsedData = workerDataSchema.safeParse(workerData)
if (!parsedData.success) {
  throw new Error(`WhatsApp Web worker started with bad data: ${describeIssue(parsedData.error)}`)
}
const data = parsedData.data

// Log lines go to the main thread, which writes them with its own logger.
const logger = createLogger(
  data.logLevel,
  new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      post({ type: 'log', line: chunk.toString() })
      done()
    },
  }),
  'json',
)

// ---- calls to the main thread ----

let nextCall = 0
const calls = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>()

function call(request: Call): Promise<unknown> {
  const id = ++nextCall
  return new Promise((resolve, reject) => {
    calls.set(id, { resolve, reject })
    post({ type: 'call', id, call: request })
  })
}

async function callFor<T>(request: Call, schema: { parse(value: unknown): T }): Promise<T> {
  return schema.parse(await call(request))
}

const store: BaileysStore = {
  read: async (keys) => new Map(await callFor({ op: 'read', keys: [...keys] }, readSchema)),
  write: async (entries) => {
    await call({ op: 'write', entries: [...entries] })
  },
  clear: async () => {
    await call({ op: 'clear' })
  },
  rememberMessage: async (messageId, message) => {
    await call({ op: 'rememberMessage', messageId, message })
  },
  recallMessage: async (messageId) =>
    (await callFor({ op: 'recallMessage', messageId }, maybeStringSchema)) ?? undefined,
  rememberLid: async (lid, phone) => {
    await call({ op: 'rememberLid', lid, phone })
  },
  phoneOfLid: async (lid) =>
    (await callFor({ op: 'phoneOfLid', lid }, maybeStringSchema)) ?? undefined,
}

const listener: BaileysListener = {
  inbound: (message) => callFor({ op: 'inbound', message }, ingestedSchema),
  statuses: async (updates) => {
    await call({ op: 'statuses', updates: [...updates] })
  },
  state: (state, reason) => post({ type: 'state', state, ...(reason ? { reason } : {}) }),
  pairing: (info) => post({ type: 'pairing', info: info && { ...info } }),
}

// ---- the session ----

async function loadMakeSocket(url: string): Promise<MakeSocket> {
  const module = (await import(url)) as { makeSocket?: unknown }
  if (typeof module.makeSocket !== 'function') {
    throw new Error(`the socket module ${url} does not export a makeSocket function`)
  }
  return module.makeSocket as MakeSocket
}

const makeSocket = data.socketModule ? await loadMakeSocket(data.socketModule) : undefined
// Baileys (tens of megabytes of protocol code) is loaded here, in the worker only.
const { BaileysTransport } = await import('./baileys.transport.js')
const transport = new BaileysTransport(listener, {
  accountId: data.accountId,
  ...(data.phone ? { phone: data.phone } : {}),
  store,
  logger,
  ...(makeSocket ? { makeSocket } : {}),
  ...(data.reconnect ? { reconnect: data.reconnect } : {}),
})

async function answer(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'connect':
      await transport.connect()
      return null
    case 'disconnect':
      await transport.disconnect()
      return null
    case 'send':
      // The main thread gives up on a send by its own timeout; the signal here never aborts.
      return transport.send(asOutbound(request.message), new AbortController().signal)
    case 'ping': {
      const heap = getHeapStatistics()
      return { heapUsed: heap.used_heap_size, external: heap.external_memory }
    }
  }
}

function errorShape(err: unknown): TransportErrorShape {
  if (err instanceof TransportError) {
    return {
      code: err.code,
      message: err.message,
      retryable: err.retryable,
      deliveryUnknown: err.deliveryUnknown,
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    }
  }
  return {
    code: 'BAILEYS_SEND_FAILED',
    message: err instanceof Error ? err.message : String(err),
    retryable: true,
    deliveryUnknown: false,
  }
}

port.on('message', (raw: unknown) => {
  const parsed = hostMessageSchema.safeParse(raw)
  if (!parsed.success) {
    logger.error({ issue: describeIssue(parsed.error) }, 'unreadable message from the main thread')
    return
  }
  const message = parsed.data
  if (message.type === 'result') {
    const pending = calls.get(message.id)
    if (!pending) return
    calls.delete(message.id)
    if (message.outcome.ok) pending.resolve(message.outcome.value)
    else pending.reject(new Error(message.outcome.error))
    return
  }
  const { id, request } = message
  answer(request).then(
    (value) => post({ type: 'response', id, outcome: { ok: true, value } }),
    (err: unknown) =>
      post({ type: 'response', id, outcome: { ok: false, error: errorShape(err) } }),
  )
})

post({ type: 'ready' })
