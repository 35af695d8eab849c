// The test's end of fake WhatsApp Web sockets that live in session workers. Linda is given
// `fakeSocketModule` (createLinda(config, { baileys: { socketModule } })): each worker loads
// it in place of Baileys' socket, and its sockets talk to this network over a
// BroadcastChannel, which crosses worker threads. A test scripts WhatsApp's side (QR codes,
// links, inbound messages) and the worker's misfortunes (crashes, leaks, hangs), and sees
// every socket opened and every message sent. Nothing touches the real network.
import { BroadcastChannel } from 'node:worker_threads'
import type { MessageUserReceiptUpdate, WAMessage } from '@whiskeysockets/baileys'

/** The module each worker loads its `makeSocket` from. */
export const fakeSocketModule = new URL('./worker-socket.ts', import.meta.url)

export const networkChannel = 'linda-fake-baileys-network'

/** How a test makes a session's worker fail. */
export const crashes = [
  /** An uncaught exception in the worker. */
  'throw',
  /** `process.exit(3)` in the worker. */
  'exit',
  /** A leak: the heap grows until it passes the worker's ceiling. */
  'allocate',
  /** Buffers (outside the heap) grow past the worker's ceiling. */
  'buffers',
  /** The worker's thread blocks for good and stops answering. */
  'hang',
] as const
export type Crash = (typeof crashes)[number]

/** What the test tells the sockets of one account (the latest one acts). */
export type NetworkCommand = { accountId: string } & (
  | { op: 'qr'; code: string }
  | { op: 'open' }
  | { op: 'close'; statusCode: number; message?: string }
  /** The phone accepts the link; WhatsApp then asks for a fresh connection (515). */
  | { op: 'link'; phoneDigits: string }
  | { op: 'upsert'; messages: WAMessage[] }
  | { op: 'receipts'; receipts: MessageUserReceiptUpdate[] }
  /** Sends wait (never answered) while held. */
  | { op: 'hold-sends'; hold: boolean }
  | { op: 'crash'; how: Crash }
)

/** What the sockets report. */
export type NetworkEvent = { accountId: string; thread: number } &
  /** A socket was opened; `linked` when it was given the creds of a linked device. */
  (
    | { type: 'socket'; seq: number; linked: boolean; me?: string }
    /** A send reached the socket; `id` is absent while sends are held. */
    | { type: 'send'; jid: string; text: string; id?: string }
    | { type: 'pairing-request'; phone: string }
    | { type: 'ended'; seq: number }
  )

/** The test's side of the fake WhatsApp Web network. */
export class FakeBaileysNetwork {
  readonly events: NetworkEvent[] = []
  private readonly channel = new BroadcastChannel(networkChannel)
  private readonly crashLoops = new Map<string, Crash>()

  constructor() {
    this.channel.onmessage = (event) => {
      const data = (event as { data: NetworkEvent }).data
      this.events.push(data)
      const loop = this.crashLoops.get(data.accountId)
      if (data.type === 'socket' && loop)
        this.tell({ accountId: data.accountId, op: 'crash', how: loop })
    }
  }

  /** The sockets opened for the account, oldest first. */
  sockets(accountId: string): Array<Extract<NetworkEvent, { type: 'socket' }>> {
    return this.events.filter(
      (e): e is Extract<NetworkEvent, { type: 'socket' }> =>
        e.type === 'socket' && e.accountId === accountId,
    )
  }

  /** The worker threads the account's sockets ran in, in order (one per worker). */
  threads(accountId: string): number[] {
    return [...new Set(this.sockets(accountId).map((s) => s.thread))]
  }

  /** What the account's sockets were asked to send. */
  sends(accountId: string): Array<Extract<NetworkEvent, { type: 'send' }>> {
    return this.events.filter(
      (e): e is Extract<NetworkEvent, { type: 'send' }> =>
        e.type === 'send' && e.accountId === accountId,
    )
  }

  tell(command: NetworkCommand): void {
    this.channel.postMessage(command)
  }

  /** The phone links the device (after a QR code): the next socket opens as a linked one. */
  link(accountId: string, phone: string): void {
    this.tell({ accountId, op: 'link', phoneDigits: phone.replace(/^\+/, '') })
  }

  crash(accountId: string, how: Crash): void {
    this.tell({ accountId, op: 'crash', how })
  }

  /** Every worker of the account fails as soon as its socket opens. */
  crashLoop(accountId: string, how: Crash): void {
    this.crashLoops.set(accountId, how)
    this.crash(accountId, how)
  }

  upsert(accountId: string, messages: WAMessage[]): void {
    this.tell({ accountId, op: 'upsert', messages })
  }

  holdSends(accountId: string, hold: boolean): void {
    this.tell({ accountId, op: 'hold-sends', hold })
  }

  close(): void {
    this.channel.close()
  }
}
