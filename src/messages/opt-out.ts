import type { SendOrigin } from './messages.schemas.js'

/** What the opt-out rule needs to know of a send to a contact who opted out. */
export interface OptOutCase {
  origin: SendOrigin
  /** An API send flagged transactional (an order update, a one-time code). */
  transactional: boolean
  /** It answers a message the contact sent to this account in the last 24 hours. */
  answersContact: boolean
}

/**
 * Whether a message may reach a contact who opted out: only what the contact is owed. The
 * bot, a flow or an agent may answer the contact's own message (the opt-out confirmation
 * is one); an API send may when flagged transactional; campaigns and schedules never do.
 */
export function mayReachOptedOut(send: OptOutCase): boolean {
  switch (send.origin) {
    case 'campaign':
    case 'schedule':
      return false
    case 'api':
      return send.transactional
    case 'bot':
    case 'flow':
    case 'agent':
      return send.answersContact
  }
}
