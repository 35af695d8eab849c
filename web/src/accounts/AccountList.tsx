import type { Account } from '../api/types'
import { transportLabels } from './labels'
import { StateBadge } from './StateBadge'

export type AccountListProps = {
  accounts: Account[]
  selectedId: string | null
}

export function accountHref(accountId: string): string {
  return `#/accounts/${encodeURIComponent(accountId)}`
}

export function AccountList({ accounts, selectedId }: AccountListProps) {
  return (
    <ul className="account-list">
      {accounts.map((account) => (
        <li key={account.id}>
          <a
            className="account-link"
            href={accountHref(account.id)}
            aria-current={account.id === selectedId ? 'page' : undefined}
          >
            <span className="account-avatar" aria-hidden="true" data-transport={account.transport}>
              {account.name.trim().charAt(0).toUpperCase() || '?'}
            </span>
            <span className="account-summary">
              <span className="account-name">{account.name}</span>
              <span className="account-transport">{transportLabels[account.transport]}</span>
              {account.stateReason && <span className="account-reason">{account.stateReason}</span>}
            </span>
            <StateBadge state={account.state} />
          </a>
        </li>
      ))}
    </ul>
  )
}
