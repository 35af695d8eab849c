import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
} from '@whiskeysockets/baileys'
import type { BaileysStore } from './baileys.store.js'

// Baileys' auth state (`useMultiFileAuthState`'s shape) over a BaileysStore: the creds under
// `creds`, each Signal key under `<type>:<id>`, serialized with Baileys' BufferJSON.

const CREDS = 'creds'

export interface LoadedAuthState {
  state: AuthenticationState
  /** Stores the creds as they are now (Baileys mutates `state.creds` in place). */
  saveCreds(): Promise<void>
}

function encode(value: unknown): string {
  return JSON.stringify(value, BufferJSON.replacer)
}

function decode<T>(text: string): T {
  return JSON.parse(text, BufferJSON.reviver) as T
}

/** Whether the creds belong to a linked device (a QR code or pairing code was accepted). */
export function isLinked(creds: AuthenticationCreds): boolean {
  return creds.registered || Boolean(creds.account)
}

/**
 * The stored auth state, or fresh creds when none is stored. A link that was begun and not
 * finished (a pairing code asked for, never entered) is started over with fresh creds.
 */
export async function loadAuthState(store: BaileysStore): Promise<LoadedAuthState> {
  const stored = (await store.read([CREDS])).get(CREDS)
  let creds = stored === undefined ? undefined : decode<AuthenticationCreds>(stored)
  if (!creds || !isLinked(creds)) creds = initAuthCreds()
  const state: AuthenticationState = {
    creds,
    keys: {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const found = await store.read(ids.map((id) => `${type}:${id}`))
        const out: { [id: string]: SignalDataTypeMap[T] } = {}
        for (const id of ids) {
          const text = found.get(`${type}:${id}`)
          if (text === undefined) continue
          let value = decode<SignalDataTypeMap[T]>(text)
          if (type === 'app-state-sync-key') {
            value = proto.Message.AppStateSyncKeyData.fromObject(
              value as object,
            ) as unknown as SignalDataTypeMap[T]
          }
          out[id] = value
        }
        return out
      },
      set: async (data: SignalDataSet) => {
        const entries = new Map<string, string | null>()
        for (const [type, values] of Object.entries(data)) {
          for (const [id, value] of Object.entries(values ?? {})) {
            entries.set(
              `${type}:${id}`,
              value === null || value === undefined ? null : encode(value),
            )
          }
        }
        await store.write(entries)
      },
    },
  }
  return {
    state,
    saveCreds: () => store.write(new Map([[CREDS, encode(state.creds)]])),
  }
}

/** A message kept for retries, as stored. */
export function encodeMessage(message: proto.IMessage): string {
  return encode(message)
}

export function decodeMessage(text: string): proto.IMessage {
  return proto.Message.fromObject(decode<object>(text))
}
