import { SignInPage } from '../auth/SignInPage'
import { useSession } from '../auth/session'
import { Dashboard } from './Dashboard'

export function App() {
  const { apiKey, signedOutBecause, signIn, signOut } = useSession()
  if (!apiKey) return <SignInPage signedOutBecause={signedOutBecause} onSignIn={signIn} />
  return <Dashboard apiKey={apiKey} onSignOut={signOut} />
}
