import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { createApiClient, describeError, isUnauthorized } from '../api/client'
import { queryKeys } from '../api/queryKeys'
import { Logo } from '../app/Logo'
import type { SignOutReason } from './session'

export type SignInPageProps = {
  signedOutBecause: SignOutReason | null
  onSignIn: (apiKey: string) => void
}

export function SignInPage({ signedOutBecause, onSignIn }: SignInPageProps) {
  const queryClient = useQueryClient()
  const [apiKey, setApiKey] = useState('')
  const [emptyKey, setEmptyKey] = useState(false)
  const keyId = useId()
  const errorId = useId()

  const signIn = useMutation({
    mutationFn: (key: string) => createApiClient({ apiKey: key }).listAccounts(),
    onSuccess: (accounts, key) => {
      queryClient.setQueryData(queryKeys.accounts, accounts)
      onSignIn(key)
    },
  })

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const key = apiKey.trim()
    setEmptyKey(key === '')
    if (key === '') return
    signIn.mutate(key)
  }

  let error: string | null = null
  if (emptyKey) error = 'Enter an API key.'
  else if (signIn.isError) {
    error = isUnauthorized(signIn.error)
      ? 'That key was not accepted.'
      : describeError(signIn.error)
  }

  return (
    <main className="signin">
      <div className="signin-card">
        <div className="signin-brand">
          <Logo size={40} />
          <span>Linda</span>
        </div>
        <h1>Sign in to your dashboard</h1>
        <p className="muted">Use an API key for this Linda server.</p>

        {signedOutBecause === 'rejected' && (
          <p className="notice" role="status">
            Your API key stopped working. Sign in again to continue.
          </p>
        )}
        {signedOutBecause === 'user' && (
          <p className="notice" role="status">
            You have signed out.
          </p>
        )}

        <form className="signin-form" onSubmit={handleSubmit} noValidate>
          <div className="field">
            <label htmlFor={keyId}>API key</label>
            <input
              id={keyId}
              type="password"
              name="apiKey"
              autoComplete="current-password"
              spellCheck={false}
              autoFocus
              value={apiKey}
              onChange={(event) => setApiKey(event.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? errorId : undefined}
            />
            {error && (
              <p id={errorId} className="field-error" role="alert">
                {error}
              </p>
            )}
          </div>
          <button className="button button-primary" type="submit" disabled={signIn.isPending}>
            {signIn.isPending ? 'Checking…' : 'Sign in'}
          </button>
        </form>

        <p className="hint">
          Linda prints a key on its first start, or uses <code>LINDA_BOOTSTRAP_API_KEY</code>. The
          key stays in this browser tab until you sign out.
        </p>
      </div>
    </main>
  )
}
