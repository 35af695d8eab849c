// A scripted stand-in for a Baileys socket: it emits Baileys' own event shapes
// (connection.update with qr/open/close, creds.update, messages.upsert, messages.update,
// message-receipt.update, lid-mapping.update) when a test says so, and records what the
// transport asks of it. Nothing here touches the network.
import { EventEmitter } from 'node:events'
import {
  proto,
  type BaileysEventMap,
  type MessageUserReceiptUpdate,
  type WAMessage,
  type WAMessageKey,
  type WAMessageUpdate,
} from '@whiskeysockets/baileys'
import type {
  BaileysSocket,
  BaileysSocketConfig,
  BaileysStore,
  MakeSocket,
  Timers,
} from '../../../src/transports/baileys/index.js'

/** An error shaped like Baileys' `Boom` errors: the code in `output.statusCode`. */
export class FakeBoom extends Error {
  readonly isBoom = true
  readonly output: { statusCode: number }
  constructor(message: string, statusCode: number) {
    super(message)
    this.output = { statusCode }
  }
}

export const disconnect = {
  loggedOut: 401,
  forbidden: 403,
  connectionLost: 408,
  connectionClosed: 428,
  connectionReplaced: 440,
  restartRequired: 515,
} as const

export class FakeBaileysSocket implements BaileysSocket {
  private readonly emitter = new EventEmitter()
  readonly ev = {
    on: <E extends keyof BaileysEventMap>(
      event: E,
      listener: (data: BaileysEventMap[E]) => void,
    ): void => {
      this.emitter.on(event, listener)
    },
  }
  /** Every sendMessage call. */
  readonly sent: Array<{ jid: string; content: { text: string } }> = []
  /** Every presence shown (`composing` before a send), in order. */
  readonly presences: Array<{ type: 'composing' | 'paused'; jid: string }> = []
  /** Every batch of keys sent read receipts for, in order. */
  readonly reads: WAMessageKey[][] = []
  /** Phone numbers a pairing code was asked for. */
  readonly pairingRequests: string[] = []
  ended = false
  /** What the next sendMessage throws, once. */
  failNextSend: Error | undefined
  /** The code requestPairingCode answers. */
  pairingCode = 'ABCD1234'
  /** LID → phone JID, as Baileys' own LID store would answer. */
  readonly knownLids = new Map<string, string>()
  readonly signalRepository = {
    lidMapping: {
      getPNForLID: (lid: string) => Promise.resolve(this.knownLids.get(lid) ?? null),
    },
  }
  /** Phone JIDs WhatsApp knows, with their LID JIDs, as onWhatsApp answers. */
  readonly registered = new Map<string, string | undefined>()
  private sequence = 0

  constructor(readonly config: BaileysSocketConfig) {}

  async onWhatsApp(
    ...jids: string[]
  ): Promise<Array<{ jid: string; exists: boolean; lid?: unknown }>> {
    // Like WhatsApp, answers only for the numbers that have an account.
    return jids
      .filter((jid) => this.registered.has(jid))
      .map((jid) => ({ jid, exists: true, lid: this.registered.get(jid) }))
  }

  emit<E extends keyof BaileysEventMap>(event: E, data: BaileysEventMap[E]): void {
    this.emitter.emit(event, data)
  }

  qr(code: string): void {
    this.emit('connection.update', { qr: code })
  }

  open(): void {
    this.emit('connection.update', { connection: 'open' })
  }

  close(statusCode: number | undefined, message = 'Connection Closed'): void {
    const error = statusCode === undefined ? undefined : new FakeBoom(message, statusCode)
    this.emit('connection.update', {
      connection: 'close',
      lastDisconnect: { error, date: new Date() },
    })
  }

  /** What Baileys emits when a phone accepts the link (`configureSuccessfulPairing`). */
  paired(phoneDigits: string): void {
    this.emit('creds.update', {
      me: { id: `${phoneDigits}:7@s.whatsapp.net`, name: 'Linda test' },
      account: { details: new Uint8Array([1, 2, 3]), accountSignature: new Uint8Array([4]) },
      platform: 'smba',
    })
    this.emit('connection.update', { isNewLogin: true, qr: undefined })
  }

  upsert(messages: WAMessage[], type: 'notify' | 'append' = 'notify'): void {
    this.emit('messages.upsert', { messages, type })
  }

  updates(updates: WAMessageUpdate[]): void {
    this.emit('messages.update', updates)
  }

  receipts(receipts: MessageUserReceiptUpdate[]): void {
    this.emit('message-receipt.update', receipts)
  }

  async sendMessage(jid: string, content: { text: string }): Promise<WAMessage | undefined> {
    this.sent.push({ jid, content })
    const failure = this.failNextSend
    if (failure) {
      this.failNextSend = undefined
      throw failure
    }
    const id = `3EB0FAKE${String(++this.sequence).padStart(8, '0')}`
    return {
      key: { remoteJid: jid, fromMe: true, id },
      message: { extendedTextMessage: { text: content.text } },
      messageTimestamp: Math.floor(Date.now() / 1000),
      status: proto.WebMessageInfo.Status.PENDING,
    }
  }

  async sendPresenceUpdate(type: 'composing' | 'paused', jid: string): Promise<void> {
    this.presences.push({ type, jid })
  }

  async readMessages(keys: WAMessageKey[]): Promise<void> {
    this.reads.push(keys)
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    this.pairingRequests.push(phoneNumber)
    return this.pairingCode
  }

  end(error: Error | undefined): void {
    if (this.ended) return
    this.ended = true
    // As Baileys does: ending the socket reports a close.
    this.emit('connection.update', {
      connection: 'close',
      lastDisconnect: { error: error ?? new FakeBoom('Connection Closed', 428), date: new Date() },
    })
  }
}

/** A `makeSocket` that hands out fakes, and the fakes it made. */
export function fakeSockets(): {
  makeSocket: MakeSocket
  sockets: FakeBaileysSocket[]
  latest(): FakeBaileysSocket
} {
  const sockets: FakeBaileysSocket[] = []
  return {
    makeSocket: (config) => {
      const socket = new FakeBaileysSocket(config)
      sockets.push(socket)
      return socket
    },
    sockets,
    latest: () => {
      const socket = sockets[sockets.length - 1]
      if (!socket) throw new Error('no socket was made')
      return socket
    },
  }
}

/** Timers a test fires by hand; it sees every delay asked for. */
export class ManualTimers implements Timers {
  readonly delays: number[] = []
  private readonly pending = new Map<number, () => void>()
  private next = 0

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.next
    this.delays.push(ms)
    this.pending.set(id, fn)
    return id
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number)
  }

  get count(): number {
    return this.pending.size
  }

  /** Fires every pending timer. */
  fireAll(): void {
    const due = [...this.pending.values()]
    this.pending.clear()
    for (const fn of due) fn()
  }
}

/** A BaileysStore in memory (values as given: no sealing). */
export class MemoryBaileysStore implements BaileysStore {
  readonly auth = new Map<string, string>()
  readonly messages = new Map<string, string>()
  readonly lids = new Map<string, string>()
  clears = 0

  async read(keys: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    for (const key of keys) {
      const value = this.auth.get(key)
      if (value !== undefined) out.set(key, value)
    }
    return out
  }

  async write(entries: ReadonlyMap<string, string | null>): Promise<void> {
    for (const [key, value] of entries) {
      if (value === null) this.auth.delete(key)
      else this.auth.set(key, value)
    }
  }

  async clear(): Promise<void> {
    this.clears++
    this.auth.clear()
    this.messages.clear()
  }

  async rememberMessage(messageId: string, message: string): Promise<void> {
    this.messages.set(messageId, message)
  }

  async recallMessage(messageId: string): Promise<string | undefined> {
    return this.messages.get(messageId)
  }

  async rememberLid(lid: string, phone: string): Promise<void> {
    this.lids.set(lid, phone)
  }

  async phoneOfLid(lid: string): Promise<string | undefined> {
    return this.lids.get(lid)
  }
}

/** A text message as Baileys upserts it; `from` is a JID (`…@s.whatsapp.net` or `…@lid`). */
export function textMessage(input: {
  from: string
  id: string
  text: string
  /** The other address of the sender (v7's `remoteJidAlt`): their phone JID when `from` is a LID. */
  alt?: string
  fromMe?: boolean
  pushName?: string
  timestamp?: number
  message?: proto.IMessage
}): WAMessage {
  return {
    key: {
      remoteJid: input.from,
      fromMe: input.fromMe ?? false,
      id: input.id,
      ...(input.alt ? { remoteJidAlt: input.alt } : {}),
      addressingMode: input.from.endsWith('@lid') ? 'lid' : 'pn',
    },
    message: input.message ?? { conversation: input.text },
    messageTimestamp: input.timestamp ?? 1_764_000_000,
    ...(input.pushName ? { pushName: input.pushName } : {}),
  }
}
