// What the composition root needs of the WhatsApp Web transport, without loading Baileys.
export { baileysCapabilities } from './baileys.capabilities.js'
export { LazyBaileysTransport } from './lazy.js'
export { DbAuthStore } from './baileys.store.js'
export type { MakeSocket } from './baileys.socket.js'
