import { TransportError, type NumberCheck, type OutboundMessage, type Transport } from '../port.js'
import { baileysCapabilities } from './baileys.capabilities.js'
import type { BaileysListener, BaileysTransportOptions } from './baileys.transport.js'

/**
 * A WhatsApp Web transport that loads Baileys (tens of megabytes of protocol code) only when
 * an account first connects: a Linda without WhatsApp Web accounts never pays for it.
 */
export class LazyBaileysTransport implements Transport {
  readonly kind = 'baileys' as const
  readonly capabilities = baileysCapabilities
  private real: Promise<Transport> | undefined

  constructor(
    private readonly listener: BaileysListener,
    private readonly options: BaileysTransportOptions,
  ) {}

  private load(): Promise<Transport> {
    this.real ??= import('./baileys.transport.js').then(
      ({ BaileysTransport }) => new BaileysTransport(this.listener, this.options),
    )
    return this.real
  }

  async connect(): Promise<void> {
    await (await this.load()).connect()
  }

  async disconnect(): Promise<void> {
    if (this.real) await (await this.real).disconnect()
  }

  async checkNumbers(phones: readonly string[]): Promise<NumberCheck[]> {
    const real = await this.load()
    if (!real.checkNumbers) {
      throw new TransportError('BAILEYS_NOT_CONNECTED', 'The account cannot check numbers', true)
    }
    return real.checkNumbers(phones)
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<{ externalId: string }> {
    return (await this.load()).send(message, signal)
  }

  async typing(to: string, signal?: AbortSignal): Promise<void> {
    await (await this.load()).typing?.(to, signal)
  }

  async markRead(
    from: string,
    externalIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<void> {
    await (await this.load()).markRead?.(from, externalIds, signal)
  }
}
