import { destination as pinoDestination, pino, type Logger } from 'pino'
import { createRequire } from 'node:module'
import type { PrettyOptions } from 'pino-pretty'

export type { Logger }

/** Paths whose values never reach a log line. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'headers.authorization',
  '*.accessToken',
  '*.appSecret',
  '*.verifyToken',
  '*.secretKey',
  '*.apiKey',
  '*.password',
]

/**
 * The process logger: JSON lines, or readable lines for a person at a terminal (`pretty`,
 * the default when stdout is a TTY).
 */
export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
  format: 'json' | 'pretty' = process.stdout.isTTY ? 'pretty' : 'json',
): Logger {
  if (!destination && format === 'pretty') {
    // Loaded only when wanted: servers logging JSON do not carry it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as (
      options: PrettyOptions,
    ) => NodeJS.WritableStream
    destination = pretty({
      colorize: true,
      translateTime: 'SYS:HH:MM:ss.l',
      singleLine: true,
      ignore: 'pid,hostname',
    })
  }
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    destination ?? pinoDestination({ sync: false }),
  )
}
