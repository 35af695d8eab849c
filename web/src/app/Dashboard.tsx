import { useMutation } from '@tanstack/react-query'
import { useEffect, useMemo, useState } from 'react'
import type { MouseEvent } from 'react'
import { AccountList, accountHref } from '../accounts/AccountList'
import { AccountPage } from '../accounts/AccountPage'
import { AddAccountDialog } from '../accounts/AddAccountDialog'
import { useAccounts } from '../accounts/useAccounts'
import { ApiClientProvider, useApiClient } from '../api/ApiClientContext'
import { createApiClient, describeError } from '../api/client'
import type { StreamStatus } from '../api/useEventStream'
import { useEventStream } from '../api/useEventStream'
import type { Account, Me } from '../api/types'
import type { SignOutReason } from '../auth/session'
import { CampaignsPage } from '../campaigns/CampaignsPage'
import { SchedulesPage } from '../schedules/SchedulesPage'
import { ApiKeysPage } from '../team/ApiKeysPage'
import { UsersPage } from '../team/UsersPage'
import { roleLabels } from '../team/labels'
import { Logo } from './Logo'
import { useHashRoute } from './useHashRoute'

export type DashboardProps = {
  me: Me
  onSignOut: (reason?: SignOutReason) => void
}

export function Dashboard({ me, onSignOut }: DashboardProps) {
  const client = useMemo(
    () => createApiClient({ csrfToken: me.csrfToken, onUnauthorized: () => onSignOut('rejected') }),
    [me.csrfToken, onSignOut],
  )

  return (
    <ApiClientProvider client={client}>
      <AppShell me={me} onSignOut={onSignOut} />
    </ApiClientProvider>
  )
}

type AppShellProps = {
  me: Me
  onSignOut: (reason?: SignOutReason) => void
}

function AppShell({ me, onSignOut }: AppShellProps) {
  const api = useApiClient()
  const streamStatus = useEventStream(() => onSignOut('rejected'))
  const route = useHashRoute()
  const isAdmin = me.role === 'owner' || me.role === 'admin'
  const signOut = useMutation({
    mutationFn: (everywhere: boolean) => (everywhere ? api.logoutEverywhere() : api.logout()),
    onSettled: (_result, _error, everywhere) => onSignOut(everywhere ? 'everywhere' : 'user'),
  })
  const accounts = useAccounts()
  const selectedId = route.page === 'account' ? route.accountId : null
  const selected = accounts.data?.items.find((account) => account.id === selectedId)
  const [adding, setAdding] = useState(false)
  // Bumped to move focus to the content once a dialog that changed the page has gone.
  const [focusRequest, setFocusRequest] = useState(0)

  useEffect(() => {
    // After the commit that unmounted the dialog (which hands focus back to its opener).
    if (focusRequest === 0) return
    document.getElementById('main')?.focus({ preventScroll: true })
    window.scrollTo(0, 0)
  }, [focusRequest])

  function handleCreated(account: Account) {
    setAdding(false)
    setFocusRequest((count) => count + 1)
    window.location.hash = accountHref(account.id)
  }

  function handleDeleted() {
    setFocusRequest((count) => count + 1)
    window.location.hash = '#/'
  }

  function handleSkipToContent(event: MouseEvent<HTMLAnchorElement>) {
    // The hash is the router, so focus the content without navigating.
    event.preventDefault()
    document.getElementById('main')?.focus()
  }

  return (
    <div
      className="shell"
      data-view={
        selectedId || route.page === 'campaigns' || route.page === 'schedules' ? 'detail' : 'list'
      }
    >
      <a className="skip-link" href="#main" onClick={handleSkipToContent}>
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="#/">
          <Logo size={28} />
          <span>Linda</span>
        </a>
        <nav className="topnav" aria-label="Sections">
          <a
            href="#/"
            aria-current={route.page === 'home' || route.page === 'account' ? 'page' : undefined}
          >
            Accounts
          </a>
          <a href="#/campaigns" aria-current={route.page === 'campaigns' ? 'page' : undefined}>
            Campaigns
          </a>
          <a href="#/schedules" aria-current={route.page === 'schedules' ? 'page' : undefined}>
            Schedules
          </a>
          {isAdmin && (
            <a href="#/users" aria-current={route.page === 'users' ? 'page' : undefined}>
              Team
            </a>
          )}
          <a href="#/api-keys" aria-current={route.page === 'api-keys' ? 'page' : undefined}>
            API keys
          </a>
        </nav>
        <div className="topbar-actions">
          <StreamIndicator status={streamStatus} />
          <span className="whoami">
            <span className="whoami-name">{me.user.name}</span>
            <span className="whoami-role">{roleLabels[me.role]}</span>
          </span>
          <button
            className="button button-quiet"
            type="button"
            disabled={signOut.isPending}
            onClick={() => signOut.mutate(false)}
          >
            Sign out
          </button>
          <button
            className="button button-quiet"
            type="button"
            disabled={signOut.isPending}
            onClick={() => signOut.mutate(true)}
          >
            Sign out everywhere
          </button>
        </div>
      </header>

      <div className="layout">
        <nav className="sidebar" aria-labelledby="accounts-heading">
          <div className="sidebar-header">
            <h2 id="accounts-heading">Accounts</h2>
            {accounts.data && <span className="count">{accounts.data.items.length}</span>}
            {isAdmin && (
              <button
                className="button button-small sidebar-add"
                type="button"
                onClick={() => setAdding(true)}
              >
                <span aria-hidden="true">+</span> Add account
              </button>
            )}
          </div>
          {accounts.isPending ? (
            <p className="sidebar-note">Loading accounts…</p>
          ) : accounts.isError ? (
            <div className="sidebar-note" role="alert">
              <p>{describeError(accounts.error)}</p>
              <button className="button" type="button" onClick={() => void accounts.refetch()}>
                Try again
              </button>
            </div>
          ) : accounts.data.items.length === 0 ? (
            <p className="sidebar-note">No accounts yet.</p>
          ) : (
            <AccountList accounts={accounts.data.items} selectedId={selectedId} />
          )}
        </nav>

        <main id="main" className="content" tabIndex={-1}>
          {route.page === 'campaigns' ? (
            <CampaignsPage />
          ) : route.page === 'schedules' ? (
            <SchedulesPage />
          ) : route.page === 'users' && isAdmin ? (
            <UsersPage me={me} />
          ) : route.page === 'api-keys' ? (
            <ApiKeysPage me={me} />
          ) : selected ? (
            <AccountPage account={selected} onDeleted={handleDeleted} />
          ) : (
            <EmptyState
              title={selectedId && accounts.isSuccess ? 'Account not found' : 'Your accounts'}
              text={
                selectedId && accounts.isSuccess
                  ? 'This account no longer exists. Pick another one from the list.'
                  : 'Pick an account to see its details. Sandbox accounts open a phone simulator, so you can chat with your bot without WhatsApp.'
              }
            />
          )}
        </main>
      </div>

      {adding && <AddAccountDialog onClose={() => setAdding(false)} onCreated={handleCreated} />}
    </div>
  )
}

type StreamIndicatorProps = {
  status: StreamStatus
}

const streamLabels: Record<StreamStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  offline: 'Offline, retrying',
}

function StreamIndicator({ status }: StreamIndicatorProps) {
  return (
    <span className="stream" data-status={status} role="status">
      <span className="stream-dot" aria-hidden="true" />
      {streamLabels[status]}
    </span>
  )
}

type EmptyStateProps = {
  title: string
  text: string
}

function EmptyState({ title, text }: EmptyStateProps) {
  return (
    <div className="empty-state">
      <div className="empty-illustration" aria-hidden="true">
        <Logo size={56} />
      </div>
      <h1>{title}</h1>
      <p>{text}</p>
    </div>
  )
}
