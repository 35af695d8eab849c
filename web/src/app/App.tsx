import { useState } from 'react'
import type { SignedIn } from '../api/types'
import { SetupPage } from '../auth/SetupPage'
import { SignInPage } from '../auth/SignInPage'
import { useSession } from '../auth/session'
import { Dashboard } from './Dashboard'

/** The token of a `/setup?token=…` link, when this page is one. */
function setupToken(): string | null {
  if (window.location.pathname !== '/setup') return null
  return new URLSearchParams(window.location.search).get('token')
}

export function App() {
  const { loading, me, signedOutBecause, signIn, signOut } = useSession()
  const [token, setToken] = useState(setupToken)

  function handleSetUp(signedIn: SignedIn) {
    // The link is spent: leave its address (and its token) out of the history.
    window.history.replaceState(null, '', '/')
    setToken(null)
    signIn(signedIn)
  }

  if (token) return <SetupPage token={token} onSignedIn={handleSetUp} />
  if (loading) {
    return (
      <main className="signin">
        <p role="status">Loading…</p>
      </main>
    )
  }
  if (!me) return <SignInPage signedOutBecause={signedOutBecause} onSignIn={signIn} />
  return <Dashboard me={me} onSignOut={signOut} />
}
