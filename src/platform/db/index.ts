export { openDb, type DbHandle, type OpenDbOptions } from './db.js'
export { migrateToLatest, pendingMigrations } from './migrate.js'
export { transaction, afterCommit } from './transaction.js'
export * from './schema.js'
