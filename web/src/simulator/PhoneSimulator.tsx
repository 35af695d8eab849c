import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Fragment, useId, useState } from 'react'
import type { FormEvent } from 'react'
import { useApiClient } from '../api/ApiClientContext'
import { describeError } from '../api/client'
import { queryKeys } from '../api/queryKeys'
import type { Account, Message } from '../api/types'
import { MessageBubble } from './MessageBubble'
import { defaultContactPhone, isE164, normalizePhone } from './phone'
import { useConversation } from './useConversation'

export type PhoneSimulatorProps = {
  account: Account
}

type Outgoing = { from: string; text: string }

export function PhoneSimulator({ account }: PhoneSimulatorProps) {
  const api = useApiClient()
  const queryClient = useQueryClient()
  const [phoneInput, setPhoneInput] = useState(defaultContactPhone)
  const [draft, setDraft] = useState('')
  const phoneId = useId()
  const phoneHintId = useId()
  const messageId = useId()

  const phone = normalizePhone(phoneInput)
  const phoneValid = isE164(phone)
  const conversation = useConversation(account.id, phone, phoneValid)

  const send = useMutation({
    mutationFn: ({ from, text }: Outgoing) => api.sendInbound(account.id, { from, text }),
    onSuccess: (_result, { from }) =>
      queryClient.invalidateQueries({ queryKey: queryKeys.conversation(account.id, from) }),
    onError: (_error, { text }) => {
      // Give the words back so nothing typed is lost.
      setDraft((current) => (current === '' ? text : current))
    },
  })

  let threadNote: string | null = null
  if (!phoneValid) threadNote = 'Enter a valid contact phone to see the conversation.'
  else if (conversation.isPending) threadNote = 'Loading messages…'
  else if (conversation.isLoadingError) threadNote = describeError(conversation.error)

  function handleSend(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const text = draft.trim()
    if (text === '' || !phoneValid) return
    setDraft('')
    send.mutate({ from: phone, text })
  }

  return (
    <section className="simulator" aria-labelledby={`${phoneId}-title`}>
      <h2 id={`${phoneId}-title`} className="visually-hidden">
        Phone simulator
      </h2>

      <div className="field sim-contact">
        <label htmlFor={phoneId}>Contact phone</label>
        <input
          id={phoneId}
          type="tel"
          inputMode="tel"
          autoComplete="off"
          spellCheck={false}
          value={phoneInput}
          onChange={(event) => setPhoneInput(event.target.value)}
          aria-invalid={phoneValid ? undefined : true}
          aria-describedby={phoneHintId}
        />
        <p id={phoneHintId} className={phoneValid ? 'hint' : 'field-error'}>
          {phoneValid
            ? `You are texting ${account.name} as this number.`
            : 'Use international format with a leading +, like +15550001111.'}
        </p>
      </div>

      <div className="phone">
        <div className="phone-header">
          <span className="phone-avatar" aria-hidden="true">
            {account.name.trim().charAt(0).toUpperCase() || '?'}
          </span>
          <div className="phone-title">
            <span className="phone-name">{account.name}</span>
            <span className="phone-subtitle">
              {account.state === 'connected' ? 'online' : account.state.replace('_', ' ')}
            </span>
          </div>
        </div>

        <div
          className="thread-scroll"
          role="log"
          aria-label={`Conversation with ${account.name}`}
          tabIndex={0}
        >
          <Thread messages={conversation.data} accountName={account.name} note={threadNote} />
        </div>

        {phoneValid && conversation.isRefetchError && (
          <p className="phone-banner" role="status">
            Could not refresh the conversation: {describeError(conversation.error)}
          </p>
        )}
        {send.isError && (
          <p className="composer-error" role="alert">
            Not sent: {describeError(send.error)}
          </p>
        )}

        <form className="composer" onSubmit={handleSend}>
          <label htmlFor={messageId} className="visually-hidden">
            Message
          </label>
          <input
            id={messageId}
            className="composer-input"
            type="text"
            autoComplete="off"
            placeholder="Type a message"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
          />
          <button
            className="send-button"
            type="submit"
            aria-label="Send"
            disabled={draft.trim() === '' || !phoneValid}
          >
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
              <path fill="currentColor" d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" />
            </svg>
          </button>
        </form>
      </div>
    </section>
  )
}

type ThreadProps = {
  messages: Message[] | undefined
  accountName: string
  /** A line to show instead of the messages: loading, errors, bad input. */
  note: string | null
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })

function dayLabel(iso: string): string {
  const date = new Date(iso)
  const today = new Date()
  const yesterday = new Date(today)
  yesterday.setDate(today.getDate() - 1)
  if (date.toDateString() === today.toDateString()) return 'Today'
  if (date.toDateString() === yesterday.toDateString()) return 'Yesterday'
  return dayFormat.format(date)
}

function Thread({ messages, accountName, note }: ThreadProps) {
  if (note) return <p className="thread-note">{note}</p>
  if (!messages || messages.length === 0) {
    return (
      <p className="thread-note">
        No messages yet. Say <q>hi</q> — the greeting rule will answer.
      </p>
    )
  }

  return (
    <ol className="thread">
      {messages.map((message, index) => {
        const previous = messages[index - 1]
        const day = dayLabel(message.createdAt)
        const newDay = !previous || dayLabel(previous.createdAt) !== day
        return (
          <Fragment key={message.id}>
            {newDay && (
              <li className="thread-day">
                <span>{day}</span>
              </li>
            )}
            <MessageBubble
              message={message}
              accountName={accountName}
              startsGroup={newDay || previous?.direction !== message.direction}
            />
          </Fragment>
        )
      })}
    </ol>
  )
}
