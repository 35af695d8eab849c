import { Browsers, DisconnectReason, makeCacheableSignalKeyStore } from '@whiskeysockets/baileys'
import type { Logger } from '../../platform/logging.js'
import { baileysCapabilities } from './baileys.capabilities.js'
import type {
  OutboundMessage,
  StatusUpdate,
  Transport,
  TransportCapabilities,
  TransportListener,
} from '../port.js'
import {
  decodeMessage,
  encodeMessage,
  isLinked,
  loadAuthState,
  type LoadedAuthState,
} from './baileys.auth-state.js'
import { BaileysError, classifySendError, statusCodeOf } from './baileys.errors.js'
import {
  jidToPhone,
  lidUser,
  phoneToJid,
  readInbound,
  statusesFromReceipts,
  statusesFromUpdates,
} from './baileys.mapping.js'
import {
  makeBaileysSocket,
  type BaileysSocket,
  type BaileysSocketConfig,
  type MakeSocket,
} from './baileys.socket.js'
import type { BaileysStore } from './baileys.store.js'

/** The codes to link a device with; the accounts layer's `AccountTransportListener` takes it. */
export interface BaileysPairing {
  qr?: string
  pairingCode?: string
}

/** What this transport reports: the port's listener, plus the codes to link a device with. */
export interface BaileysListener extends TransportListener {
  /** Each new QR code or pairing code while linking; null once there is none to show. */
  pairing(info: BaileysPairing | null): void
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface BaileysTransportOptions {
  accountId: string
  /** The account's phone number (E.164): when given, a pairing code is asked for too. */
  phone?: string
  /** Where the auth state, the sent messages and the LID mappings live. */
  store: BaileysStore
  /** Opens the socket; default Baileys' `makeWASocket` (tests give a fake). */
  makeSocket?: MakeSocket
  /** Baileys logs here (at `warn` and above unless the logger says otherwise). */
  logger?: Logger
  /** Reconnect backoff: `baseMs · 2^attempt`, capped at `maxMs`, with jitter. */
  reconnect?: { baseMs?: number; maxMs?: number }
  random?: () => number
  timers?: Timers
  now?: () => Date
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/** A pairing code as WhatsApp shows it on the phone: `ABCD-EFGH`. */
function formatPairingCode(code: string): string {
  return code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code
}

/**
 * WhatsApp Web multi-device through Baileys: links a device by QR code or pairing code,
 * keeps its auth state in a BaileysStore, reconnects with capped exponential backoff, and
 * reports `logged_out` (wiping the auth state) when the phone unlinks the device.
 */
export class BaileysTransport implements Transport {
  readonly kind = 'baileys' as const
  readonly capabilities: TransportCapabilities = baileysCapabilities

  private readonly store: BaileysStore
  private readonly makeSocket: MakeSocket
  private readonly logger: Logger | undefined
  private readonly baseMs: number
  private readonly maxMs: number
  private readonly random: () => number
  private readonly timers: Timers
  private readonly now: () => Date

  /** Whether Linda wants the connection up (between connect and disconnect). */
  private running = false
  private socket: BaileysSocket | undefined
  /** Bumped for each socket: events of an older socket are ignored. */
  private generation = 0
  private open = false
  private attempt = 0
  private reconnectTimer: unknown
  private auth: LoadedAuthState | undefined
  private pairingShown: BaileysPairing = {}
  /** Auth writes, one after another, so that a later state never lands before an earlier. */
  private writes: Promise<void> = Promise.resolve()
  /** Inbound messages and receipts, handed over in the order they came. */
  private deliveries: Promise<void> = Promise.resolve()

  constructor(
    private readonly listener: BaileysListener,
    private readonly options: BaileysTransportOptions,
  ) {
    this.store = options.store
    this.makeSocket = options.makeSocket ?? makeBaileysSocket
    this.logger = options.logger
    this.baseMs = options.reconnect?.baseMs ?? 1_000
    this.maxMs = options.reconnect?.maxMs ?? 60_000
    this.random = options.random ?? Math.random
    this.timers = options.timers ?? defaultTimers
    this.now = options.now ?? (() => new Date())
  }

  async connect(): Promise<void> {
    if (this.running) return
    this.running = true
    this.attempt = 0
    this.auth = undefined
    await this.openSocket()
  }

  async disconnect(): Promise<void> {
    const wasRunning = this.running
    this.running = false
    this.stopSocket()
    this.showPairing(null)
    await this.settled()
    if (wasRunning) this.listener.state('disconnected')
  }

  /** Resolves once the auth writes and deliveries started so far are done. */
  async settled(): Promise<void> {
    await Promise.all([this.writes, this.deliveries])
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<{ externalId: string }> {
    signal.throwIfAborted()
    const jid = phoneToJid(message.to)
    if (!jid) {
      throw new BaileysError(
        'BAILEYS_INVALID_RECIPIENT',
        `${message.to} is not a phone number WhatsApp can address`,
        { retryable: false },
      )
    }
    const socket = this.socket
    if (!socket || !this.open) {
      throw new BaileysError('BAILEYS_NOT_CONNECTED', 'The WhatsApp Web account is not connected', {
        retryable: true,
      })
    }
    let sent
    try {
      sent = await socket.sendMessage(jid, { text: message.text })
    } catch (err) {
      throw classifySendError(err)
    }
    const externalId = sent?.key.id
    if (!sent || !externalId) {
      throw new BaileysError('BAILEYS_SEND_FAILED', 'Baileys returned no message id', {
        retryable: true,
        deliveryUnknown: true,
      })
    }
    if (sent.message) {
      // Kept for WhatsApp's retry requests; the send stands even if keeping it fails.
      await this.store.rememberMessage(externalId, encodeMessage(sent.message)).catch((err) => {
        this.logger?.warn(
          { err, accountId: this.options.accountId },
          'keeping a sent message failed',
        )
      })
    }
    return { externalId }
  }

  /** The delay before reconnect attempt `attempt` (0-based): capped, exponential, jittered. */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(attempt, 30))
    // "Equal jitter": at least half the ceiling, so delays still grow.
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2)
  }

  private async openSocket(): Promise<void> {
    if (!this.running) return
    try {
      this.auth ??= await loadAuthState(this.store)
    } catch (err) {
      this.retryLater(err instanceof Error ? err.message : String(err))
      return
    }
    if (!this.running) return
    const auth = this.auth
    if (!isLinked(auth.state.creds)) this.listener.state('linking')
    const generation = ++this.generation
    const logger = this.baileysLogger()
    const config: BaileysSocketConfig = {
      auth: {
        creds: auth.state.creds,
        keys: makeCacheableSignalKeyStore(auth.state.keys, logger),
      },
      getMessage: async (key) => {
        if (!key.id) return undefined
        const text = await this.store.recallMessage(key.id)
        return text === undefined ? undefined : decodeMessage(text)
      },
      logger,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      browser: Browsers.ubuntu('Linda'),
    }
    let socket: BaileysSocket
    try {
      socket = this.makeSocket(config, { accountId: this.options.accountId })
    } catch (err) {
      this.retryLater(err instanceof Error ? err.message : String(err))
      return
    }
    this.socket = socket
    this.open = false
    let pairingRequested = false
    const current = () => this.running && this.generation === generation

    socket.ev.on('creds.update', (update) => {
      if (!current()) return
      Object.assign(auth.state.creds, update)
      this.write(() => auth.saveCreds())
    })
    socket.ev.on('connection.update', (update) => {
      if (!current()) return
      if (update.qr) {
        this.showPairing({ ...this.pairingShown, qr: update.qr })
        if (this.options.phone && !pairingRequested && !isLinked(auth.state.creds)) {
          pairingRequested = true
          this.requestPairingCode(socket, this.options.phone, current)
        }
      }
      if (update.connection === 'open') {
        this.open = true
        this.attempt = 0
        this.showPairing(null)
        this.listener.state('connected')
      } else if (update.connection === 'close') {
        this.open = false
        this.onClose(update.lastDisconnect?.error)
      }
    })
    socket.ev.on('messages.upsert', ({ messages, type }) => {
      if (!current() || type !== 'notify') return
      this.deliver(async () => {
        for (const msg of messages) await this.inbound(socket, msg)
      })
    })
    socket.ev.on('messages.update', (updates) => {
      if (!current()) return
      this.deliverStatuses(statusesFromUpdates(updates, this.now()))
    })
    socket.ev.on('message-receipt.update', (receipts) => {
      if (!current()) return
      this.deliverStatuses(statusesFromReceipts(receipts, this.now()))
    })
    socket.ev.on('lid-mapping.update', ({ lid, pn }) => {
      if (!current()) return
      const user = lidUser(lid)
      const phone = jidToPhone(pn)
      if (user && phone) this.deliver(() => this.store.rememberLid(user, phone))
    })
  }

  private onClose(error: Error | undefined): void {
    this.stopSocket()
    const status = statusCodeOf(error)
    const detail = error?.message ?? 'connection closed'
    const auth = this.auth
    if (status === DisconnectReason.loggedOut) {
      this.running = false
      this.auth = undefined
      this.showPairing(null)
      this.write(() => this.store.clear())
      void this.writes.then(() =>
        this.listener.state('logged_out', 'the phone unlinked this device'),
      )
      return
    }
    if (status === DisconnectReason.connectionReplaced) {
      return this.fail('another WhatsApp Web session for this device replaced this one')
    }
    if (status === DisconnectReason.forbidden) {
      return this.fail(`WhatsApp refused the connection (403): ${detail}`)
    }
    if (status === DisconnectReason.restartRequired) {
      // WhatsApp asks for a fresh connection right after a device is linked.
      this.listener.state('reconnecting', 'restart requested by WhatsApp')
      this.schedule(0)
      return
    }
    if (!auth || !isLinked(auth.state.creds)) {
      // Linking ended without a phone: the QR codes ran out, or the connection dropped.
      this.auth = undefined
      return this.fail(`linking ended before a phone was linked (${detail}); connect again`)
    }
    this.retryLater(`${detail}${status === undefined ? '' : ` (${status})`}`)
  }

  private retryLater(reason: string): void {
    if (!this.running) return
    this.listener.state('reconnecting', reason)
    this.schedule(this.backoffMs(this.attempt++))
  }

  private schedule(delayMs: number): void {
    if (this.reconnectTimer !== undefined) this.timers.clearTimeout(this.reconnectTimer)
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = undefined
      // Writes of the closed socket (e.g. the creds of a new link) land before it reopens.
      void this.writes.then(() => this.openSocket())
    }, delayMs)
  }

  private fail(reason: string): void {
    this.running = false
    this.showPairing(null)
    this.listener.state('error', reason)
  }

  private stopSocket(): void {
    if (this.reconnectTimer !== undefined) {
      this.timers.clearTimeout(this.reconnectTimer)
      this.reconnectTimer = undefined
    }
    const socket = this.socket
    this.socket = undefined
    this.open = false
    this.generation++
    if (socket) {
      try {
        socket.end(undefined)
      } catch (err) {
        this.logger?.debug({ err }, 'closing the WhatsApp Web socket failed')
      }
    }
  }

  private requestPairingCode(socket: BaileysSocket, phone: string, current: () => boolean): void {
    socket.requestPairingCode(phone.replace(/^\+/, '')).then(
      (code) => {
        if (current())
          this.showPairing({ ...this.pairingShown, pairingCode: formatPairingCode(code) })
      },
      (err: unknown) => {
        this.logger?.warn({ err, accountId: this.options.accountId }, 'pairing code request failed')
      },
    )
  }

  private showPairing(info: BaileysPairing | null): void {
    if (info === null) {
      if (this.pairingShown.qr === undefined && this.pairingShown.pairingCode === undefined) return
      this.pairingShown = {}
      this.listener.pairing(null)
      return
    }
    this.pairingShown = info
    this.listener.pairing({ ...info })
  }

  private async inbound(socket: BaileysSocket, msg: Parameters<typeof readInbound>[0]) {
    const read = readInbound(msg, this.now())
    if (!read.ok) {
      this.logger?.debug({ accountId: this.options.accountId, skip: read.skip }, 'message skipped')
      return
    }
    const { phone: given, lid, ...message } = read.message
    let phone = given
    if (lid && phone) await this.store.rememberLid(lid, phone)
    if (!phone && lid) {
      phone = await this.store.phoneOfLid(lid)
      if (!phone) {
        const pn = await socket.signalRepository?.lidMapping.getPNForLID(lid).catch(() => null)
        phone = jidToPhone(pn)
        if (phone) await this.store.rememberLid(lid, phone)
      }
    }
    if (!phone) {
      // Linda keys contacts by phone number: a message from a LID whose number nobody told
      // is not ingested (a second contact keyed by the LID would split the person in two).
      this.logger?.warn(
        { accountId: this.options.accountId, externalId: message.externalId },
        'message from a WhatsApp LID with no known phone number dropped',
      )
      return
    }
    await this.listener.inbound({ ...message, from: phone, type: 'text' })
  }

  private deliverStatuses(updates: StatusUpdate[]): void {
    if (updates.length > 0) this.deliver(() => this.listener.statuses(updates))
  }

  private deliver(fn: () => Promise<void>): void {
    this.deliveries = this.deliveries.then(fn).catch((err: unknown) => {
      this.logger?.error(
        { err, accountId: this.options.accountId },
        'handing a WhatsApp Web event to Linda failed',
      )
    })
  }

  private write(fn: () => Promise<void>): void {
    this.writes = this.writes.then(fn).catch((err: unknown) => {
      this.logger?.error(
        { err, accountId: this.options.accountId },
        'storing the WhatsApp Web auth state failed',
      )
    })
  }

  private baileysLogger(): BaileysSocketConfig['logger'] {
    if (!this.logger) return silentLogger
    // Baileys is chatty below `warn`; a logger set to debug or trace hears all of it.
    const level = ['debug', 'trace'].includes(this.logger.level) ? this.logger.level : 'warn'
    return this.logger.child({ component: 'baileys', accountId: this.options.accountId }, { level })
  }
}

/** Discards Baileys' logs when the transport is given no logger. */
const silentLogger: BaileysSocketConfig['logger'] = {
  level: 'silent',
  child: () => silentLogger,
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
}
