import { useQuery, useQueryClient } from '@tanstack/react-query'
import { createContext, use, useCallback, useMemo, useState } from 'react'
import type { ReactNode } from 'react'
import { createApiClient, isUnauthorized } from '../api/client'
import { queryKeys } from '../api/queryKeys'
import type { Me, SignedIn } from '../api/types'

export type SignOutReason = 'user' | 'everywhere' | 'rejected'

export type Session = {
  /** Whether Linda has said yet who is signed in (the cookie is invisible to scripts). */
  loading: boolean
  /** Who is signed in, or null. */
  me: Me | null
  /** Why the last session ended, so the sign-in screen can say so. */
  signedOutBecause: SignOutReason | null
  /** Takes in the answer of a sign-in (or of a setup link). */
  signIn: (signedIn: SignedIn) => void
  /** Forgets the session here (the caller has told the server, or the server has said so). */
  signOut: (reason?: SignOutReason) => void
}

const SessionContext = createContext<Session | null>(null)

async function fetchMe(signal: AbortSignal): Promise<Me | null> {
  try {
    return await createApiClient().me(signal)
  } catch (error) {
    if (isUnauthorized(error)) return null
    throw error
  }
}

export type SessionProviderProps = {
  children: ReactNode
}

/** The signed-in person, from `GET /auth/me` (the httpOnly cookie proves who it is). */
export function SessionProvider({ children }: SessionProviderProps) {
  const queryClient = useQueryClient()
  const [signedOutBecause, setSignedOutBecause] = useState<SignOutReason | null>(null)
  const me = useQuery({
    queryKey: queryKeys.me,
    queryFn: ({ signal }) => fetchMe(signal),
    staleTime: Infinity,
    retry: 1,
  })

  const signIn = useCallback(
    ({ user, csrfToken }: SignedIn) => {
      setSignedOutBecause(null)
      const me: Me = {
        user,
        via: 'session',
        role: user.role,
        scopes: ['read', 'write', 'admin'],
        csrfToken,
      }
      queryClient.setQueryData(queryKeys.me, me)
    },
    [queryClient],
  )

  const signOut = useCallback(
    (reason: SignOutReason = 'user') => {
      setSignedOutBecause(reason)
      queryClient.setQueryData(queryKeys.me, null)
      // Nothing of the signed-out person stays in memory.
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== queryKeys.me[0] })
      queryClient.getMutationCache().clear()
    },
    [queryClient],
  )

  const session = useMemo(
    () => ({
      loading: me.isPending,
      me: me.data ?? null,
      signedOutBecause,
      signIn,
      signOut,
    }),
    [me.isPending, me.data, signedOutBecause, signIn, signOut],
  )

  return <SessionContext value={session}>{children}</SessionContext>
}

export function useSession(): Session {
  const session = use(SessionContext)
  if (!session) throw new Error('useSession must be used inside <SessionProvider>')
  return session
}
