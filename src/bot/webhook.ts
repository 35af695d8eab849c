import { createHmac } from 'node:crypto'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

/** The header carrying the body's HMAC-SHA256: `sha256=<hex>`. */
export const SIGNATURE_HEADER = 'x-linda-signature'

export class WebhookRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WebhookRefused'
  }
}

/**
 * Why an address may not be called: webhooks go to the public internet only (a rule must
 * not become a way into the machine's own network), loopback only when allowed (tests).
 */
export function addressProblem(address: string, allowLoopback: boolean): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`
  let parsed = ipaddr.parse(address)
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address()
  }
  const range = parsed.range()
  if (range === 'unicast') return undefined
  if (range === 'loopback' && allowLoopback) return undefined
  return `${address} is a ${range} address; webhooks may only call public addresses`
}

/** A problem with a webhook URL seen without resolving it (a literal private address, localhost). */
export function webhookUrlProblem(url: string, allowLoopback: boolean): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not a URL'
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be http or https'
  if (parsed.username || parsed.password) return 'must not carry a user name or password'
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  if (ipaddr.isValid(host)) {
    const problem = addressProblem(host, allowLoopback)
    return problem && `must not point to a private address (${problem})`
  }
  if (!allowLoopback && (host === 'localhost' || host.endsWith('.localhost'))) {
    return 'must not point to this machine'
  }
  return undefined
}

/** Resolves names like `dns.lookup` with `all: true`. */
export type Resolver = (
  hostname: string,
  options: { all: true; family?: number },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void

const systemResolver: Resolver = (hostname, options, callback) =>
  dnsLookup(hostname, options, callback)

/** A `lookup` for sockets that refuses names resolving to any non-public address. */
export function guardedLookup(
  allowLoopback: boolean,
  resolve: Resolver = systemResolver,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(
      hostname,
      { family: options.family as number | undefined, all: true },
      (err, addresses) => {
        if (err) return callback(err, '', 0)
        const list = addresses as LookupAddress[]
        for (const a of list) {
          const problem = addressProblem(a.address, allowLoopback)
          if (problem) return callback(new WebhookRefused(`${hostname}: ${problem}`), '', 0)
        }
        if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, list)
        const first = list[0]
        if (!first) return callback(new WebhookRefused(`${hostname} has no address`), '', 0)
        callback(null, first.address, first.family)
      },
    )
  }
}

export interface WebhookCall {
  url: string
  /** Signs the body (HMAC-SHA256, hex) in `X-Linda-Signature`. */
  secret?: string
  timeoutMs: number
  body: unknown
  /** Default false: loopback addresses are refused like private ones. */
  allowLoopback?: boolean
}

/** HMAC-SHA256 of a body with a webhook's secret, as sent in `X-Linda-Signature`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/**
 * POSTs JSON to a webhook and resolves with its status; rejects on a private address, a
 * timeout, a network error or a status of 400 and above. Every address the name resolves
 * to is checked at connection time, so DNS cannot point a public name inward.
 */
export function callWebhook(call: WebhookCall): Promise<{ status: number }> {
  const allowLoopback = call.allowLoopback ?? false
  const problem = webhookUrlProblem(call.url, allowLoopback)
  if (problem) return Promise.reject(new WebhookRefused(`The webhook URL ${problem}`))
  const url = new URL(call.url)
  const body = JSON.stringify(call.body)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'Linda-bot',
  }
  if (call.secret) headers[SIGNATURE_HEADER] = signBody(body, call.secret)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers,
        lookup: guardedLookup(allowLoopback),
        signal: AbortSignal.timeout(call.timeoutMs),
      },
      (res) => {
        res.resume()
        res.on('end', () => {
          const status = res.statusCode ?? 0
          if (status >= 400) reject(new Error(`The webhook answered ${status}`))
          else resolve({ status })
        })
        res.on('error', reject)
      },
    )
    req.on('error', (err) =>
      reject(
        err.name === 'AbortError' ? new Error(`The webhook took over ${call.timeoutMs} ms`) : err,
      ),
    )
    req.end(body)
  })
}
