import { useEffect, useMemo, useState } from 'react'
import type { MouseEvent } from 'react'
import { AccountList, accountHref } from '../accounts/AccountList'
import { AccountPage } from '../accounts/AccountPage'
import { AddAccountDialog } from '../accounts/AddAccountDialog'
import { useAccounts } from '../accounts/useAccounts'
import { ApiClientProvider } from '../api/ApiClientContext'
import { createApiClient, describeError } from '../api/client'
import type { StreamStatus } from '../api/useEventStream'
import { useEventStream } from '../api/useEventStream'
import type { Account } from '../api/types'
import type { SignOutReason } from '../auth/session'
import { CampaignsPage } from '../campaigns/CampaignsPage'
import { SchedulesPage } from '../schedules/SchedulesPage'
import { Logo } from './Logo'
import { useHashRoute } from './useHashRoute'

export type DashboardProps = {
  apiKey: string
  onSignOut: (reason?: SignOutReason) => void
}

export function Dashboard({ apiKey, onSignOut }: DashboardProps) {
  const client = useMemo(
    () => createApiClient({ apiKey, onUnauthorized: () => onSignOut('rejected') }),
    [apiKey, onSignOut],
  )

  return (
    <ApiClientProvider client={client}>
      <AppShell apiKey={apiKey} onSignOut={() => onSignOut('user')} />
    </ApiClientProvider>
  )
}

type AppShellProps = {
  apiKey: string
  onSignOut: () => void
}

function AppShell({ apiKey, onSignOut }: AppShellProps) {
  const streamStatus = useEventStream(apiKey)
  const route = useHashRoute()
  const accounts = useAccounts()
  const selectedId = route.page === 'account' ? route.accountId : null
  const selected = accounts.data?.items.find((account) => account.id === selectedId)
  const section = route.page === 'campaigns' || route.page === 'schedules' ? route.page : null
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
    <div className="shell" data-view={selectedId || section ? 'detail' : 'list'}>
      <a className="skip-link" href="#main" onClick={handleSkipToContent}>
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="#/">
          <Logo size={28} />
          <span>Linda</span>
        </a>
        <nav className="topnav" aria-label="Sections">
          <a href="#/campaigns" aria-current={section === 'campaigns' ? 'page' : undefined}>
            Campaigns
          </a>
          <a href="#/schedules" aria-current={section === 'schedules' ? 'page' : undefined}>
            Schedules
          </a>
        </nav>
        <div className="topbar-actions">
          <StreamIndicator status={streamStatus} />
          <button className="button button-quiet" type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>

      <div className="layout">
        <nav className="sidebar" aria-labelledby="accounts-heading">
          <div className="sidebar-header">
            <h2 id="accounts-heading">Accounts</h2>
            {accounts.data && <span className="count">{accounts.data.items.length}</span>}
            <button
              className="button button-small sidebar-add"
              type="button"
              onClick={() => setAdding(true)}
            >
              <span aria-hidden="true">+</span> Add account
            </button>
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
          {section === 'campaigns' ? (
            <CampaignsPage />
          ) : section === 'schedules' ? (
            <SchedulesPage />
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
