// A fake LibreTranslate-compatible server on loopback, for tests: `POST /translate` with
// `{q, source, target, format, api_key?}` → `{translatedText, detectedLanguage?}`, the way
// LibreTranslate answers (400 for a missing field, 403 for a wrong key, 429 when told to).
//
//   const lt = await startFakeLibreTranslate({ apiKey: 'k', dictionary: { 'es>en': { hola: 'hello' } } })
//   ... LINDA_TRANSLATE_URL=lt.url ...
//   expect(lt.requests).toHaveLength(1)
//   await lt.stop()
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeLibreTranslateOptions {
  /** The key clients must send as `api_key`; none: no key needed. */
  apiKey?: string
  /** Translations by `source>target` (`auto` for detection), then by text. */
  dictionary?: Record<string, Record<string, string>>
  /** What `source: auto` detects, by text; default `en`. */
  detect?: Record<string, string>
  /** A path prefix the server lives under, e.g. `/lt` (the URL given to Linda includes it). */
  prefix?: string
}

export interface FakeTranslateRequest {
  path: string
  body: Record<string, unknown>
}

export interface FakeLibreTranslate {
  /** The base URL to configure (with the prefix, no trailing slash). */
  readonly url: string
  /** Every request received, in order. */
  readonly requests: FakeTranslateRequest[]
  /** The next `n` translations fail with `status` (e.g. 429 or 500). */
  failNext(n: number, status: number): void
  /** The next `n` translations answer after `ms`. */
  delayNext(n: number, ms: number): void
  stop(): Promise<void>
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return undefined
  }
}

export async function startFakeLibreTranslate(
  options: FakeLibreTranslateOptions = {},
): Promise<FakeLibreTranslate> {
  const prefix = options.prefix ?? ''
  const requests: FakeTranslateRequest[] = []
  let failures: number[] = []
  let delays: number[] = []

  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }
    void (async () => {
      const body = await readJson(req)
      const path = req.url ?? ''
      requests.push({ path, body: (body ?? {}) as Record<string, unknown> })
      if (req.method !== 'POST' || path !== `${prefix}/translate`)
        return send(404, { error: 'Not Found' })
      const delay = delays.shift()
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay))
      const failure = failures.shift()
      if (failure) return send(failure, { error: `Injected failure ${failure}` })
      if (typeof body !== 'object' || body === null) return send(400, { error: 'Invalid request' })
      const { q, source, target, api_key: key } = body as Record<string, unknown>
      if (options.apiKey !== undefined && key !== options.apiKey) {
        return send(403, { error: 'Invalid API key' })
      }
      if (typeof q !== 'string') return send(400, { error: 'Invalid request: missing q parameter' })
      if (typeof source !== 'string')
        return send(400, { error: 'Invalid request: missing source parameter' })
      if (typeof target !== 'string')
        return send(400, { error: 'Invalid request: missing target parameter' })
      const detected = source === 'auto' ? (options.detect?.[q] ?? 'en') : undefined
      const from = detected ?? source
      const known =
        options.dictionary?.[`${source}>${target}`]?.[q] ??
        options.dictionary?.[`${from}>${target}`]?.[q]
      return send(200, {
        translatedText: known ?? `[${from}→${target}] ${q}`,
        ...(detected ? { detectedLanguage: { confidence: 90, language: detected } } : {}),
      })
    })().catch(() => send(500, { error: 'fake failed' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    failNext(n, status) {
      failures = [...failures, ...Array<number>(n).fill(status)]
    },
    delayNext(n, ms) {
      delays = [...delays, ...Array<number>(n).fill(ms)]
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
