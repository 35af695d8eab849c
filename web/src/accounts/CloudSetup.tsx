import { useId, useRef, useState } from 'react'
import type { CloudAccount } from '../api/types'

export type CloudSetupProps = {
  cloud: CloudAccount
}

type CopyState = 'idle' | 'copied' | 'failed'

export function webhookUrl(): string {
  return `${window.location.origin}/webhooks/cloud`
}

/** What to enter at Meta for a Cloud API account, and which credentials Linda holds. */
export function CloudSetup({ cloud }: CloudSetupProps) {
  const headingId = useId()
  const urlId = useId()
  const inputRef = useRef<HTMLInputElement>(null)
  const [copy, setCopy] = useState<CopyState>('idle')
  const url = webhookUrl()

  async function handleCopy() {
    try {
      await navigator.clipboard.writeText(url)
      setCopy('copied')
    } catch {
      // No clipboard (an insecure origin, or permission refused): select it to copy by hand.
      inputRef.current?.select()
      setCopy('failed')
    }
  }

  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>Webhook at Meta</h2>
      <p className="muted">
        In your Meta app, open <strong>WhatsApp → Configuration</strong>, set this callback URL with
        the verify token you gave Linda, and subscribe to the <code>messages</code> field.
      </p>
      <div className="field">
        <label htmlFor={urlId}>Callback URL</label>
        <div className="copy-row">
          <input
            ref={inputRef}
            id={urlId}
            className="mono"
            readOnly
            value={url}
            onFocus={(event) => event.target.select()}
          />
          <button className="button" type="button" onClick={() => void handleCopy()}>
            {copy === 'copied' ? 'Copied' : 'Copy'}
          </button>
        </div>
        <p className="hint" role="status">
          {copy === 'copied' && 'The callback URL is on the clipboard.'}
          {copy === 'failed' &&
            'Copying is not allowed here: the URL is selected, copy it by hand.'}
        </p>
      </div>

      <h3>Credentials</h3>
      <dl className="details">
        <div>
          <dt>Phone number ID</dt>
          <dd>
            <code>{cloud.phoneNumberId}</code>
          </dd>
        </div>
        <div>
          <dt>Business account ID</dt>
          <dd>
            {cloud.wabaId ? <code>{cloud.wabaId}</code> : <span className="muted">Not set</span>}
          </dd>
        </div>
        <div>
          <dt>Graph API</dt>
          <dd>
            <code>
              {cloud.graphBaseUrl}/{cloud.apiVersion}
            </code>
          </dd>
        </div>
        <SecretRow label="Access token" stored={cloud.hasAccessToken} />
        <SecretRow label="App secret" stored={cloud.hasAppSecret} />
        <SecretRow label="Verify token" stored={cloud.hasVerifyToken} />
      </dl>
      <p className="hint">Secrets are stored encrypted and never shown.</p>
    </section>
  )
}

type SecretRowProps = {
  label: string
  stored: boolean
}

function SecretRow({ label, stored }: SecretRowProps) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <span className="flag" data-ok={stored}>
          <span aria-hidden="true">{stored ? '✓' : '!'}</span>
          {stored ? 'Stored' : 'Missing'}
        </span>
      </dd>
    </div>
  )
}
