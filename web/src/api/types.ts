export type Transport = 'sandbox' | 'cloud' | 'baileys'

export type AccountState =
  'created' | 'linking' | 'connected' | 'reconnecting' | 'disconnected' | 'logged_out' | 'error'

export const uncertainPolicies = ['mark', 'resend'] as const

export type UncertainPolicy = (typeof uncertainPolicies)[number]

/** Per-account settings, as the API returns them (every default filled in). */
export type AccountSettings = {
  displayName: string | null
  defaultCountry: string | null
  timezone: string
  adminNumbers: string[]
  sendRatePerSecond: number | null
  uncertainPolicy: UncertainPolicy
}

/** The public part of a Cloud API account's credentials; the secrets are only flagged. */
export type CloudAccount = {
  phoneNumberId: string
  wabaId: string | null
  graphBaseUrl: string
  apiVersion: string
  hasAccessToken: boolean
  hasAppSecret: boolean
  hasVerifyToken: boolean
}

export type Account = {
  id: string
  name: string
  transport: Transport
  state: AccountState
  stateReason: string | null
  settings: AccountSettings
  /** Cloud API accounts only. */
  cloud?: CloudAccount
  /** WhatsApp Web accounts only. */
  baileys?: { phone: string }
  createdAt: string
  updatedAt: string
}

/** How to link an account: while `linking`, a QR code's content or a pairing code. */
export type Pairing = {
  state: AccountState
  qr?: string
  pairingCode?: string
}

export type CloudCredentialsInput = {
  phoneNumberId: string
  wabaId?: string
  accessToken: string
  appSecret: string
  verifyToken: string
  graphBaseUrl?: string
  apiVersion?: string
}

export type CreateAccountInput =
  | { transport: 'sandbox'; name: string }
  | { transport: 'cloud'; name: string; cloud: CloudCredentialsInput }
  | { transport: 'baileys'; name: string; baileys: { phone?: string } }

/** A PATCH: only the keys given change. */
export type AccountChange = {
  name?: string
  settings?: Partial<AccountSettings>
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

export const campaignStatuses = [
  'draft',
  'scheduled',
  'building',
  'running',
  'paused',
  'completed',
  'cancelled',
] as const
export type CampaignStatus = (typeof campaignStatuses)[number]

export type RecipientState =
  'pending' | 'queued' | 'sent' | 'delivered' | 'read' | 'replied' | 'failed' | 'skipped'

export type CampaignProgress = {
  total: number
  counts: Record<RecipientState, number>
  skipped: Record<string, number>
  excluded: Record<string, number>
  done: number
  percent: number
  deliveryRate: number | null
  readRate: number | null
  replyRate: number | null
  failureRate: number | null
}

export type Campaign = {
  id: string
  name: string
  status: CampaignStatus
  statusReason: string | null
  audience: { type: string } & Record<string, unknown>
  accounts: string[]
  throttle: { perMinute: number | null; jitter: number; quietHours: unknown }
  startAt: string | null
  progress: CampaignProgress
  createdAt: string
  updatedAt: string
  startedAt: string | null
  finishedAt: string | null
}

/** The body of `POST /campaigns` (and of a dry run), as the dashboard fills it in. */
export type CampaignInput = {
  name: string
  accounts: string[]
  audience:
    | { type: 'all' }
    | { type: 'tags'; any: string[] }
    | { type: 'list'; recipients: { phone: string }[] }
  message: { type: 'text'; text: string }
  throttle: {
    perMinute: number | null
    quietHours: { start: string; end: string; timezone: 'recipient' | 'account' } | null
  }
}

export type CampaignDryRun = {
  audience: number
  recipients: number
  excluded: Record<string, number>
  byAccount: Record<string, number>
  estimatedSeconds: number
}

export type ScheduleStatus = 'active' | 'paused' | 'completed'

export type Schedule = {
  id: string
  name: string
  accountId: string
  target: { type: string } & Record<string, unknown>
  message: { type: string; text?: string }
  kind: 'once' | 'cron'
  at: string | null
  cron: string | null
  timezone: string
  status: ScheduleStatus
  nextRunAt: string | null
  lastRunAt: string | null
  runs: number
}

export type UpcomingRun = { scheduleId: string; name: string; accountId: string; at: string }

export type CampaignProgressEvent = {
  campaignId: string
  name: string
  status: CampaignStatus
  statusReason: string | null
  progress: CampaignProgress
}

export type LindaEvent =
  | { type: 'message.received' | 'message.created' | 'message.status'; data: Message; at: string }
  | { type: 'campaign.progress'; data: CampaignProgressEvent; at: string }
  | { type: 'account.state'; data: Account; at: string }
  | {
      type: 'account.pairing'
      data: { accountId: string; qr?: string; pairingCode?: string }
      at: string
    }

export type Problem = {
  type?: string
  title?: string
  status?: number
  code?: string
  detail?: string
  errors?: { path: string; message: string }[]
}

export const roles = ['owner', 'admin', 'agent', 'viewer'] as const
export type Role = (typeof roles)[number]

export const scopes = ['read', 'write', 'admin'] as const
export type Scope = (typeof scopes)[number]

export type Availability = 'online' | 'away' | 'offline'

export type User = {
  id: string
  kind: 'person' | 'service'
  email: string | null
  name: string
  role: Role
  availability: Availability
  status: 'invited' | 'active' | 'disabled'
  accountIds: string[]
  lastSignInAt: string | null
  createdAt: string
  updatedAt: string
}

/** Who is signed in, and the CSRF token to send on every change. */
export type Me = {
  user: User
  via: 'session' | 'apiKey'
  role: Role
  scopes: Scope[]
  csrfToken: string | null
}

export type SignedIn = {
  user: User
  csrfToken: string
  expiresAt: string
}

export type OneTimeLink = {
  url: string
  kind: 'setup' | 'invite' | 'reset'
  expiresAt: string
}

export type LinkInfo = {
  kind: 'setup' | 'invite' | 'reset'
  role: Role
  email: string | null
  name: string | null
}

export type UserChange = {
  name?: string
  role?: Role
  availability?: Availability
  accountIds?: string[]
}

export type InviteInput = {
  email: string
  name: string
  role: Role
  accountIds?: string[]
}

export type ApiKey = {
  id: string
  name: string
  prefix: string
  role: Role
  scopes: Scope[]
  userId: string
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

export type CreatedApiKey = ApiKey & { key: string }
