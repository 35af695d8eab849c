import { useQueryClient } from '@tanstack/react-query'
import { createContext, use, useCallback, useMemo, useState } from 'react'
import type { ReactNode } from 'react'

const storageKey = 'linda.apiKey'

export type SignOutReason = 'user' | 'rejected'

export type Session = {
  /** The API key the dashboard is signed in with, or null when signed out. */
  apiKey: string | null
  /** Why the last session ended, so the sign-in screen can say so. */
  signedOutBecause: SignOutReason | null
  signIn: (apiKey: string) => void
  signOut: (reason?: SignOutReason) => void
}

const SessionContext = createContext<Session | null>(null)

function readStoredKey(): string | null {
  try {
    return window.sessionStorage.getItem(storageKey)
  } catch {
    return null
  }
}

export type SessionProviderProps = {
  children: ReactNode
}

export function SessionProvider({ children }: SessionProviderProps) {
  const queryClient = useQueryClient()
  const [apiKey, setApiKey] = useState(readStoredKey)
  const [signedOutBecause, setSignedOutBecause] = useState<SignOutReason | null>(null)

  const signIn = useCallback((key: string) => {
    window.sessionStorage.setItem(storageKey, key)
    setSignedOutBecause(null)
    setApiKey(key)
  }, [])

  const signOut = useCallback(
    (reason: SignOutReason = 'user') => {
      window.sessionStorage.removeItem(storageKey)
      setApiKey(null)
      setSignedOutBecause(reason)
      queryClient.clear()
    },
    [queryClient],
  )

  const session = useMemo(
    () => ({ apiKey, signedOutBecause, signIn, signOut }),
    [apiKey, signedOutBecause, signIn, signOut],
  )

  return <SessionContext value={session}>{children}</SessionContext>
}

export function useSession(): Session {
  const session = use(SessionContext)
  if (!session) throw new Error('useSession must be used inside <SessionProvider>')
  return session
}
