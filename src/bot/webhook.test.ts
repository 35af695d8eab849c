import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addressProblem,
  callWebhook,
  guardedLookup,
  signBody,
  webhookUrlProblem,
  type Resolver,
} from './webhook.js'

describe(addressProblem.name, () => {
  it.each([
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '127.0.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '::1',
    'fd00::1',
    'fe80::1',
    '::ffff:10.0.0.1',
    '100.64.0.1',
  ])('refuses the private or special address %s', (address) => {
    expect(addressProblem(address, false)).toBeDefined()
  })

  it('accepts public addresses, and loopback only when allowed', () => {
    expect(addressProblem('93.184.216.34', false)).toBeUndefined()
    expect(addressProblem('2606:4700::1111', false)).toBeUndefined()
    expect(addressProblem('127.0.0.1', true)).toBeUndefined()
    expect(addressProblem('::1', true)).toBeUndefined()
    expect(addressProblem('10.0.0.1', true)).toBeDefined()
  })
})

describe(webhookUrlProblem.name, () => {
  it('refuses literal private addresses, localhost and credentials in the URL', () => {
    expect(webhookUrlProblem('http://192.168.0.10/hook', false)).toMatch(/private/)
    expect(webhookUrlProblem('http://[::1]:8080/hook', false)).toMatch(/private/)
    expect(webhookUrlProblem('http://localhost:3000/hook', false)).toMatch(/this machine/)
    expect(webhookUrlProblem('https://user:pw@example.com/hook', false)).toMatch(/password/)
    expect(webhookUrlProblem('ftp://example.com/hook', false)).toMatch(/http/)
    expect(webhookUrlProblem('https://example.com/hook', false)).toBeUndefined()
  })
})

describe(callWebhook.name, () => {
  const received: Array<{ body: string; signature: string | undefined }> = []
  let slow = false
  const server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      received.push({ body, signature: req.headers['x-linda-signature'] as string | undefined })
      if (slow) return // never answers
      res.statusCode = req.url === '/fail' ? 500 : 204
      res.end()
    })
  })
  let base = ''

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('POSTs the JSON body signed with the secret', async () => {
    const secret = 'a-secret-of-16-chars'
    await expect(
      callWebhook({
        url: `${base}/ok`,
        secret,
        timeoutMs: 2000,
        body: { hello: 'world' },
        allowLoopback: true,
      }),
    ).resolves.toEqual({ status: 204 })
    const last = received.at(-1)!
    expect(JSON.parse(last.body)).toEqual({ hello: 'world' })
    expect(last.signature).toBe(signBody(last.body, secret))
  })

  it('refuses loopback unless allowed, before any connection', async () => {
    const before = received.length
    await expect(callWebhook({ url: `${base}/ok`, timeoutMs: 2000, body: {} })).rejects.toThrow(
      /private address/,
    )
    expect(received.length).toBe(before)
  })

  it('fails on an error status and on a timeout', async () => {
    await expect(
      callWebhook({ url: `${base}/fail`, timeoutMs: 2000, body: {}, allowLoopback: true }),
    ).rejects.toThrow(/500/)
    slow = true
    await expect(
      callWebhook({ url: `${base}/slow`, timeoutMs: 150, body: {}, allowLoopback: true }),
    ).rejects.toThrow(/150 ms/)
    slow = false
  })
})

describe(guardedLookup.name, () => {
  const resolvingTo =
    (...addresses: string[]): Resolver =>
    (_host, _options, callback) =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      )

  function lookup(resolver: Resolver, all: boolean) {
    return new Promise<{ err: Error | null; address: unknown }>((resolve) =>
      guardedLookup(false, resolver)('hooks.example.com', { all }, (err, address) =>
        resolve({ err, address }),
      ),
    )
  }

  it('refuses a public name that resolves to a private address (DNS pointing inward)', async () => {
    const { err } = await lookup(resolvingTo('93.184.216.34', '10.0.0.5'), false)
    expect(err?.message).toMatch(/10\.0\.0\.5 is a private address/)
  })

  it('hands public addresses on, one or all as asked', async () => {
    expect((await lookup(resolvingTo('93.184.216.34'), false)).address).toBe('93.184.216.34')
    expect((await lookup(resolvingTo('93.184.216.34'), true)).address).toEqual([
      { address: '93.184.216.34', family: 4 },
    ])
  })
})
