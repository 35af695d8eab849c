import { useSyncExternalStore } from 'react'

export type Route =
  | { page: 'home' }
  | { page: 'account'; accountId: string }
  | { page: 'users' }
  | { page: 'api-keys' }
  | { page: 'campaigns' }
  | { page: 'schedules' }

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}

function readHash(): string {
  return window.location.hash
}

export function parseRoute(hash: string): Route {
  if (hash === '#/campaigns') return { page: 'campaigns' }
  if (hash === '#/schedules') return { page: 'schedules' }
  if (hash === '#/users') return { page: 'users' }
  if (hash === '#/api-keys') return { page: 'api-keys' }
  const match = /^#\/accounts\/([^/]+)$/.exec(hash)
  if (match?.[1]) {
    try {
      return { page: 'account', accountId: decodeURIComponent(match[1]) }
    } catch {
      return { page: 'home' }
    }
  }
  return { page: 'home' }
}

/** The dashboard's routing: `#/accounts/<id>` selects an account; `#/users`, `#/api-keys`, `#/campaigns`, `#/schedules`. */
export function useHashRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribe, readHash))
}
