// A `socketModule` for WhatsApp Web sessions in workers (see network.ts): loaded inside each
// session's worker, it hands out FakeBaileysSockets that behave as Baileys' does on its own
// (a linked device opens, an unlinked one shows a QR code) and otherwise do what the test
// tells them over the BroadcastChannel. Nothing touches the network.
import { BroadcastChannel, threadId } from 'node:worker_threads'
import type { WAMessage } from '@whiskeysockets/baileys'
import type {
  BaileysSocketConfig,
  BaileysSocket,
  SocketSession,
} from '../../../src/transports/baileys/index.js'
import { disconnect, FakeBaileysSocket } from './index.js'
import { networkChannel, type Crash, type NetworkCommand, type NetworkEvent } from './network.js'

const channel = new BroadcastChannel(networkChannel)
// The worker's own port keeps it alive; this channel must not.
channel.unref()

type EventBody = NetworkEvent extends infer E
  ? E extends NetworkEvent
    ? Omit<E, 'accountId' | 'thread'>
    : never
  : never

let accountId: string | undefined
let current: NetSocket | undefined
let sequence = 0
let holdSends = false
/** What a leak keeps alive. */
const hoard: unknown[] = []

function report(event: EventBody): void {
  if (accountId) channel.postMessage({ ...event, accountId, thread: threadId })
}

class NetSocket extends FakeBaileysSocket {
  constructor(
    config: BaileysSocketConfig,
    readonly seq: number,
  ) {
    super(config)
  }

  override async sendMessage(
    jid: string,
    content: { text: string },
  ): Promise<WAMessage | undefined> {
    if (holdSends) {
      report({ type: 'send', jid, text: content.text })
      return new Promise(() => {})
    }
    const sent = await super.sendMessage(jid, content)
    report({ type: 'send', jid, text: content.text, ...(sent?.key.id ? { id: sent.key.id } : {}) })
    return sent
  }

  override async requestPairingCode(phoneNumber: string): Promise<string> {
    report({ type: 'pairing-request', phone: phoneNumber })
    return super.requestPairingCode(phoneNumber)
  }

  override end(error: Error | undefined): void {
    if (!this.ended) report({ type: 'ended', seq: this.seq })
    super.end(error)
  }
}

export function makeSocket(config: BaileysSocketConfig, session: SocketSession): BaileysSocket {
  accountId = session.accountId
  const socket = new NetSocket(config, ++sequence)
  current = socket
  const creds = config.auth.creds
  const linked = Boolean(creds.registered || creds.account)
  report({
    type: 'socket',
    seq: socket.seq,
    linked,
    ...(creds.me?.id ? { me: creds.me.id } : {}),
  })
  // As Baileys: a linked device connects by itself; an unlinked one is shown a QR code.
  setImmediate(() => {
    if (socket.ended) return
    if (linked) socket.open()
    else socket.qr(`2@fake-qr-${threadId}-${socket.seq}`)
  })
  return socket
}

function crash(how: Crash): void {
  switch (how) {
    case 'throw':
      setImmediate(() => {
        throw new Error('fake Baileys failed')
      })
      return
    case 'exit':
      process.exit(3)
      return
    case 'allocate': {
      // A leak: about 8 MB more every turn of the event loop, all kept.
      const grow = () => {
        hoard.push(Array.from({ length: 256 * 1024 }, (_, i) => ({ i })))
        setImmediate(grow)
      }
      grow()
      return
    }
    case 'buffers': {
      const grow = () => {
        hoard.push(Buffer.alloc(16 * 1024 * 1024, 1))
        setTimeout(grow, 5)
      }
      grow()
      return
    }
    case 'hang':
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
      return
  }
}

channel.onmessage = (event) => {
  const command = (event as { data: NetworkCommand }).data
  if (command.accountId !== accountId) return
  if (command.op === 'crash') return crash(command.how)
  if (command.op === 'hold-sends') {
    holdSends = command.hold
    return
  }
  const socket = current
  if (!socket || socket.ended) return
  switch (command.op) {
    case 'qr':
      return socket.qr(command.code)
    case 'open':
      return socket.open()
    case 'close':
      return socket.close(command.statusCode, command.message)
    case 'link':
      socket.paired(command.phoneDigits)
      return socket.close(disconnect.restartRequired, 'restart required')
    case 'upsert':
      return socket.upsert(command.messages)
    case 'receipts':
      return socket.receipts(command.receipts)
  }
}
