import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpWebhookCaller, refusedAddress, refusedUrl } from './flows.webhook.js'

describe(refusedAddress.name, () => {
  it('refuses private, link-local, shared and reserved addresses, IPv4-mapped ones too', () => {
    for (const address of [
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      'fd00::1',
      'fe80::1',
      '::',
      '::ffff:10.0.0.1',
      '::ffff:192.168.0.1',
    ]) {
      expect(refusedAddress(address, true), address).not.toBeNull()
    }
  })

  it('refuses loopback unless it is allowed, and lets public addresses through', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      expect(refusedAddress(address, false), address).toMatch(/loopback/)
      expect(refusedAddress(address, true), address).toBeNull()
    }
    for (const address of ['8.8.8.8', '172.32.0.1', '2606:4700::1111']) {
      expect(refusedAddress(address, false), address).toBeNull()
    }
  })
})

describe(refusedUrl.name, () => {
  it('refuses what is not a public http(s) URL as written', () => {
    expect(refusedUrl('http://10.0.0.8/hook', true)).toMatch(/private network/)
    expect(refusedUrl('http://[::1]:8080/hook', false)).toMatch(/loopback/)
    expect(refusedUrl('http://localhost:3000/x', false)).toMatch(/localhost/)
    expect(refusedUrl('http://api.localhost/x', false)).toMatch(/localhost/)
    expect(refusedUrl('http://user:pw@example.com/x', false)).toMatch(/password/)
    expect(refusedUrl('file:///etc/passwd', false)).toMatch(/http/)
    expect(refusedUrl('https://example.com/hook', false)).toBeNull()
    expect(refusedUrl('http://localhost:3000/x', true)).toBeNull()
  })
})

describe(httpWebhookCaller.name, () => {
  let server: Server
  let base: string
  const seen: Array<{ url?: string; body: unknown; headers: Record<string, unknown> }> = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        seen.push({ url: req.url, body: body ? JSON.parse(body) : null, headers: req.headers })
        switch (req.url) {
          case '/ok':
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"total":12}')
            return
          case '/empty':
            res.writeHead(204).end()
            return
          case '/text':
            res.writeHead(200).end('hello')
            return
          case '/list':
            res.writeHead(200).end('[1,2]')
            return
          case '/huge':
            res.writeHead(200).end(`{"x":"${'a'.repeat(300_000)}"}`)
            return
          case '/slow':
            setTimeout(() => res.writeHead(200).end('{}'), 2000)
            return
          default:
            res.writeHead(500).end('{}')
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const call = httpWebhookCaller({ allowLoopback: true })

  it('posts JSON with its headers and reads a JSON object back', async () => {
    const result = await call({
      url: `${base}/ok`,
      headers: { 'x-token': 'abc' },
      body: { order: 7 },
      timeoutMs: 2000,
    })
    expect(result).toEqual({ ok: true, status: 200, json: { total: 12 } })
    const last = seen.at(-1)!
    expect(last.body).toEqual({ order: 7 })
    expect(last.headers).toMatchObject({ 'x-token': 'abc', 'content-type': 'application/json' })
  })

  it('takes an empty answer as an empty object', async () => {
    expect(await call({ url: `${base}/empty`, body: {}, timeoutMs: 2000 })).toEqual({
      ok: true,
      status: 204,
      json: {},
    })
  })

  it('fails on a status that is not 2xx, an answer that is not a JSON object, or too large', async () => {
    expect(await call({ url: `${base}/fail`, body: {}, timeoutMs: 2000 })).toMatchObject({
      ok: false,
      status: 500,
    })
    expect(await call({ url: `${base}/text`, body: {}, timeoutMs: 2000 })).toMatchObject({
      ok: false,
      error: 'The answer is not JSON',
    })
    expect(await call({ url: `${base}/list`, body: {}, timeoutMs: 2000 })).toMatchObject({
      ok: false,
      error: 'The answer is not a JSON object',
    })
    expect(await call({ url: `${base}/huge`, body: {}, timeoutMs: 2000 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/larger than/),
    })
  })

  it('gives up after its timeout', async () => {
    expect(await call({ url: `${base}/slow`, body: {}, timeoutMs: 100 })).toEqual({
      ok: false,
      error: 'No answer within 100 ms',
    })
  })

  it('refuses a loopback address unless allowed', async () => {
    const strict = httpWebhookCaller({ allowLoopback: false })
    const before = seen.length
    expect(await strict({ url: `${base}/ok`, body: {}, timeoutMs: 2000 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/loopback/),
    })
    expect(seen.length).toBe(before)
  })

  it('checks where a host name resolves to when it connects', async () => {
    const port = (server.address() as AddressInfo).port
    const names: Record<string, string> = {
      'inside.example': '10.0.0.5',
      'here.example': '127.0.0.1',
    }
    const resolve = (hostname: string) =>
      Promise.resolve([{ address: names[hostname] ?? '192.0.2.1', family: 4 }])
    const before = seen.length
    const strict = httpWebhookCaller({ allowLoopback: false, resolve })
    expect(
      await strict({ url: `http://inside.example:${port}/ok`, body: {}, timeoutMs: 2000 }),
    ).toEqual({
      ok: false,
      error: 'inside.example resolves to 10.0.0.5: 10.0.0.5 is in a private or reserved network',
    })
    expect(
      await strict({ url: `http://here.example:${port}/ok`, body: {}, timeoutMs: 2000 }),
    ).toMatchObject({
      ok: false,
      error: expect.stringMatching(/loopback/),
    })
    expect(seen.length).toBe(before)
    const loose = httpWebhookCaller({ allowLoopback: true, resolve })
    expect(
      await loose({ url: `http://here.example:${port}/ok`, body: {}, timeoutMs: 2000 }),
    ).toMatchObject({
      ok: true,
      json: { total: 12 },
    })
    expect(seen.length).toBe(before + 1)
  })
})
