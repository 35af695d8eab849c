import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

// Runs in a worker thread with its own connection: copies the WAL back into the database
// file off the main thread, so that writers never pay for a checkpoint.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path, { fileMustExist: true })
db.pragma('busy_timeout = 1000')
const checkpoint = (mode) => {
  try { db.pragma('wal_checkpoint(' + mode + ')') } catch {}
}
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs)
parentPort.on('message', () => {
  clearInterval(timer)
  checkpoint('TRUNCATE')
  db.close()
  parentPort.postMessage('closed')
})
`

export interface Checkpointer {
  /** Runs a last full checkpoint and closes the worker's connection. */
  stop(): Promise<void>
}

/** Starts checkpointing the SQLite WAL of `path` every `intervalMs` from a worker thread. */
export function startCheckpointer(path: string, intervalMs = 200): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(workerSource, { eval: true, workerData: { path, intervalMs, driver } })
  worker.unref()
  return {
    stop: () =>
      new Promise((resolve) => {
        const done = () => {
          void worker.terminate().finally(() => resolve())
        }
        const timer = setTimeout(done, 5000)
        worker.once('message', () => {
          clearTimeout(timer)
          done()
        })
        worker.once('error', done)
        worker.postMessage('stop')
      }),
  }
}
