import { useMutation, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { createApiClient, describeError, errorCode, fieldErrors } from '../api/client'
import type { LinkInfo, SignedIn } from '../api/types'
import { Logo } from '../app/Logo'
import { TextField } from '../app/TextField'

export type SetupPageProps = {
  token: string
  onSignedIn: (signedIn: SignedIn) => void
}

const headings: Record<LinkInfo['kind'], string> = {
  setup: 'Create your account',
  invite: 'Join your team on Linda',
  reset: 'Choose a new password',
}

/** The page a one-time link opens: set up the first owner, accept an invite, or reset a password. */
export function SetupPage({ token, onSignedIn }: SetupPageProps) {
  const api = createApiClient()
  const link = useQuery({
    queryKey: ['setup-link', token],
    queryFn: () => api.checkLink(token),
    retry: false,
    staleTime: Infinity,
  })

  return (
    <main className="signin">
      <div className="signin-card">
        <div className="signin-brand">
          <Logo size={40} />
          <span>Linda</span>
        </div>
        {link.isPending ? (
          <p role="status">Checking your link…</p>
        ) : link.isError ? (
          <>
            <h1>This link does not work</h1>
            <p role="alert" className="field-error">
              {errorCode(link.error) === 'LINK_INVALID'
                ? 'It was used already, has expired, or was replaced by a newer one. Ask an admin for a new link (or run linda user create on the server).'
                : describeError(link.error)}
            </p>
            <a className="button" href="/">
              Go to sign-in
            </a>
          </>
        ) : (
          <SetupForm token={token} info={link.data} onSignedIn={onSignedIn} />
        )}
      </div>
    </main>
  )
}

type SetupFormProps = {
  token: string
  info: LinkInfo
  onSignedIn: (signedIn: SignedIn) => void
}

function SetupForm({ token, info, onSignedIn }: SetupFormProps) {
  const [email, setEmail] = useState(info.email ?? '')
  const [name, setName] = useState(info.name ?? '')
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [local, setLocal] = useState<Record<string, string>>({})

  const complete = useMutation({
    mutationFn: () =>
      createApiClient().completeLink({
        token,
        password,
        ...(info.kind === 'setup' ? { email: email.trim() } : {}),
        ...(info.kind !== 'reset' ? { name: name.trim() } : {}),
      }),
    onSuccess: onSignedIn,
  })

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const problems: Record<string, string> = {}
    if (info.kind === 'setup' && !email.trim()) problems.email = 'Enter your email.'
    if (info.kind !== 'reset' && !name.trim()) problems.name = 'Enter your name.'
    if (password.length < 10) problems.password = 'Use at least 10 characters.'
    else if (confirm !== password) problems.confirm = 'The two passwords are not the same.'
    setLocal(problems)
    if (Object.keys(problems).length === 0) complete.mutate()
  }

  const server = fieldErrors(complete.error)
  const errors = { ...server, ...local }
  const general =
    complete.isError && Object.keys(server).length === 0 ? describeError(complete.error) : null

  return (
    <>
      <h1>{headings[info.kind]}</h1>
      <p className="muted">
        {info.kind === 'reset'
          ? `For ${info.email ?? 'your account'}. Your other sessions will end.`
          : `You will be ${info.role === 'owner' || info.role === 'admin' ? 'an' : 'a'} ${info.role}. This link works once.`}
      </p>
      <form className="signin-form" onSubmit={handleSubmit} noValidate>
        {info.kind === 'setup' ? (
          <TextField
            label="Email"
            type="email"
            autoComplete="username"
            value={email}
            onValueChange={setEmail}
            error={errors.email}
          />
        ) : (
          info.email && (
            <p>
              Email: <strong>{info.email}</strong>
            </p>
          )
        )}
        {info.kind !== 'reset' && (
          <TextField
            label="Name"
            autoComplete="name"
            value={name}
            onValueChange={setName}
            error={errors.name}
          />
        )}
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onValueChange={setPassword}
          error={errors.password}
          hint="At least 10 characters. A few unrelated words make a strong, memorable password."
        />
        <TextField
          label="Repeat the password"
          type="password"
          autoComplete="new-password"
          value={confirm}
          onValueChange={setConfirm}
          error={errors.confirm}
        />
        {general && (
          <p className="field-error" role="alert">
            {general}
          </p>
        )}
        {Object.keys(errors).length > 0 && !general && (
          <p className="visually-hidden" role="alert">
            {Object.values(errors).join(' ')}
          </p>
        )}
        <button className="button button-primary" type="submit" disabled={complete.isPending}>
          {complete.isPending
            ? 'Saving…'
            : info.kind === 'reset'
              ? 'Save and sign in'
              : 'Create and sign in'}
        </button>
      </form>
    </>
  )
}
