import type { ColumnType, Kysely, Transaction } from 'kysely'

/**
 * Table types of Linda's database, shared by both dialects. Times are ISO 8601 UTC
 * strings (timestamptz on PostgreSQL, text on SQLite); flags are 0/1 integers; JSON
 * columns are written as JSON text and read back through `fromJson`.
 */
type Json<T> = ColumnType<T | string, string, string>
type Flag = ColumnType<number, number | undefined, number>
type Time = string
type NullableTime = string | null

export interface AccountsTable {
  id: string
  name: string
  transport: string
  state: string
  state_reason: string | null
  settings: Json<Record<string, unknown>>
  /** The public part of the transport's credentials (e.g. the Cloud API phone number id). */
  transport_config: Json<Record<string, unknown>> | null
  /** The account's id on its provider; unique per transport among accounts not deleted. */
  external_id: string | null
  /** The secret part of the transport's credentials, sealed with the instance key. */
  credentials: string | null
  created_at: Time
  updated_at: Time
  deleted_at: NullableTime
}

export interface ContactsTable {
  id: string
  phone: string
  name: string | null
  language: string | null
  /** Where `language` came from: 'explicit' or 'detected' (null: counts as explicit). */
  language_source: ColumnType<string | null, string | null | undefined, string | null>
  tags: Json<string[]>
  attributes: Json<Record<string, unknown>>
  opted_out: Flag
  opted_out_at: NullableTime
  /** Who or what opted the contact out or in last (`api`, `keyword`, `import`, …). */
  opted_out_source: ColumnType<string | null, string | null | undefined, string | null>
  timezone: ColumnType<string | null, string | null | undefined, string | null>
  notes: ColumnType<string | null, string | null | undefined, string | null>
  first_inbound_at: ColumnType<string | null, string | null | undefined, string | null>
  first_outbound_at: ColumnType<string | null, string | null | undefined, string | null>
  last_inbound_at: NullableTime
  last_outbound_at: NullableTime
  /** WhatsApp's LID for the contact (`…@lid` without the domain); unique. */
  lid: ColumnType<string | null, string | null | undefined, string | null>
  /** 1 on WhatsApp, 0 not, null never checked. */
  on_whatsapp: ColumnType<number | null, number | null | undefined, number | null>
  whatsapp_checked_at: ColumnType<string | null, string | null | undefined, string | null>
  /** SQLite: the contact's rowid in the full-text index, set by a trigger. Null on PostgreSQL. */
  seq: ColumnType<number | null, number | null | undefined, number | null>
  created_at: Time
  updated_at: Time
}

/** Which contacts have a tag: the index filters by tags read. */
export interface ContactTagsTable {
  tag: string
  contact_id: string
}

/** A declared custom attribute of contacts. */
export interface ContactAttributesTable {
  key: string
  type: string
  label: string | null
  created_at: Time
  updated_at: Time
}

/** One contact's value of one attribute, typed, for filters: numbers and flags in `num`. */
export interface ContactAttributeValuesTable {
  contact_id: string
  key: string
  num: number | null
  txt: string | null
}

/** A saved filter of contacts. */
export interface SegmentsTable {
  id: string
  name: string
  /** The query-string form it was written in, when it was. */
  query: string | null
  filter: Json<unknown>
  created_at: Time
  updated_at: Time
}

export interface ConversationsTable {
  id: string
  account_id: string
  contact_id: string
  status: string
  bot_paused: Flag
  /** Who the conversation is assigned to (a team member's id); null: nobody. */
  assignee_id: string | null
  unread_count: ColumnType<number, number | undefined, number>
  last_message_at: Time
  last_inbound_at: NullableTime
  created_at: Time
  updated_at: Time
}

export interface MessagesTable {
  id: string
  account_id: string
  conversation_id: string
  contact_id: string
  phone: string
  direction: 'in' | 'out'
  type: string
  text: string | null
  payload: Json<Record<string, unknown>> | null
  status: string
  error: Json<{ code: string; message: string }> | null
  external_id: string | null
  /** Linda's internal key (e.g. a bot reply's); the API's keys are in `idempotency_keys`. */
  idempotency_key: string | null
  /** Outbound: who asked for it (api, bot, flow, agent, campaign, schedule). */
  origin: string | null
  /** Outbound: the id of the inbound message it answers. */
  reply_to: string | null
  /** Outbound API sends: flagged transactional (may reach a contact who opted out). */
  transactional: Flag
  /** Outbound: sends to the provider tried so far. */
  attempts: ColumnType<number, number | undefined, number>
  created_at: Time
  updated_at: Time
  sent_at: NullableTime
  delivered_at: NullableTime
  read_at: NullableTime
  /** The language detected in an inbound text (ISO 639-1), when the detector was confident. */
  language: ColumnType<string | null, string | null | undefined, string | null>
}

export interface JobsTable {
  id: string
  queue: string
  payload: Json<unknown>
  state: 'pending' | 'active' | 'dead'
  priority: number
  run_at: Time
  attempts: number
  max_attempts: number
  dedupe_key: string | null
  /** Jobs of one group run one at a time, in id order. */
  group_key: ColumnType<string | null, string | null | undefined, string | null>
  last_error: string | null
  locked_until: NullableTime
  created_at: Time
  updated_at: Time
  finished_at: NullableTime
}

export interface ApiKeysTable {
  id: string
  name: string
  prefix: string
  key_hash: string
  role: string
  created_at: Time
  last_used_at: NullableTime
  revoked_at: NullableTime
  /** The user the key acts for; a key never exceeds its user's role. */
  user_id: string | null
  /** What the key may do on top of the role: `read`, `write`, `admin`. */
  scopes: ColumnType<string[] | string, string | undefined, string>
}

/** A person who signs in, or the one service user that owns the keys of scripts. */
export interface UsersTable {
  id: string
  kind: ColumnType<string, string | undefined, string>
  /** Lower-cased; null for the service user. */
  email: string | null
  name: string
  role: string
  availability: ColumnType<string, string | undefined, string>
  /** argon2id (PHC string); null until the person has set a password. */
  password_hash: string | null
  password_changed_at: NullableTime
  disabled_at: NullableTime
  last_sign_in_at: NullableTime
  created_at: Time
  updated_at: Time
}

/** The accounts an agent or viewer may see and act on. */
export interface UserAccountsTable {
  user_id: string
  account_id: string
}

/** A signed-in browser: the cookie holds the token, the row only its SHA-256. */
export interface SessionsTable {
  id: string
  user_id: string
  token_hash: string
  created_at: Time
  last_seen_at: Time
  /** The absolute end of the session, whatever its activity. */
  expires_at: Time
  revoked_at: NullableTime
  ip: string | null
  user_agent: string | null
}

/** A one-time link (setup, invite, password reset); the row holds the token's SHA-256. */
export interface UserLinksTable {
  id: string
  token_hash: string
  kind: string
  user_id: string | null
  /** The role a `setup` link creates its user with. */
  role: string | null
  created_at: Time
  expires_at: Time
  used_at: NullableTime
}

/** Failed sign-ins per email address and per client address, for the lockout. */
export interface LoginThrottleTable {
  key: string
  failures: number
  last_failure_at: Time
  locked_until: NullableTime
}

export interface RulesTable {
  id: string
  account_id: string | null
  name: string
  match: Json<Record<string, unknown>>
  actions: Json<Record<string, unknown>[]>
  /** When the rule may fire besides its match (language, hours, tags…). */
  conditions: ColumnType<Record<string, unknown> | string, string | undefined, string>
  priority: number
  enabled: Flag
  /** Seconds before the rule fires again for the same contact; 0: no cooldown. */
  cooldown_seconds: ColumnType<number, number | undefined, number>
  created_at: Time
  updated_at: Time
}

/** The bot's settings: `scope` is `instance` or an account id; `settings` the keys set there. */
export interface BotSettingsTable {
  scope: string
  settings: Json<Record<string, unknown>>
  updated_at: Time
}

/** When a rule last fired for a contact (its per-contact cooldown). */
export interface BotRuleFiresTable {
  rule_id: string
  contact_id: string
  fired_at: Time
}

/** Automatic replies in a conversation since `window_start` (the loop guard's minute). */
export interface BotReplyWindowsTable {
  conversation_id: string
  window_start: Time
  replies: number
}

export interface InstanceSettingsTable {
  key: string
  value: Json<unknown>
  updated_at: Time
}

/** One key of a WhatsApp Web device's auth state (creds, a Signal key), sealed. */
export interface BaileysAuthTable {
  account_id: string
  key: string
  value: string
  updated_at: Time
}

/** A message a WhatsApp Web account sent, sealed, kept a while for WhatsApp's retries. */
export interface BaileysMessagesTable {
  account_id: string
  message_id: string
  value: string
  created_at: Time
}

/** The phone number (E.164) a WhatsApp LID stands for, as a WhatsApp Web account learnt it. */
export interface BaileysLidsTable {
  account_id: string
  lid: string
  phone: string
  updated_at: Time
}

export interface MediaTable {
  id: string
  account_id: string
  /** Hex sha256 of the bytes: the file's name in the media store. */
  sha256: string
  mime: string
  /** Bytes (bigint on PostgreSQL: read it through Number()). */
  size: ColumnType<number | string, number, number>
  filename: string | null
  created_at: Time
}

/** A conversation flow edited through the API: its current version's definition. */
export interface FlowsTable {
  id: string
  name: string
  account_id: string | null
  enabled: Flag
  version: number
  definition: Json<Record<string, unknown>>
  created_at: Time
  updated_at: Time
}

/** A message template: variables and language variants are JSON (see src/templates). */
export interface TemplatesTable {
  id: string
  name: string
  category: string
  description: string | null
  variables: Json<Record<string, unknown>[]>
  variants: Json<Record<string, unknown>[]>
  created_at: Time
  updated_at: Time
}

/** Every version of a flow's definition, kept for the contacts still running it. */
export interface FlowVersionsTable {
  flow_id: string
  version: number
  definition: Json<Record<string, unknown>>
  created_at: Time
}

/** A conversation's place in a flow (one row per conversation: its last flow). */
export interface FlowSessionsTable {
  conversation_id: string
  account_id: string
  contact_id: string
  phone: string
  flow_id: string
  flow_version: number
  step_id: string
  vars: Json<Record<string, unknown>>
  retries: number
  status: 'active' | 'ended'
  end_reason: string | null
  turn: number
  reminded: Flag
  last_message_id: string | null
  outbox: Json<Array<{ key: string; content: Record<string, unknown> }>>
  started_at: Time
  updated_at: Time
  expires_at: NullableTime
}

/** A machine translation, kept so that the same text is translated once per language pair. */
export interface TranslationsTable {
  /** Hex sha256 of the source text. */
  text_hash: string
  /** The source language asked for, or 'auto'. */
  source: string
  target: string
  translated: string
  /** The source language the provider detected, when it was asked to. */
  detected_source: string | null
  created_at: Time
}

/** An `Idempotency-Key` of the API and the message it created, kept 24 hours at least. */
export interface IdempotencyKeysTable {
  scope: string
  key: string
  request_hash: string
  message_id: string
  created_at: Time
  expires_at: Time
}

/** An account's sending state: a pause after a provider's block, its circuit breaker. */
export interface AccountSendingTable {
  account_id: string
  paused_until: NullableTime
  pause_reason: string | null
  breaker_state: string
  breaker_failures: number
  breaker_opened_at: NullableTime
  breaker_probe_at: NullableTime
  updated_at: Time
}

/** New conversations an account opened on one of its days (the warm-up cap). */
export interface AccountDailySendsTable {
  account_id: string
  day: string
  new_conversations: number
}

export interface CampaignsTable {
  id: string
  name: string
  status: string
  status_reason: string | null
  spec: Json<Record<string, unknown>>
  origin: ColumnType<string, string | undefined, string>
  schedule_id: string | null
  start_at: NullableTime
  total: ColumnType<number, number | undefined, number>
  excluded: Json<Record<string, number>>
  created_at: Time
  updated_at: Time
  started_at: NullableTime
  finished_at: NullableTime
}

/** One recipient of a campaign, stored when the campaign starts. */
export interface CampaignRecipientsTable {
  campaign_id: string
  /** Its place in the audience, from 1: the recipient's id within the campaign. */
  seq: number
  contact_id: string | null
  phone: string
  account_id: string | null
  language: string | null
  timezone: string | null
  vars: Json<Record<string, string>> | null
  state: string
  reason: string | null
  message_id: string | null
  not_before: Time
  updated_at: Time
  queued_at: NullableTime
  sent_at: NullableTime
  delivered_at: NullableTime
  read_at: NullableTime
  replied_at: NullableTime
}

export interface SchedulesTable {
  id: string
  name: string
  account_id: string
  target: Json<Record<string, unknown>>
  message: Json<Record<string, unknown>>
  kind: string
  cron: string | null
  at: string | null
  timezone: string
  missed_policy: string
  status: string
  next_run_at: NullableTime
  last_run_at: NullableTime
  runs: ColumnType<number, number | undefined, number>
  created_by: string | null
  created_at: Time
  updated_at: Time
}

export interface ScheduleRunsTable {
  id: string
  schedule_id: string
  scheduled_for: Time
  status: string
  detail: Json<Record<string, unknown>> | null
  message_id: string | null
  campaign_id: string | null
  error: Json<{ code: string; message: string }> | null
  created_at: Time
  finished_at: NullableTime
}

export interface Database {
  accounts: AccountsTable
  contacts: ContactsTable
  contact_tags: ContactTagsTable
  contact_attributes: ContactAttributesTable
  contact_attribute_values: ContactAttributeValuesTable
  segments: SegmentsTable
  conversations: ConversationsTable
  messages: MessagesTable
  jobs: JobsTable
  api_keys: ApiKeysTable
  users: UsersTable
  user_accounts: UserAccountsTable
  sessions: SessionsTable
  user_links: UserLinksTable
  login_throttle: LoginThrottleTable
  rules: RulesTable
  bot_settings: BotSettingsTable
  bot_rule_fires: BotRuleFiresTable
  bot_reply_windows: BotReplyWindowsTable
  instance_settings: InstanceSettingsTable
  media: MediaTable
  baileys_auth: BaileysAuthTable
  baileys_messages: BaileysMessagesTable
  baileys_lids: BaileysLidsTable
  flows: FlowsTable
  flow_versions: FlowVersionsTable
  flow_sessions: FlowSessionsTable
  templates: TemplatesTable
  translations: TranslationsTable
  idempotency_keys: IdempotencyKeysTable
  account_sending: AccountSendingTable
  account_daily_sends: AccountDailySendsTable
  campaigns: CampaignsTable
  campaign_recipients: CampaignRecipientsTable
  schedules: SchedulesTable
  schedule_runs: ScheduleRunsTable
}

export type Db = Kysely<Database>
export type Trx = Transaction<Database>
/** Anything that runs queries: the db or an open transaction. */
export type Executor = Kysely<Database>

export type Dialect = 'sqlite' | 'postgres'

/** Reads a JSON column: PostgreSQL hands back objects, SQLite hands back text. */
export function fromJson<T>(value: T | string | null): T | null {
  if (value === null) return null
  return typeof value === 'string' ? (JSON.parse(value) as T) : value
}

export function toJson(value: unknown): string {
  return JSON.stringify(value)
}

export function nowIso(): string {
  return new Date().toISOString()
}
