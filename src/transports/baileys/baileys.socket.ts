import {
  makeWASocket,
  type BaileysEventMap,
  type UserFacingSocketConfig,
  type WAMessage,
} from '@whiskeysockets/baileys'

/**
 * The part of a Baileys socket (`makeWASocket`'s result) this transport uses: tests give a
 * scripted fake of it (test/fakes/baileys) instead of a connection to WhatsApp.
 */
export interface BaileysSocket {
  readonly ev: {
    on<E extends keyof BaileysEventMap>(
      event: E,
      listener: (data: BaileysEventMap[E]) => void,
    ): void
  }
  /** Sends a message; resolves with it (its `key.id` is WhatsApp's id) once it left. */
  sendMessage(jid: string, content: { text: string }): Promise<WAMessage | undefined>
  /** Asks WhatsApp for a code to type on the phone (digits of the number, no `+`). */
  requestPairingCode(phoneNumber: string): Promise<string>
  /** Closes the socket; it then emits `connection.update` with `close`. */
  end(error: Error | undefined): void
  /** Baileys' own LID ⇄ phone mapping store, where it has one. */
  readonly signalRepository?: {
    readonly lidMapping: { getPNForLID(lid: string): Promise<string | null> }
  }
}

/** The socket options this transport sets. */
export type BaileysSocketConfig = Required<
  Pick<
    UserFacingSocketConfig,
    'auth' | 'getMessage' | 'logger' | 'markOnlineOnConnect' | 'syncFullHistory' | 'browser'
  >
>

/** Which session a socket is opened for. */
export interface SocketSession {
  accountId: string
}

/** Opens a socket to WhatsApp; the default is Baileys' `makeWASocket`. */
export type MakeSocket = (config: BaileysSocketConfig, session: SocketSession) => BaileysSocket

export const makeBaileysSocket: MakeSocket = (config) => makeWASocket(config)
