// The webhook step's call: POST JSON to a public http(s) URL, read a JSON object back.
// Addresses in private networks are refused (where the URL's host resolves to, checked at
// connect time so that DNS cannot point the call inside after the check); loopback only
// when the instance allows it (tests, a local integration).
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { lookup as dnsLookup } from 'node:dns/promises'
import { z } from 'zod'

export interface WebhookCall {
  url: string
  headers?: Record<string, string> | undefined
  body: unknown
  timeoutMs: number
}

export type WebhookResult =
  | { ok: true; status: number; json: Record<string, unknown> }
  | { ok: false; error: string; status?: number }

/** Makes the webhook step's HTTP call; a seam so tests and dry runs can stand in. */
export type WebhookCaller = (call: WebhookCall) => Promise<WebhookResult>

/** The largest answer read; a larger one is a failed call. */
const MAX_ANSWER_BYTES = 256 * 1024

const loopback = new BlockList()
loopback.addSubnet('127.0.0.0', 8, 'ipv4')
loopback.addAddress('::1', 'ipv6')
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6')

/** Networks a webhook may not reach: private, link-local, shared, reserved and multicast. */
const privateNets = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const) {
  privateNets.addSubnet(net, prefix, 'ipv4')
  privateNets.addSubnet(`::ffff:${net}`, 96 + prefix, 'ipv6')
}
for (const [net, prefix] of [
  ['::', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  privateNets.addSubnet(net, prefix, 'ipv6')
}

/** Why an address may not be called, or null when it may. */
export function refusedAddress(address: string, allowLoopback: boolean): string | null {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
  if (loopback.check(address, family)) {
    return allowLoopback ? null : `${address} is a loopback address`
  }
  if (privateNets.check(address, family)) return `${address} is in a private or reserved network`
  return null
}

/**
 * Why a URL may not be called as it is written (a private IP, `localhost`), or null. Its
 * host name is checked again where it resolves to when it is called.
 */
export function refusedUrl(url: string, allowLoopback: boolean): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not a URL'
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http(s) URL'
  if (parsed.username || parsed.password) return 'must not carry a user name or password'
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host)) {
    const why = refusedAddress(host, allowLoopback)
    return why && `must not point into a private network (${why})`
  }
  const name = host.toLowerCase().replace(/\.$/, '')
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return allowLoopback ? null : 'must not point at this machine (localhost)'
  }
  return null
}

const answerSchema = z.record(z.string(), z.unknown())

/** Where a host name resolves to (every address). */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true })

/** Calls webhooks with Node's HTTP client, refusing private addresses. */
export function httpWebhookCaller(options: {
  allowLoopback: boolean
  /** How host names resolve; default the system's resolver. */
  resolve?: Resolver
}): WebhookCaller {
  const { allowLoopback } = options
  const resolve = options.resolve ?? systemResolver
  // Checked at connect time, on the addresses the connection will use: a name cannot
  // resolve to a public address for a check and to a private one for the call.
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname).then(
      (list) => {
        for (const { address } of list) {
          const why = refusedAddress(address, allowLoopback)
          if (why) {
            const err = Object.assign(new Error(`${hostname} resolves to ${address}: ${why}`), {
              code: 'EADDRREFUSED',
            })
            return callback(err, '', 4)
          }
        }
        if (lookupOptions.all) return callback(null, list as never)
        const first = list[0]
        if (!first) return callback(new Error(`${hostname} has no address`), '', 4)
        return callback(null, first.address, first.family)
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 4),
    )
  }

  return async (call) => {
    const refused = refusedUrl(call.url, allowLoopback)
    if (refused) return { ok: false, error: `The URL ${refused}` }
    const url = new URL(call.url)
    const payload = Buffer.from(JSON.stringify(call.body ?? {}), 'utf8')
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise<WebhookResult>((resolve) => {
      let settled = false
      const done = (result: WebhookResult) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(result)
      }
      const req = send(
        url,
        {
          method: 'POST',
          lookup,
          headers: {
            ...call.headers,
            'content-type': 'application/json',
            accept: 'application/json',
            'content-length': String(payload.length),
            'user-agent': 'Linda-Flows/1',
          },
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (chunk: Buffer) => {
            size += chunk.length
            if (size > MAX_ANSWER_BYTES) {
              req.destroy()
              done({ ok: false, error: `The answer is larger than ${MAX_ANSWER_BYTES} bytes` })
              return
            }
            chunks.push(chunk)
          })
          res.on('error', (err) => done({ ok: false, error: err.message }))
          res.on('end', () => {
            const status = res.statusCode ?? 0
            if (status < 200 || status > 299) {
              return done({ ok: false, status, error: `The webhook answered ${status}` })
            }
            const text = Buffer.concat(chunks).toString('utf8')
            if (text.trim() === '') return done({ ok: true, status, json: {} })
            let parsed: unknown
            try {
              parsed = JSON.parse(text)
            } catch {
              return done({ ok: false, status, error: 'The answer is not JSON' })
            }
            const checked = answerSchema.safeParse(parsed)
            if (!checked.success) {
              return done({ ok: false, status, error: 'The answer is not a JSON object' })
            }
            done({ ok: true, status, json: checked.data })
          })
        },
      )
      const timer = setTimeout(() => {
        req.destroy()
        done({ ok: false, error: `No answer within ${call.timeoutMs} ms` })
      }, call.timeoutMs)
      req.on('error', (err) => done({ ok: false, error: err.message }))
      req.end(payload)
    })
  }
}
