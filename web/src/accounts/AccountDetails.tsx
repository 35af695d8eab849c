import type { Account } from '../api/types'
import { stateLabels, transportLabels } from './labels'

export type AccountDetailsProps = {
  account: Account
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

function formatDate(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date)
}

export function AccountDetails({ account }: AccountDetailsProps) {
  return (
    <dl className="details">
      <div>
        <dt>Transport</dt>
        <dd>{transportLabels[account.transport]}</dd>
      </div>
      <div>
        <dt>State</dt>
        <dd>
          {stateLabels[account.state]}
          {account.stateReason && <span className="muted"> — {account.stateReason}</span>}
        </dd>
      </div>
      {account.baileys && (
        <div>
          <dt>Phone</dt>
          <dd>{account.baileys.phone}</dd>
        </div>
      )}
      <div>
        <dt>Account ID</dt>
        <dd>
          <code>{account.id}</code>
        </dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{formatDate(account.createdAt)}</dd>
      </div>
      <div>
        <dt>Last change</dt>
        <dd>{formatDate(account.updatedAt)}</dd>
      </div>
    </dl>
  )
}
