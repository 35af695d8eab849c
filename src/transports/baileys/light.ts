// What the composition root needs of the WhatsApp Web transport, without loading Baileys
// (the workers load it; the in-process mode loads it on the first connect).
export { baileysCapabilities } from './baileys.capabilities.js'
export { LazyBaileysTransport } from './lazy.js'
export { DbAuthStore } from './baileys.store.js'
export {
  BaileysSupervisor,
  type BaileysSupervisorOptions,
  type SupervisorObserver,
} from './baileys.supervisor.js'
export type { RestartPolicyOptions } from './baileys.session.js'
export type { LossKind } from './baileys.channel.js'
export type { WorkerMemory } from './baileys.protocol.js'
export type { MakeSocket } from './baileys.socket.js'
