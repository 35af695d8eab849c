export {
  BaileysTransport,
  type BaileysListener,
  type BaileysPairing,
  type BaileysTransportOptions,
  type Timers,
} from './baileys.transport.js'
export { DbAuthStore, type BaileysStore, type DbAuthStoreOptions } from './baileys.store.js'
export { BaileysError, baileysErrorCodes, type BaileysErrorCode } from './baileys.errors.js'
export type { BaileysSocket, BaileysSocketConfig, MakeSocket } from './baileys.socket.js'
export { jidToPhone, phoneToJid } from './baileys.mapping.js'
export { baileysCapabilities } from './baileys.capabilities.js'
export {
  BaileysSupervisor,
  type BaileysSupervisorOptions,
  type SupervisorObserver,
} from './baileys.supervisor.js'
export {
  RestartPolicy,
  SupervisedBaileysTransport,
  type RestartPolicyOptions,
} from './baileys.session.js'
export { lossKinds, type LossKind } from './baileys.channel.js'
export type { SocketSession } from './baileys.socket.js'
export type { WorkerMemory } from './baileys.protocol.js'
