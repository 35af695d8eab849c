import { destination as pinoDestination, pino, type Logger } from 'pino'

export type { Logger }

/** Paths whose values never reach a log line. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'headers.authorization',
  '*.accessToken',
  '*.appSecret',
  '*.secretKey',
  '*.apiKey',
  '*.password',
]

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    destination ?? pinoDestination({ sync: false }),
  )
}
