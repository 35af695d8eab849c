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
  idempotency_key: string | null
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
  flows: FlowsTable
  flow_versions: FlowVersionsTable
  flow_sessions: FlowSessionsTable
  templates: TemplatesTable
  translations: TranslationsTable
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
