import type { Account } from '../api/types'
import { PhoneSimulator } from '../simulator/PhoneSimulator'
import { AccountActions } from './AccountActions'
import { AccountDetails } from './AccountDetails'
import { AccountSettingsForm } from './AccountSettingsForm'
import { CloudSetup } from './CloudSetup'
import { transportLabels } from './labels'
import { PairingPanel } from './PairingPanel'
import { StateBadge } from './StateBadge'

export type AccountPageProps = {
  account: Account
  onDeleted: () => void
}

export function AccountPage({ account, onDeleted }: AccountPageProps) {
  const sandbox = account.transport === 'sandbox'
  const settings = <AccountSettingsForm key={account.id} account={account} />

  return (
    <article className="account-page">
      <header className="page-header">
        <a className="back-link" href="#/">
          <span aria-hidden="true">←</span> All accounts
        </a>
        <div className="page-title">
          <h1>{account.name}</h1>
          <span role="status" aria-label="Account state">
            <StateBadge state={account.state} />
          </span>
        </div>
        <p className="muted">
          {transportLabels[account.transport]} account
          {account.stateReason && (
            <>
              {' · '}
              <span className="state-reason" data-state={account.state}>
                {account.stateReason}
              </span>
            </>
          )}
        </p>
        <AccountActions account={account} onDeleted={onDeleted} />
      </header>

      {account.state === 'linking' && <PairingPanel account={account} />}

      {sandbox ? (
        <div className="sandbox-layout">
          <PhoneSimulator key={account.id} account={account} />
          <div className="card-stack">
            <aside className="card" aria-labelledby="about-account">
              <h2 id="about-account">About this account</h2>
              <p>
                Sandbox accounts never touch WhatsApp. Play the customer on the phone: what you send
                arrives as an inbound message, and Linda&apos;s replies come back with live delivery
                ticks.
              </p>
              <AccountDetails account={account} />
            </aside>
            {settings}
          </div>
        </div>
      ) : (
        <div className="account-columns">
          <div className="card-stack">
            {account.cloud && <CloudSetup cloud={account.cloud} />}
            <section className="card" aria-labelledby="account-details">
              <h2 id="account-details">Details</h2>
              <AccountDetails account={account} />
              <p className="muted">The phone simulator is available for sandbox accounts only.</p>
            </section>
          </div>
          {settings}
        </div>
      )}
    </article>
  )
}
