import { randomUUID } from 'node:crypto'
import { sleep } from '../../platform/sleep.js'
import {
  outboundMessageTypes,
  TransportError,
  type InboundMessage,
  type OutboundMessage,
  type StatusUpdate,
  type Transport,
  type TransportCapabilities,
  type TransportListener,
} from '../port.js'
import type { SandboxSettings } from './sandbox.settings.js'

/** The simulated network carries every type, so that the simulator and tests can use them. */
export const sandboxCapabilities: TransportCapabilities = {
  send: outboundMessageTypes,
  receipts: true,
  pairing: 'none',
  templatesRequired: false,
}

export interface SandboxInbound {
  from: string
  text: string
  /** The message's id on the simulated network; generated when absent. */
  id?: string
  /** Written in this group chat (simulated), mentioning the account or not. */
  group?: { id: string; mentionsAccount: boolean }
}

/**
 * A simulated WhatsApp network inside Linda. Virtual contacts write through `receive`;
 * what the account sends is "delivered" and "read" after the configured delays, or
 * fails at the configured rate, so every path of the pipeline can be watched without a
 * phone.
 */
export class SandboxTransport implements Transport {
  readonly kind = 'sandbox' as const
  readonly capabilities: TransportCapabilities = sandboxCapabilities
  private connected = false
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(
    private readonly listener: TransportListener,
    private readonly settings: SandboxSettings,
    private readonly random: () => number = Math.random,
  ) {}

  async connect(): Promise<void> {
    this.connected = true
    this.listener.state('connected')
  }

  async disconnect(): Promise<void> {
    this.connected = false
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.listener.state('disconnected')
  }

  /** A virtual contact writes to the account. */
  async receive(input: SandboxInbound): Promise<{ messageId: string; duplicate: boolean }> {
    if (!this.connected) {
      throw new TransportError('SANDBOX_DISCONNECTED', 'The sandbox account is not connected', true)
    }
    const message: InboundMessage = {
      externalId: input.id ?? `sbx-in-${randomUUID()}`,
      from: input.from,
      type: 'text',
      text: input.text,
      timestamp: new Date().toISOString(),
      ...(input.group ? { group: input.group } : {}),
    }
    return this.listener.inbound(message)
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<{ externalId: string }> {
    signal.throwIfAborted()
    if (!this.connected) {
      throw new TransportError('SANDBOX_DISCONNECTED', 'The sandbox account is not connected', true)
    }
    if (this.settings.sendLatencyMs > 0) await sleep(this.settings.sendLatencyMs, signal)
    if (this.settings.failureRate > 0 && this.random() < this.settings.failureRate) {
      throw new TransportError('SANDBOX_INJECTED_FAILURE', 'Injected failure (sandbox)', false)
    }
    const externalId = `sbx-out-${randomUUID()}`
    this.later(this.settings.deliveredAfterMs, () =>
      this.receipt(externalId, 'delivered').then(() =>
        this.later(this.settings.readAfterMs, () => this.receipt(externalId, 'read')),
      ),
    )
    return { externalId }
  }

  private batch: { updates: StatusUpdate[]; done: Promise<void> } | undefined

  /**
   * Reports a receipt. Receipts due in the same turn of the event loop travel together,
   * as WhatsApp batches them.
   */
  private receipt(externalId: string, status: 'delivered' | 'read'): Promise<void> {
    if (!this.batch) {
      const updates: StatusUpdate[] = []
      const done = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          this.batch = undefined
          const timestamp = new Date().toISOString()
          for (const update of updates) update.timestamp = timestamp
          this.listener.statuses(updates).then(resolve, reject)
        })
      })
      this.batch = { updates, done }
    }
    this.batch.updates.push({ externalId, status, timestamp: '' })
    return this.batch.done
  }

  private later(delayMs: number | null, fn: () => Promise<void>): void {
    if (delayMs === null || !this.connected) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      fn().catch(() => {
        // A receipt for a message Linda no longer knows is dropped, as WhatsApp would.
      })
    }, delayMs)
    this.timers.add(timer)
  }
}
