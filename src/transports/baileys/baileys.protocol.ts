// The messages between Linda's main thread and a WhatsApp Web session's worker, and the zod
// schemas each side checks what it receives against. Only the main thread has the database:
// the worker asks it for the session's auth state, sent messages and LIDs ("calls"), and
// reports inbound messages, receipts, states and pairing codes. The main thread asks the
// worker to connect, disconnect, send and answer heartbeats ("requests").
import { z } from 'zod'
import {
  connectionStates,
  messageTypes,
  outboundMessageTypes,
  receiptStatuses,
  type InboundMessage,
  type OutboundMessage,
  type StatusUpdate,
} from '../port.js'

/** What the worker is started with (`workerData`). */
export const workerDataSchema = z.object({
  accountId: z.string().min(1),
  /** The account's phone number (E.164), to ask for a pairing code with. */
  phone: z
    .string()
    .regex(/^\+\d{8,15}$/, 'must be a phone number in E.164 form')
    .optional(),
  /** URL of a module exporting `makeSocket`, loaded in the worker instead of Baileys' own. */
  socketModule: z.url().optional(),
  /** The level the worker logs at (its lines are handed to the main thread's logger). */
  logLevel: z.string().min(1),
  /** Reconnect backoff of the transport inside the worker. */
  reconnect: z
    .object({
      baseMs: z.number().int().min(0).optional(),
      maxMs: z.number().int().min(0).optional(),
    })
    .optional(),
})
export type WorkerData = z.infer<typeof workerDataSchema>

// ---- shapes of the port, as they cross the thread boundary ----

const errorShape = z.object({ code: z.string(), message: z.string() })

/** Message content is checked by its type here; its fields are the message pipeline's to check. */
const contentShape = z.looseObject({ type: z.enum(messageTypes) })

const inboundShape = z.object({
  externalId: z.string().min(1),
  from: z.string().regex(/^\+\d{8,15}$/, 'must be a phone number in E.164 form'),
  type: z.enum(messageTypes),
  text: z.string().nullable(),
  content: contentShape.optional(),
  replyTo: z.string().optional(),
  timestamp: z.iso.datetime({ offset: true }),
  profileName: z.string().optional(),
})

const statusShape = z.object({
  externalId: z.string().min(1),
  status: z.enum(receiptStatuses),
  timestamp: z.iso.datetime({ offset: true }),
  error: errorShape.optional(),
})

const outboundShape = z.object({
  messageId: z.string().min(1),
  to: z.string().min(1),
  type: z.enum(outboundMessageTypes),
  text: z.string(),
  content: z.looseObject({ type: z.enum(outboundMessageTypes) }).optional(),
})

/** A TransportError as it crosses: enough to build the same error on the other side. */
export const transportErrorShape = z.object({
  code: z.string().min(1),
  message: z.string(),
  retryable: z.boolean(),
  deliveryUnknown: z.boolean(),
  retryAfterMs: z.number().min(0).optional(),
})
export type TransportErrorShape = z.infer<typeof transportErrorShape>

// ---- worker → main ----

/** What the worker asks of the main thread; each is answered by a `result`. */
export const callSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('read'), keys: z.array(z.string()) }),
  z.object({
    op: z.literal('write'),
    entries: z.array(z.tuple([z.string(), z.string().nullable()])),
  }),
  z.object({ op: z.literal('clear') }),
  z.object({ op: z.literal('rememberMessage'), messageId: z.string().min(1), message: z.string() }),
  z.object({ op: z.literal('recallMessage'), messageId: z.string().min(1) }),
  z.object({ op: z.literal('rememberLid'), lid: z.string().min(1), phone: z.string().min(1) }),
  z.object({ op: z.literal('phoneOfLid'), lid: z.string().min(1) }),
  z.object({ op: z.literal('inbound'), message: inboundShape }),
  z.object({ op: z.literal('statuses'), updates: z.array(statusShape) }),
])
export type Call = z.infer<typeof callSchema>

/** The memory of a worker's isolate, in bytes. */
export const memorySchema = z.object({
  /** V8 heap in use. */
  heapUsed: z.number().min(0),
  /** Memory outside the heap held by the isolate (Buffers, ArrayBuffers). */
  external: z.number().min(0),
})
export type WorkerMemory = z.infer<typeof memorySchema>

export const workerMessageSchema = z.discriminatedUnion('type', [
  /** The worker loaded Baileys and takes requests. */
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('call'), id: z.number().int(), call: callSchema }),
  z.object({
    type: z.literal('response'),
    id: z.number().int(),
    outcome: z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), value: z.unknown() }),
      z.object({ ok: z.literal(false), error: transportErrorShape }),
    ]),
  }),
  z.object({
    type: z.literal('state'),
    state: z.enum(connectionStates),
    reason: z.string().optional(),
  }),
  z.object({
    type: z.literal('pairing'),
    info: z.object({ qr: z.string().optional(), pairingCode: z.string().optional() }).nullable(),
  }),
  /** One log line (pino's JSON) of the worker, for the main thread's logger. */
  z.object({ type: z.literal('log'), line: z.string() }),
])
export type WorkerMessage = z.infer<typeof workerMessageSchema>

// ---- main → worker ----

/** What the main thread asks of the worker; each is answered by a `response`. */
export const requestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('connect') }),
  z.object({ op: z.literal('disconnect') }),
  z.object({ op: z.literal('send'), message: outboundShape }),
  z.object({ op: z.literal('ping') }),
])
export type Request = z.infer<typeof requestSchema>

export const hostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('request'), id: z.number().int(), request: requestSchema }),
  z.object({
    type: z.literal('result'),
    id: z.number().int(),
    outcome: z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), value: z.unknown() }),
      z.object({ ok: z.literal(false), error: z.string() }),
    ]),
  }),
])
export type HostMessage = z.infer<typeof hostMessageSchema>

// ---- what each answer carries ----

export const sentSchema = z.object({ externalId: z.string().min(1) })
export const ingestedSchema = z.object({ messageId: z.string(), duplicate: z.boolean() })
export const readSchema = z.array(z.tuple([z.string(), z.string()]))
/** A value the store may not have: null when it has none. */
export const maybeStringSchema = z.string().nullable()

/** The first problem zod found, as `path: message`, for logs and errors. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid'
  const path = issue.path.map(String).join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}

// The port's types, as checked here: the schemas above only loosen message content.
export type CheckedInbound = z.infer<typeof inboundShape>
export const asInbound = (m: CheckedInbound): InboundMessage => m as InboundMessage
export const asStatuses = (u: z.infer<typeof statusShape>[]): StatusUpdate[] => u
export const asOutbound = (m: z.infer<typeof outboundShape>): OutboundMessage =>
  m as OutboundMessage
