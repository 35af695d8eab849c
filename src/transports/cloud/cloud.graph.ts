// The few Graph API calls the transport makes, over an injectable `fetch`: each call has a
// timeout, honours the caller's abort signal, and turns every failure into a CloudApiError.
// The access token lives only here, in a private field, and is only ever sent to the Graph
// API's own host or to Meta's media CDN.
import type { z } from 'zod'
import { CloudApiError, errorFromGraphResponse } from './cloud.errors.js'
import { summarize } from './cloud.mapping.js'

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>

export interface GraphClientOptions {
  baseUrl: string
  apiVersion: string
  accessToken: string
  fetch: FetchLike
  timeoutMs: number
}

interface CallOptions {
  signal?: AbortSignal | undefined
  /**
   * Whether Meta may have acted on the request even when no answer arrived (a send):
   * then a timeout or a dropped connection is not retried blindly.
   */
  sideEffect?: boolean
}

// Connection errors that happen before a request leaves: nothing reached Meta.
const notSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
])

// Meta serves downloadable media from its CDN (lookaside.fbsbx.com); the token may go
// there or to the configured Graph host, nowhere else.
const mediaHostSuffixes = ['.fbsbx.com', '.facebook.com', '.whatsapp.net']

export class GraphClient {
  readonly #token: string
  readonly #fetch: FetchLike
  readonly #baseUrl: string
  readonly #apiVersion: string
  readonly #timeoutMs: number

  constructor(options: GraphClientOptions) {
    this.#token = options.accessToken
    this.#fetch = options.fetch
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.#apiVersion = options.apiVersion
    this.#timeoutMs = options.timeoutMs
  }

  /** `{base}/{version}/{path}` */
  url(path: string): string {
    return `${this.#baseUrl}/${this.#apiVersion}/${path}`
  }

  /** POSTs JSON and validates the success answer against `schema`. */
  postJson<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    options: CallOptions = {},
  ): Promise<z.output<S>> {
    return this.call(
      this.url(path),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      schema,
      options,
    )
  }

  /** POSTs a multipart form (media upload) and validates the answer. */
  postForm<S extends z.ZodType>(
    path: string,
    form: FormData,
    schema: S,
    options: CallOptions = {},
  ): Promise<z.output<S>> {
    return this.call(this.url(path), { method: 'POST', body: form }, schema, options)
  }

  /** GETs a Graph node and validates the answer. */
  getJson<S extends z.ZodType>(
    path: string,
    schema: S,
    options: CallOptions = {},
  ): Promise<z.output<S>> {
    return this.call(this.url(path), { method: 'GET' }, schema, options)
  }

  /**
   * Downloads bytes from a media URL Meta gave, with the token, refusing more than
   * `maxBytes` (checked against Content-Length first, then while reading).
   */
  async download(
    url: string,
    maxBytes: number,
    options: CallOptions = {},
  ): Promise<{ data: Buffer; contentType: string | null }> {
    this.assertMediaHost(url)
    return this.withDeadline(options, async (signal) => {
      const res = await this.#fetch(url, { method: 'GET', headers: this.headers(), signal })
      if (!res.ok) throw errorFromGraphResponse(res.status, await readJson(res), res.headers)
      const declared = Number(res.headers.get('content-length'))
      if (Number.isFinite(declared) && declared > maxBytes) {
        await res.body?.cancel()
        throw tooLarge(declared, maxBytes)
      }
      const data = await readCapped(res, maxBytes)
      return { data, contentType: res.headers.get('content-type') }
    })
  }

  private headers(extra?: RequestInit['headers']): Headers {
    const headers = new Headers(extra)
    headers.set('authorization', `Bearer ${this.#token}`)
    return headers
  }

  private assertMediaHost(url: string): void {
    const target = new URL(url)
    const graph = new URL(this.#baseUrl)
    const sameAsGraph = target.origin === graph.origin
    const metaCdn =
      target.protocol === 'https:' && mediaHostSuffixes.some((s) => target.hostname.endsWith(s))
    if (!sameAsGraph && !metaCdn) {
      throw new CloudApiError(
        'CLOUD_BAD_RESPONSE',
        `Meta gave a media URL on an unexpected host (${target.hostname}); the access token is not sent there`,
        { retryable: false },
      )
    }
  }

  private async call<S extends z.ZodType>(
    url: string,
    init: RequestInit,
    schema: S,
    options: CallOptions,
  ): Promise<z.output<S>> {
    return this.withDeadline(options, async (signal) => {
      const res = await this.#fetch(url, {
        ...init,
        headers: this.headers(init.headers),
        signal,
      })
      const body = await readJson(res)
      if (!res.ok) throw errorFromGraphResponse(res.status, body, res.headers)
      const parsed = schema.safeParse(body)
      if (!parsed.success) {
        throw new CloudApiError(
          'CLOUD_BAD_RESPONSE',
          `The Graph API answered HTTP ${res.status} with an unexpected body: ${summarize(parsed.error)}`,
          { retryable: !options.sideEffect, deliveryUnknown: options.sideEffect ?? false },
        )
      }
      return parsed.data
    })
  }

  /**
   * Runs `work` under the call's deadline and the caller's signal. The caller's abort
   * propagates as its own reason; everything else becomes a CloudApiError.
   */
  private async withDeadline<T>(
    options: CallOptions,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    options.signal?.throwIfAborted()
    const deadline = AbortSignal.timeout(this.#timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline
    try {
      return await work(signal)
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason
      if (err instanceof CloudApiError) throw err
      if (deadline.aborted) {
        throw new CloudApiError(
          'CLOUD_TIMEOUT',
          options.sideEffect
            ? `No answer from the Graph API within ${this.#timeoutMs} ms; the message may have been sent`
            : `No answer from the Graph API within ${this.#timeoutMs} ms`,
          {
            retryable: !options.sideEffect,
            deliveryUnknown: options.sideEffect ?? false,
            cause: err,
          },
        )
      }
      throw networkError(err, options.sideEffect ?? false)
    }
  }
}

function networkError(err: unknown, sideEffect: boolean): CloudApiError {
  const code = causeCode(err)
  const notSent = code !== undefined && notSentCodes.has(code)
  const detail = code ?? (err instanceof Error ? err.message : String(err))
  if (notSent || !sideEffect) {
    return new CloudApiError('CLOUD_NETWORK', `The Graph API could not be reached (${detail})`, {
      retryable: true,
      cause: err,
    })
  }
  return new CloudApiError(
    'CLOUD_NETWORK',
    `The connection to the Graph API failed mid-request (${detail}); the message may have been sent`,
    { retryable: false, deliveryUnknown: true, cause: err },
  )
}

function causeCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    if (typeof e === 'object' && 'code' in e && typeof e.code === 'string') return e.code
    e = typeof e === 'object' && 'cause' in e ? e.cause : undefined
  }
  return undefined
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text()
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function tooLarge(atLeast: number, maxBytes: number): CloudApiError {
  return new CloudApiError(
    'CLOUD_MEDIA_TOO_LARGE',
    `The media is over the limit of ${maxBytes} bytes (${atLeast} bytes or more)`,
    { retryable: false },
  )
}

async function readCapped(res: Response, maxBytes: number): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0)
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      throw tooLarge(total, maxBytes)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, total)
}
