export * from './port.js'
export { SqlJobQueue, type SqlQueueOptions } from './sql-queue.js'
