import type { MessageStatus } from '../api/types'

export type StatusTicksProps = {
  status: MessageStatus
}

const statusTitles: Partial<Record<MessageStatus, string>> = {
  queued: 'Queued',
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not delivered',
  uncertain: 'Delivery unknown',
}

export function StatusTicks({ status }: StatusTicksProps) {
  return (
    <span
      className="ticks"
      data-status={status}
      role="img"
      aria-label={`Status: ${status}`}
      title={statusTitles[status] ?? status}
    >
      <TickIcon status={status} />
    </span>
  )
}

function TickIcon({ status }: StatusTicksProps) {
  switch (status) {
    case 'queued':
    case 'sending':
      return (
        <svg viewBox="0 0 16 16" width="15" height="15" aria-hidden="true" focusable="false">
          <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" strokeWidth="1.5" />
          <path
            d="M8 4.5V8l2.5 1.5"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.5"
            strokeLinecap="round"
          />
        </svg>
      )
    case 'sent':
      return (
        <svg viewBox="0 0 18 14" width="16" height="13" aria-hidden="true" focusable="false">
          <path
            d="M2.5 7.5 6 11l8-8.5"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.7"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
      )
    case 'delivered':
    case 'read':
      return (
        <svg viewBox="0 0 20 14" width="18" height="13" aria-hidden="true" focusable="false">
          <path
            d="M1.5 7.5 5 11l8-8.5M9.5 10.5l.5.5 8-8.5"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.7"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
      )
    case 'failed':
      return <span className="tick-symbol">!</span>
    case 'uncertain':
      return <span className="tick-symbol">?</span>
    case 'received':
      return null
  }
}
