// The live event stream signs in like the dashboard (the session cookie), shows each
// connection only the accounts it may see, and closes when the session ends.
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DomainEvent } from '../../src/platform/events/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  setUpOwner,
  signUp,
  startTestLinda,
  virtualPhone,
  waitFor,
  type TestLinda,
  type TestSession,
} from '../helpers/linda.js'

interface Client {
  socket: WebSocket
  frames: DomainEvent[]
  closed: Promise<number>
}

describe.each(testDialects())('the event stream with sessions on %s', (dialect) => {
  let t: TestLinda
  let base = ''
  let other = ''

  beforeAll(async () => {
    t = await startTestLinda(dialect)
    await t.linda.http.listen({ port: 0, host: '127.0.0.1' })
    const address = t.linda.http.server.address()
    base = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    const res = await t.request<{ id: string }>('POST', '/api/v1/accounts', {
      name: 'Elsewhere',
      transport: 'sandbox',
    })
    other = res.json.id
  })

  afterAll(async () => {
    await t?.stop()
  })

  async function connect(session: TestSession, origin = `http://${base}`): Promise<Client> {
    const socket = new WebSocket(`ws://${base}/api/v1/events`, ['linda.v1'], {
      headers: { cookie: session.cookie, origin },
    })
    const frames: DomainEvent[] = []
    socket.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString('utf8'))))
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    return { socket, frames, closed }
  }

  async function writeTo(accountId: string, text: string): Promise<string> {
    const res = await t.request<{ id: string }>('POST', `/api/v1/sandbox/${accountId}/inbound`, {
      from: virtualPhone(),
      text,
    })
    expect(res.status).toBe(202)
    return res.json.id
  }

  const receivedIds = (client: Client) =>
    client.frames
      .filter((f) => f.type === 'message.received')
      .map((f) => (f.data as unknown as { id: string }).id)

  it('shows an agent the events of its accounts only, and an owner all of them', async () => {
    const owner = await setUpOwner(t)
    const agent = await signUp(t, 'agent', { accountIds: [t.accountId] })
    const ownerClient = await connect(owner)
    const agentClient = await connect(agent)
    try {
      const mine = await writeTo(t.accountId, 'for the agent')
      const notMine = await writeTo(other, 'not for the agent')
      await waitFor(() => {
        expect(receivedIds(ownerClient)).toEqual(expect.arrayContaining([mine, notMine]))
        expect(receivedIds(agentClient)).toContain(mine)
      })
      expect(receivedIds(agentClient)).not.toContain(notMine)
      // Account states follow the same rule; internal auth events reach nobody.
      expect(agentClient.frames.some((f) => f.type.startsWith('auth.'))).toBe(false)

      // Given the other account, the agent's open connection sees it from then on.
      await owner.request('PATCH', `/api/v1/users/${agent.user.id}`, {
        accountIds: [t.accountId, other],
      })
      await waitFor(async () => {
        const id = await writeTo(other, 'now for the agent too')
        await waitFor(() => expect(receivedIds(agentClient)).toContain(id), 2_000)
      })
    } finally {
      ownerClient.socket.close()
      agentClient.socket.close()
    }
  })

  it('closes the connection when its session ends, and refuses another site', async () => {
    const viewer = await signUp(t, 'viewer', { accountIds: [t.accountId] })
    const client = await connect(viewer)
    const out = await viewer.request('POST', '/api/v1/auth/logout')
    expect(out.status).toBe(204)
    expect(await client.closed).toBe(4401)

    const again = await signUp(t, 'viewer')
    const refused = new WebSocket(`ws://${base}/api/v1/events`, ['linda.v1'], {
      headers: { cookie: again.cookie, origin: 'https://evil.example' },
    })
    refused.on('error', () => {
      // Expected: the upgrade is refused.
    })
    const status = await new Promise<number>((resolve) => {
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      refused.once('open', () => resolve(101))
    })
    expect(status).toBe(403)
    refused.terminate()
  })
})
