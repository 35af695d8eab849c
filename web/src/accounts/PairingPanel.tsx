import { useQuery } from '@tanstack/react-query'
import { useId } from 'react'
import { useApiClient } from '../api/ApiClientContext'
import { describeError } from '../api/client'
import { queryKeys } from '../api/queryKeys'
import type { Account } from '../api/types'
import { QrCode } from './QrCode'

export type PairingPanelProps = {
  account: Account
}

const pollMs = 2_000

/** Splits a pairing code in halves, as WhatsApp shows it: ABCD-EFGH. */
function formatPairingCode(code: string): string {
  const plain = code.replace(/[\s-]/g, '').toUpperCase()
  if (plain.length !== 8) return plain
  return `${plain.slice(0, 4)}-${plain.slice(4)}`
}

/**
 * How to link a phone to an account that is `linking`: the QR code to scan or the pairing
 * code to type. WhatsApp rotates them, so they are polled and also taken from the event stream.
 */
export function PairingPanel({ account }: PairingPanelProps) {
  const api = useApiClient()
  const headingId = useId()
  const linking = account.state === 'linking'

  const pairing = useQuery({
    queryKey: queryKeys.pairing(account.id),
    queryFn: ({ signal }) => api.getPairing(account.id, signal),
    enabled: linking,
    refetchInterval: linking ? pollMs : false,
    staleTime: 0,
  })

  const qr = pairing.data?.qr
  const code = pairing.data?.pairingCode

  return (
    <section className="card pairing" aria-labelledby={headingId}>
      <h2 id={headingId}>Link your phone</h2>

      {code && (
        <div className="pairing-code-block">
          <p className="pairing-code" aria-label={`Pairing code: ${code.split('').join(' ')}`}>
            {formatPairingCode(code)}
          </p>
          <ol className="steps">
            <li>Open WhatsApp on the phone{account.baileys ? ` ${account.baileys.phone}` : ''}.</li>
            <li>
              Go to <strong>Settings → Linked devices → Link a device</strong>.
            </li>
            <li>
              Choose <strong>Link with phone number instead</strong> and type this code.
            </li>
          </ol>
        </div>
      )}

      {qr && (
        <div className="pairing-qr">
          <QrCode value={qr} alt={`QR code to link ${account.name} with WhatsApp`} />
          <ol className="steps">
            <li>Open WhatsApp on your phone.</li>
            <li>
              Go to <strong>Settings → Linked devices → Link a device</strong>.
            </li>
            <li>Point the phone at this code.</li>
          </ol>
        </div>
      )}

      {!qr && !code && (
        <p className="muted" role="status">
          {pairing.isError
            ? describeError(pairing.error)
            : 'Waiting for WhatsApp to give a code to link with…'}
        </p>
      )}

      <p className="hint">
        The code changes every little while; this page shows the current one. Once the phone is
        linked the account turns Connected.
      </p>
    </section>
  )
}
