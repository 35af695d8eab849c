import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { useAccounts } from '../accounts/useAccounts'
import { useApiClient } from '../api/ApiClientContext'
import { describeError, fieldErrors } from '../api/client'
import { queryKeys } from '../api/queryKeys'
import type { Account, Me, OneTimeLink, Role, User } from '../api/types'
import { roles } from '../api/types'
import { Dialog } from '../app/Dialog'
import { TextField } from '../app/TextField'
import { OneTimeSecret } from './OneTimeSecret'
import { atLeast, availabilityLabels, roleDescriptions, roleLabels, statusLabels } from './labels'

export type UsersPageProps = {
  me: Me
}

/** The team (owners and admins): invite people, change their role and accounts, disable them. */
export function UsersPage({ me }: UsersPageProps) {
  const api = useApiClient()
  const users = useQuery({
    queryKey: queryKeys.users,
    queryFn: ({ signal }) => api.listUsers(signal),
  })
  const accounts = useAccounts()
  const [editing, setEditing] = useState<User | null>(null)
  const people = users.data?.items.filter((user) => user.kind === 'person') ?? []

  return (
    <article className="account-page">
      <header className="page-header">
        <div className="page-title">
          <h1>Team</h1>
        </div>
        <p className="muted">
          Owners and admins see every account; agents and viewers only the accounts given to them.
        </p>
      </header>

      <InviteForm me={me} accounts={accounts.data?.items ?? []} />

      <section className="card" aria-labelledby="people-heading">
        <h2 id="people-heading">People</h2>
        {users.isPending ? (
          <p role="status">Loading the team…</p>
        ) : users.isError ? (
          <p role="alert">{describeError(users.error)}</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Accounts</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {people.map((user) => (
                <tr key={user.id} data-testid="user-row">
                  <th scope="row">
                    {user.name}
                    {user.id === me.user.id && <span className="muted"> (you)</span>}
                  </th>
                  <td>{user.email}</td>
                  <td>{roleLabels[user.role]}</td>
                  <td>{atLeast(user.role, 'admin') ? 'All' : String(user.accountIds.length)}</td>
                  <td>
                    {statusLabels[user.status]}
                    {user.status === 'active' && (
                      <span className="muted"> · {availabilityLabels[user.availability]}</span>
                    )}
                  </td>
                  <td>
                    {user.id !== me.user.id && atLeast(me.role, user.role) && (
                      <button
                        className="button button-small"
                        type="button"
                        onClick={() => setEditing(user)}
                        aria-label={`Manage ${user.name}`}
                      >
                        Manage
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {editing && (
        <ManageUserDialog
          me={me}
          user={editing}
          accounts={accounts.data?.items ?? []}
          onClose={() => setEditing(null)}
        />
      )}
    </article>
  )
}

type AccountPickerProps = {
  accounts: Account[]
  selected: string[]
  onChange: (ids: string[]) => void
  error?: string
}

function AccountPicker({ accounts, selected, onChange, error }: AccountPickerProps) {
  const errorId = useId()
  return (
    <fieldset className="field-group" aria-describedby={error ? errorId : undefined}>
      <legend>Accounts they may see</legend>
      {accounts.length === 0 && <p className="muted">No accounts yet.</p>}
      {accounts.map((account) => (
        <label key={account.id} className="checkbox">
          <input
            type="checkbox"
            checked={selected.includes(account.id)}
            onChange={(event) =>
              onChange(
                event.target.checked
                  ? [...selected, account.id]
                  : selected.filter((id) => id !== account.id),
              )
            }
          />
          {account.name}
        </label>
      ))}
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
    </fieldset>
  )
}

type RoleSelectProps = {
  me: Me
  value: Role
  onChange: (role: Role) => void
  error?: string
}

function RoleSelect({ me, value, onChange, error }: RoleSelectProps) {
  const id = useId()
  const hintId = useId()
  return (
    <div className="field">
      <label htmlFor={id}>Role</label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value as Role)}
        aria-describedby={hintId}
        aria-invalid={error ? true : undefined}
      >
        {roles
          .filter((role) => atLeast(me.role, role))
          .map((role) => (
            <option key={role} value={role}>
              {roleLabels[role]}
            </option>
          ))}
      </select>
      <p id={hintId} className="hint">
        {error ?? roleDescriptions[value]}
      </p>
    </div>
  )
}

type InviteFormProps = {
  me: Me
  accounts: Account[]
}

function InviteForm({ me, accounts }: InviteFormProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const [email, setEmail] = useState('')
  const [name, setName] = useState('')
  const [role, setRole] = useState<Role>('agent')
  const [accountIds, setAccountIds] = useState<string[]>([])
  const [link, setLink] = useState<{ name: string; link: OneTimeLink } | null>(null)

  const invite = useMutation({
    mutationFn: () =>
      api.inviteUser({
        email: email.trim(),
        name: name.trim(),
        role,
        ...(atLeast(role, 'admin') ? {} : { accountIds }),
      }),
    onSuccess: (result) => {
      setLink({ name: result.user.name, link: result.link })
      setEmail('')
      setName('')
      setAccountIds([])
      void queryClient.invalidateQueries({ queryKey: queryKeys.users })
    },
  })

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setLink(null)
    invite.mutate()
  }

  const errors = fieldErrors(invite.error)
  const general =
    invite.isError && Object.keys(errors).length === 0 ? describeError(invite.error) : null

  return (
    <section className="card" aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite someone</h2>
      <form className="settings-form" onSubmit={handleSubmit} noValidate>
        <div className="settings-grid">
          <TextField
            label="Email"
            type="email"
            value={email}
            onValueChange={setEmail}
            error={errors.email}
          />
          <TextField label="Name" value={name} onValueChange={setName} error={errors.name} />
          <RoleSelect me={me} value={role} onChange={setRole} error={errors.role} />
        </div>
        {!atLeast(role, 'admin') && (
          <AccountPicker
            accounts={accounts}
            selected={accountIds}
            onChange={setAccountIds}
            error={errors.accountIds}
          />
        )}
        {general && (
          <p className="field-error" role="alert">
            {general}
          </p>
        )}
        <div className="form-actions">
          <button className="button button-primary" type="submit" disabled={invite.isPending}>
            {invite.isPending ? 'Inviting…' : 'Invite'}
          </button>
        </div>
      </form>
      {link && (
        <OneTimeSecret
          label={`Invite link for ${link.name}`}
          value={link.link.url}
          note="Send it to them: it works once, for 7 days. Linda sends no email."
        />
      )}
    </section>
  )
}

type ManageUserDialogProps = {
  me: Me
  user: User
  accounts: Account[]
  onClose: () => void
}

function ManageUserDialog({ me, user, accounts, onClose }: ManageUserDialogProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const [role, setRole] = useState<Role>(user.role)
  const [accountIds, setAccountIds] = useState<string[]>(user.accountIds)
  const [link, setLink] = useState<OneTimeLink | null>(null)
  const refresh = () => void queryClient.invalidateQueries({ queryKey: queryKeys.users })

  const save = useMutation({
    mutationFn: () =>
      api.updateUser(user.id, {
        role,
        ...(atLeast(role, 'admin') ? {} : { accountIds }),
      }),
    onSuccess: () => {
      refresh()
      onClose()
    },
  })
  const toggle = useMutation({
    mutationFn: () =>
      user.status === 'disabled' ? api.enableUser(user.id) : api.disableUser(user.id),
    onSuccess: () => {
      refresh()
      onClose()
    },
  })
  const newLink = useMutation({
    mutationFn: () => api.userLink(user.id),
    onSuccess: setLink,
  })

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    save.mutate()
  }

  const errors = fieldErrors(save.error)
  const failed = [save, toggle, newLink].find((m) => m.isError)

  return (
    <Dialog title={`Manage ${user.name}`} description={user.email} onClose={onClose} size="large">
      <form className="dialog-form" onSubmit={handleSubmit} noValidate>
        <RoleSelect me={me} value={role} onChange={setRole} error={errors.role} />
        {!atLeast(role, 'admin') && (
          <AccountPicker
            accounts={accounts}
            selected={accountIds}
            onChange={setAccountIds}
            error={errors.accountIds}
          />
        )}
        {failed && Object.keys(errors).length === 0 && (
          <p className="field-error" role="alert">
            {describeError(failed.error)}
          </p>
        )}
        {link && (
          <OneTimeSecret
            label={link.kind === 'invite' ? 'New invite link' : 'Password reset link'}
            value={link.url}
            note={`Send it to ${user.name}: it works once, until ${new Date(link.expiresAt).toLocaleString()}.`}
          />
        )}
        <div className="dialog-actions">
          {user.status !== 'disabled' && (
            <button
              className="button"
              type="button"
              onClick={() => newLink.mutate()}
              disabled={newLink.isPending}
            >
              {user.status === 'invited' ? 'New invite link' : 'Password reset link'}
            </button>
          )}
          <button
            className={user.status === 'disabled' ? 'button' : 'button button-danger'}
            type="button"
            onClick={() => toggle.mutate()}
            disabled={toggle.isPending}
          >
            {user.status === 'disabled' ? 'Enable' : 'Disable'}
          </button>
          <button className="button button-primary" type="submit" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
