import type { Account } from '../api/types'
import { PhoneSimulator } from '../simulator/PhoneSimulator'
import { AccountDetails } from './AccountDetails'
import { transportLabels } from './labels'
import { StateBadge } from './StateBadge'

export type AccountPageProps = {
  account: Account
}

export function AccountPage({ account }: AccountPageProps) {
  const sandbox = account.transport === 'sandbox'

  return (
    <article className="account-page">
      <header className="page-header">
        <a className="back-link" href="#/">
          <span aria-hidden="true">←</span> All accounts
        </a>
        <div className="page-title">
          <h1>{account.name}</h1>
          <StateBadge state={account.state} />
        </div>
        <p className="muted">
          {transportLabels[account.transport]} account
          {account.stateReason && <> · {account.stateReason}</>}
        </p>
      </header>

      {sandbox ? (
        <div className="sandbox-layout">
          <PhoneSimulator key={account.id} account={account} />
          <aside className="card" aria-labelledby="about-account">
            <h2 id="about-account">About this account</h2>
            <p>
              Sandbox accounts never touch WhatsApp. Play the customer on the phone: what you send
              arrives as an inbound message, and Linda&apos;s replies come back with live delivery
              ticks.
            </p>
            <AccountDetails account={account} />
          </aside>
        </div>
      ) : (
        <section className="card" aria-labelledby="account-details">
          <h2 id="account-details">Details</h2>
          <AccountDetails account={account} />
          <p className="muted">The phone simulator is available for sandbox accounts only.</p>
        </section>
      )}
    </article>
  )
}
