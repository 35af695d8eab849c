export * from './port.js'
export { LocalEventBus } from './local-bus.js'
