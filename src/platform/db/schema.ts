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
  tags: Json<string[]>
  attributes: Json<Record<string, unknown>>
  opted_out: Flag
  opted_out_at: NullableTime
  last_inbound_at: NullableTime
  last_outbound_at: NullableTime
  created_at: Time
  updated_at: Time
}

export interface ConversationsTable {
  id: string
  account_id: string
  contact_id: string
  status: string
  bot_paused: Flag
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
}

export interface RulesTable {
  id: string
  account_id: string | null
  name: string
  match: Json<Record<string, unknown>>
  actions: Json<Record<string, unknown>[]>
  priority: number
  enabled: Flag
  created_at: Time
  updated_at: Time
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

export interface Database {
  accounts: AccountsTable
  contacts: ContactsTable
  conversations: ConversationsTable
  messages: MessagesTable
  jobs: JobsTable
  api_keys: ApiKeysTable
  rules: RulesTable
  instance_settings: InstanceSettingsTable
  media: MediaTable
  baileys_auth: BaileysAuthTable
  baileys_messages: BaileysMessagesTable
  baileys_lids: BaileysLidsTable
  idempotency_keys: IdempotencyKeysTable
  account_sending: AccountSendingTable
  account_daily_sends: AccountDailySendsTable
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
