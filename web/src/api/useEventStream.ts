import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useEffectEvent, useState } from 'react'
import { applyEvent } from './cache'
import { queryKeys } from './queryKeys'
import type { LindaEvent } from './types'

export type StreamStatus = 'connecting' | 'live' | 'offline'

const firstRetryMs = 1_000
const maxRetryMs = 30_000

function eventsUrl(): string {
  const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${protocol}//${window.location.host}/api/v1/events`
}

function parseEvent(raw: unknown): LindaEvent | null {
  if (typeof raw !== 'string') return null
  try {
    const frame = JSON.parse(raw) as Partial<LindaEvent>
    if (typeof frame.type !== 'string' || typeof frame.data !== 'object' || !frame.data) return null
    return frame as LindaEvent
  } catch {
    return null
  }
}

/** The close code Linda uses when the session behind a connection has ended. */
const CLOSE_UNAUTHORIZED = 4401

/**
 * Keeps a WebSocket to Linda's event stream open while signed in (the session cookie goes
 * with it), folding events into the query cache. Reconnects with exponential backoff and
 * refetches after each connect, since events may have been missed while no socket was open.
 * When Linda closes it because the session ended, calls `onUnauthorized` instead.
 */
export function useEventStream(onUnauthorized: () => void): StreamStatus {
  const queryClient = useQueryClient()
  const [status, setStatus] = useState<StreamStatus>('connecting')

  const handleEvent = useEffectEvent((event: LindaEvent) => {
    applyEvent(queryClient, event)
  })

  // Events sent while no socket was open are lost, so catch up on every (re)connect.
  const handleUnauthorized = useEffectEvent(() => onUnauthorized())

  const handleConnected = useEffectEvent(() => {
    void queryClient.invalidateQueries({ queryKey: queryKeys.accounts })
    void queryClient.invalidateQueries({ queryKey: queryKeys.allMessages })
  })

  useEffect(() => {
    let socket: WebSocket | null = null
    let retryTimer: ReturnType<typeof setTimeout> | undefined
    let attempt = 0
    let stopped = false

    function connect() {
      socket = new WebSocket(eventsUrl(), ['linda.v1'])

      socket.addEventListener('open', () => {
        handleConnected()
        attempt = 0
        setStatus('live')
      })

      socket.addEventListener('message', (message: MessageEvent) => {
        const event = parseEvent(message.data)
        if (event) handleEvent(event)
      })

      socket.addEventListener('close', (event: CloseEvent) => {
        socket = null
        if (stopped) return
        if (event.code === CLOSE_UNAUTHORIZED) {
          handleUnauthorized()
          return
        }
        setStatus('offline')
        const delay = Math.min(maxRetryMs, firstRetryMs * 2 ** attempt)
        attempt += 1
        retryTimer = setTimeout(
          () => {
            setStatus('connecting')
            connect()
          },
          delay * (0.75 + Math.random() * 0.5),
        )
      })
    }

    connect()

    return () => {
      stopped = true
      clearTimeout(retryTimer)
      socket?.close(1000, 'signed out')
    }
  }, [])

  return status
}
