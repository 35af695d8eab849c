import type { WebSocket } from 'ws'
import type { EventBus } from '../platform/events/index.js'
import type { App } from './types.js'

/** The subprotocol a browser offers along with `bearer.<api key>`. */
export const eventsProtocol = 'linda.v1'

/** Past this much unsent data a client is too slow to follow the stream and is dropped. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

/** `GET /api/v1/events`: every domain event as a JSON frame `{type, data, at}`. */
export function eventsRoutes(events: EventBus) {
  return async function register(app: App): Promise<void> {
    const sockets = new Set<WebSocket>()
    const unsubscribe = events.subscribe('*', (event) => {
      if (sockets.size === 0) return
      const frame = JSON.stringify(event)
      for (const socket of sockets) {
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.close(1013, 'too slow')
          continue
        }
        socket.send(frame)
      }
    })
    app.addHook('onClose', async () => {
      unsubscribe()
      for (const socket of sockets) socket.close(1001, 'server shutting down')
    })

    app.get(
      '/events',
      {
        websocket: true,
        schema: {
          tags: ['integration'],
          summary: 'The live event stream (WebSocket)',
          description:
            'Authenticate with `Authorization: Bearer <key>`, or from a browser with the subprotocols `linda.v1` and `bearer.<key>`. Frames are JSON `{type, data, at}`.',
        },
      },
      (socket) => {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
        socket.on('message', () => {
          // The stream is one-way; what a client sends is ignored.
        })
      },
    )
  }
}
