import type { WebSocket } from 'ws'
import type { DomainEvent, EventBus } from '../platform/events/index.js'
import { sessionTokenOf, type AuthService, type Principal } from '../users/index.js'
import { presentedKey } from './auth.js'
import type { App } from './types.js'

/** The subprotocol a browser offers (along with `bearer.<api key>` when it uses a key). */
export const eventsProtocol = 'linda.v1'

/** Past this much unsent data a client is too slow to follow the stream and is dropped. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

/** How often every connection's credentials are checked again (expiry, revocation). */
const RECHECK_EVERY_MS = 60_000

/** Close code for a connection whose session or key stopped being valid. */
export const CLOSE_UNAUTHORIZED = 4401

interface Client {
  principal: Principal
  credential: { key: string } | { session: string }
}

/** The account an event is about, if any: what decides who may see it. */
export function accountOfEvent(event: DomainEvent): string | undefined {
  const data = event.data as unknown as Record<string, unknown> | null
  if (!data || typeof data !== 'object') return undefined
  if (typeof data.accountId === 'string') return data.accountId
  if (event.type.startsWith('account.') && typeof data.id === 'string') return data.id
  return undefined
}

/**
 * `GET /api/v1/events`: the domain events the caller may see, as JSON frames
 * `{type, data, at}`. An event about an account reaches only those with access to it;
 * internal `auth.*` events reach nobody. A connection lives as long as its session or key:
 * signing out, a revoked key or a disabled user closes it (code 4401).
 */
export function eventsRoutes(events: EventBus, auth: AuthService) {
  return async function register(app: App): Promise<void> {
    const clients = new Map<WebSocket, Client>()

    const recheck = async (socket: WebSocket, client: Client) => {
      const principal =
        'key' in client.credential
          ? await auth.authenticateKey(client.credential.key)
          : await auth.authenticateSession(client.credential.session, { touch: false })
      if (!clients.has(socket)) return
      if (!principal) {
        clients.delete(socket)
        socket.close(CLOSE_UNAUTHORIZED, 'signed out')
        return
      }
      client.principal = principal
    }
    const recheckAll = (only?: { userId: string }) => {
      for (const [socket, client] of clients) {
        if (only && client.principal.userId !== only.userId) continue
        recheck(socket, client).catch((err: unknown) => {
          app.log.warn({ err }, 'events: could not check a connection again')
        })
      }
    }

    const unsubscribe = events.subscribe('*', (event) => {
      if (event.type === 'auth.revoked') {
        recheckAll({ userId: (event.data as { userId: string }).userId })
        return
      }
      if (clients.size === 0 || event.type.startsWith('auth.')) return
      const accountId = accountOfEvent(event)
      let frame: string | undefined
      for (const [socket, client] of clients) {
        if (accountId !== undefined && !client.principal.canAccessAccount(accountId)) continue
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          clients.delete(socket)
          socket.close(1013, 'too slow')
          continue
        }
        frame ??= JSON.stringify(event)
        socket.send(frame)
      }
    })
    const timer = setInterval(() => recheckAll(), RECHECK_EVERY_MS)
    timer.unref()
    app.addHook('onClose', async () => {
      clearInterval(timer)
      unsubscribe()
      for (const socket of clients.keys()) socket.close(1001, 'server shutting down')
    })

    app.get(
      '/events',
      {
        websocket: true,
        config: { minRole: 'viewer' },
        schema: {
          tags: ['integration'],
          summary: 'The live event stream (WebSocket)',
          description:
            'Authenticate with the session cookie (the dashboard), `Authorization: Bearer <key>`, or from a browser script with the subprotocols `linda.v1` and `bearer.<key>`. Frames are JSON `{type, data, at}`; events about an account reach only those who may see it.',
        },
      },
      (socket, req) => {
        const principal = req.principal
        const key = presentedKey(req)
        const session = sessionTokenOf(req)
        if (!principal || (key === undefined && session === undefined)) {
          socket.close(CLOSE_UNAUTHORIZED, 'not signed in')
          return
        }
        clients.set(socket, {
          principal,
          credential: key !== undefined ? { key } : { session: session! },
        })
        socket.on('close', () => clients.delete(socket))
        socket.on('message', () => {
          // The stream is one-way; what a client sends is ignored.
        })
      },
    )
  }
}
