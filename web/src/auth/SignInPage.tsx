import { useMutation } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { ApiError, createApiClient, describeError, errorCode } from '../api/client'
import type { SignedIn } from '../api/types'
import { Logo } from '../app/Logo'
import type { SignOutReason } from './session'

export type SignInPageProps = {
  signedOutBecause: SignOutReason | null
  onSignIn: (signedIn: SignedIn) => void
}

const goodbyes: Record<SignOutReason, string> = {
  user: 'You have signed out.',
  everywhere: 'You have signed out on every device.',
  rejected: 'Your session has ended. Sign in again to continue.',
}

function describeSignInError(error: unknown): string {
  const code = errorCode(error)
  if (code === 'LOGIN_FAILED') {
    return error instanceof ApiError && error.message.includes('disabled')
      ? error.message
      : 'That email and password do not match.'
  }
  if (code === 'LOGIN_THROTTLED' && error instanceof ApiError) {
    const seconds = error.retryAfter ?? 1
    return `Too many failed attempts. Try again in ${String(seconds)} second${seconds === 1 ? '' : 's'}.`
  }
  return describeError(error)
}

export function SignInPage({ signedOutBecause, onSignIn }: SignInPageProps) {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [missing, setMissing] = useState<string | null>(null)
  const emailId = useId()
  const passwordId = useId()
  const errorId = useId()

  const signIn = useMutation({
    mutationFn: () => createApiClient().login(email.trim(), password),
    onSuccess: onSignIn,
  })

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const empty = !email.trim() ? 'Enter your email.' : !password ? 'Enter your password.' : null
    setMissing(empty)
    if (empty) return
    signIn.mutate()
  }

  const error = missing ?? (signIn.isError ? describeSignInError(signIn.error) : null)

  return (
    <main className="signin">
      <div className="signin-card">
        <div className="signin-brand">
          <Logo size={40} />
          <span>Linda</span>
        </div>
        <h1>Sign in to your dashboard</h1>

        {signedOutBecause && (
          <p className="notice" role="status">
            {goodbyes[signedOutBecause]}
          </p>
        )}

        <form className="signin-form" onSubmit={handleSubmit} noValidate>
          <div className="field">
            <label htmlFor={emailId}>Email</label>
            <input
              id={emailId}
              type="email"
              name="email"
              autoComplete="username"
              spellCheck={false}
              autoFocus
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? errorId : undefined}
            />
          </div>
          <div className="field">
            <label htmlFor={passwordId}>Password</label>
            <input
              id={passwordId}
              type="password"
              name="password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? errorId : undefined}
            />
          </div>
          {error && (
            <p id={errorId} className="field-error" role="alert">
              {error}
            </p>
          )}
          <button className="button button-primary" type="submit" disabled={signIn.isPending}>
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>

        <p className="hint">
          Forgot your password? Ask an admin for a reset link, or run{' '}
          <code>linda user reset-password EMAIL</code> on the server.
        </p>
      </div>
    </main>
  )
}
