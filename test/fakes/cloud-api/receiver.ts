// A tiny HTTP server standing in for Linda's `POST /webhooks/cloud`: it keeps every
// delivery (raw bytes and headers) and answers 200, so a test can read what Meta sent.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface WebhookReceiver {
  /** The URL to give the fake as its webhook URL. */
  readonly url: string
  readonly received: ReceivedWebhook[]
  stop(): Promise<void>
}

export async function startWebhookReceiver(path = '/webhooks/cloud'): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method === 'POST' && req.url === path) {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) })
        res.writeHead(200).end()
      } else {
        res.writeHead(404).end()
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
