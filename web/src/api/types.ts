export type Transport = 'sandbox' | 'cloud' | 'baileys'

export type AccountState =
  'created' | 'linking' | 'connected' | 'reconnecting' | 'disconnected' | 'logged_out' | 'error'

export type Account = {
  id: string
  name: string
  transport: Transport
  state: AccountState
  stateReason: string | null
  createdAt: string
  updatedAt: string
}

export type MessageStatus =
  'received' | 'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed' | 'uncertain'

export type Message = {
  id: string
  accountId: string
  conversationId: string
  contactId: string
  /** The contact's phone number in E.164 format. */
  phone: string
  direction: 'in' | 'out'
  type: 'text'
  text: string | null
  status: MessageStatus
  error: { code: string; message: string } | null
  createdAt: string
  updatedAt: string
}

export type Page<T> = {
  items: T[]
  nextCursor: string | null
}

export type InboundResult = {
  id: string
  duplicate: boolean
}

export type LindaEvent =
  | { type: 'message.received' | 'message.created' | 'message.status'; data: Message; at: string }
  | { type: 'account.state'; data: Account; at: string }

export type Problem = {
  type?: string
  title?: string
  status?: number
  detail?: string
  errors?: { path: string; message: string }[]
}
