import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { useApiClient } from '../api/ApiClientContext'
import { describeError, fieldErrors } from '../api/client'
import { queryKeys } from '../api/queryKeys'
import type { ApiKey, CreatedApiKey, Me, Scope } from '../api/types'
import { TextField } from '../app/TextField'
import { OneTimeSecret } from './OneTimeSecret'
import { atLeast, roleLabels, scopeDescriptions, scopesOfRole } from './labels'

export type ApiKeysPageProps = {
  me: Me
}

/** API keys for scripts: created with scopes and shown once, listed by prefix, revoked. */
export function ApiKeysPage({ me }: ApiKeysPageProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const keys = useQuery({
    queryKey: queryKeys.apiKeys,
    queryFn: ({ signal }) => api.listApiKeys(signal),
  })
  const allowed = scopesOfRole(me.role)
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<Scope[]>(allowed)
  const [created, setCreated] = useState<CreatedApiKey | null>(null)

  const create = useMutation({
    mutationFn: () => api.createApiKey({ name: name.trim(), scopes }),
    onSuccess: (key) => {
      setCreated(key)
      setName('')
      void queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys })
    },
  })
  const revoke = useMutation({
    mutationFn: (id: string) => api.revokeApiKey(id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys }),
  })

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setCreated(null)
    create.mutate()
  }

  const errors = fieldErrors(create.error)
  const general =
    create.isError && Object.keys(errors).length === 0 ? describeError(create.error) : null
  const live = keys.data?.items.filter((key) => !key.revokedAt) ?? []
  const admin = atLeast(me.role, 'admin')

  return (
    <article className="account-page">
      <header className="page-header">
        <div className="page-title">
          <h1>API keys</h1>
        </div>
        <p className="muted">
          Keys let scripts call Linda&apos;s API (<code>Authorization: Bearer …</code>). A key acts
          for you, as a {roleLabels[me.role].toLowerCase()} at most, and only within its scopes.
        </p>
      </header>

      <section className="card" aria-labelledby="new-key-heading">
        <h2 id="new-key-heading">New key</h2>
        <form className="settings-form" onSubmit={handleSubmit} noValidate>
          <TextField
            label="Name"
            value={name}
            onValueChange={setName}
            error={errors.name}
            hint="What the key is for, e.g. “order notifications”."
          />
          <fieldset className="field-group">
            <legend>Scopes</legend>
            {allowed.map((scope) => (
              <label key={scope} className="checkbox">
                <input
                  type="checkbox"
                  checked={scopes.includes(scope)}
                  onChange={(event) =>
                    setScopes(
                      event.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope),
                    )
                  }
                />
                {scopeDescriptions[scope]}
              </label>
            ))}
            {errors.scopes && <p className="field-error">{errors.scopes}</p>}
          </fieldset>
          {general && (
            <p className="field-error" role="alert">
              {general}
            </p>
          )}
          <div className="form-actions">
            <button className="button button-primary" type="submit" disabled={create.isPending}>
              {create.isPending ? 'Creating…' : 'Create key'}
            </button>
          </div>
        </form>
        {created && (
          <OneTimeSecret
            label={`Key “${created.name}”`}
            value={created.key}
            note="Copy it now: Linda shows it this once and keeps only its hash."
          />
        )}
      </section>

      <section className="card" aria-labelledby="keys-heading">
        <h2 id="keys-heading">{admin ? 'Every key' : 'Your keys'}</h2>
        {keys.isPending ? (
          <p role="status">Loading keys…</p>
        ) : keys.isError ? (
          <p role="alert">{describeError(keys.error)}</p>
        ) : live.length === 0 ? (
          <p className="muted">No keys yet.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Scopes</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {live.map((key) => (
                <KeyRow
                  key={key.id}
                  apiKey={key}
                  mine={key.userId === me.user.id}
                  busy={revoke.isPending && revoke.variables === key.id}
                  onRevoke={() => revoke.mutate(key.id)}
                />
              ))}
            </tbody>
          </table>
        )}
        {revoke.isError && (
          <p className="field-error" role="alert">
            {describeError(revoke.error)}
          </p>
        )}
      </section>
    </article>
  )
}

type KeyRowProps = {
  apiKey: ApiKey
  mine: boolean
  busy: boolean
  onRevoke: () => void
}

function KeyRow({ apiKey, mine, busy, onRevoke }: KeyRowProps) {
  return (
    <tr data-testid="api-key-row">
      <th scope="row">
        {apiKey.name}
        {!mine && <span className="muted"> (another user’s)</span>}
      </th>
      <td>
        <code>{apiKey.prefix}…</code>
      </td>
      <td>{apiKey.scopes.join(', ')}</td>
      <td>{apiKey.lastUsedAt ? new Date(apiKey.lastUsedAt).toLocaleString() : 'Never'}</td>
      <td>
        <button
          className="button button-small button-danger"
          type="button"
          onClick={onRevoke}
          disabled={busy}
          aria-label={`Revoke ${apiKey.name}`}
        >
          Revoke
        </button>
      </td>
    </tr>
  )
}
