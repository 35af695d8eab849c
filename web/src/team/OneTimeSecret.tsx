import { useState } from 'react'

export type OneTimeSecretProps = {
  label: string
  value: string
  /** What to tell the person about it (shown once, expires…). */
  note: string
}

/** A secret shown once (a link, a key): read-only, selectable, with a copy button. */
export function OneTimeSecret({ label, value, note }: OneTimeSecretProps) {
  const [copied, setCopied] = useState(false)

  function handleCopy() {
    void navigator.clipboard?.writeText(value).then(() => setCopied(true))
  }

  return (
    <div className="one-time-secret" role="status">
      <p>
        <strong>{label}</strong> {note}
      </p>
      <div className="copy-row">
        <input
          aria-label={label}
          readOnly
          value={value}
          onFocus={(event) => event.currentTarget.select()}
          spellCheck={false}
        />
        <button className="button button-small" type="button" onClick={handleCopy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  )
}
