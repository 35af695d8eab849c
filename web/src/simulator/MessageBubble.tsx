import type { Message } from '../api/types'
import { StatusTicks } from './StatusTicks'

export type MessageBubbleProps = {
  message: Message
  /** Who the bot is, for screen readers ("Sandbox: Hello!"). */
  accountName: string
  /** True when this bubble starts a run of messages from the same side, which gets a tail. */
  startsGroup: boolean
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })

export function MessageBubble({ message, accountName, startsGroup }: MessageBubbleProps) {
  const outbound = message.direction === 'out'
  const className = ['bubble', outbound ? 'bubble-out' : 'bubble-in', startsGroup && 'bubble-tail']
    .filter(Boolean)
    .join(' ')

  return (
    <li className={className} data-testid="message" data-direction={message.direction}>
      <span className="visually-hidden">{outbound ? accountName : 'You'}: </span>
      {message.text === null ? (
        <p className="bubble-text bubble-empty">Unsupported message</p>
      ) : (
        <p className="bubble-text">{message.text}</p>
      )}
      {outbound && message.status === 'failed' && (
        <p className="bubble-error">
          {message.error?.message ?? 'This message was not delivered.'}
        </p>
      )}
      <span className="bubble-meta">
        <time dateTime={message.createdAt}>{timeFormat.format(new Date(message.createdAt))}</time>
        {outbound && <StatusTicks status={message.status} />}
      </span>
    </li>
  )
}
