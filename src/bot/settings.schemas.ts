import { z } from 'zod'
import { languages } from '../i18n/index.js'

/**
 * Opt-out keywords by language: a message that is one of them (case and accents aside).
 * Not "cancel"/"cancelar": people write it about an order or a flow, not to unsubscribe.
 */
export const defaultStopKeywords: Record<string, string[]> = {
  en: ['STOP', 'UNSUBSCRIBE', 'STOP ALL', 'OPT OUT'],
  es: ['BAJA', 'DETENER'],
  fr: ['ARRÊT', 'ARRET', 'DÉSABONNER'],
  pt: ['PARAR', 'SAIR'],
  ar: ['توقف', 'إيقاف', 'الغاء الاشتراك'],
}

/** Opt-in keywords by language: they undo an opt-out. */
export const defaultStartKeywords: Record<string, string[]> = {
  en: ['START', 'SUBSCRIBE', 'UNSTOP'],
  es: ['ALTA', 'SUSCRIBIR'],
  fr: ['DÉBUT', 'ABONNER'],
  pt: ['VOLTAR', 'ASSINAR'],
  ar: ['ابدأ', 'اشتراك'],
}

const keyword = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(50, 'must be at most 50 characters')
const keywordsByLanguage = z.record(
  z.string().regex(/^[a-z]{2,3}$/, 'must be a language code such as en'),
  z.array(keyword).max(20, 'must list at most 20 keywords'),
)

const e164 = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164 form, e.g. +15550001111')

/**
 * The bot's settings. Each is read from the account's bot settings, else the instance's,
 * else its default here.
 */
export const botSettingsSchema = z.object({
  /** What starts a command. */
  commandPrefix: z
    .string()
    .regex(/^[^\s\p{L}\p{N}]{1,3}$/u, 'must be 1 to 3 symbols, e.g. ! or /')
    .default('!'),
  /** The language of the bot's own texts for contacts whose language is not known. */
  defaultLanguage: z.enum(languages).default('en'),
  /** Opt-out (STOP) and opt-in (START) keywords, by language. */
  optOut: z
    .object({
      enabled: z.boolean().default(true),
      stopKeywords: keywordsByLanguage.default(defaultStopKeywords),
      startKeywords: keywordsByLanguage.default(defaultStartKeywords),
    })
    .prefault({}),
  /** Sent when nothing else answers a message; null: stay silent. */
  fallbackReply: z.string().min(1).max(4096).nullable().default(null),
  /** Automatic replies one conversation may get in a minute: stops bot-to-bot loops. */
  maxAutoRepliesPerMinute: z.number().int().min(1).max(1000).default(10),
  /** Numbers (E.164) of the team, for commands with the `team` permission. */
  teamNumbers: z.array(e164).max(500).default([]),
  /** Group chats the bot answers in, and when. */
  groups: z
    .object({
      /** Ids of the groups the bot may answer in; none by default. */
      enabled: z.array(z.string().min(1).max(128)).max(1000).default([]),
      /** `mentioned`: only when the message mentions the account or is a command. */
      replyWhen: z.enum(['mentioned', 'always']).default('mentioned'),
    })
    .prefault({}),
})

export type BotSettings = z.output<typeof botSettingsSchema>

/** A change to the bot settings of a scope: only the keys given change; null removes one. */
export const botSettingsInput = z.strictObject({
  commandPrefix: botSettingsSchema.shape.commandPrefix.unwrap().nullable().optional(),
  defaultLanguage: z.enum(languages).nullable().optional(),
  optOut: z
    .strictObject({
      enabled: z.boolean().optional(),
      stopKeywords: keywordsByLanguage.optional(),
      startKeywords: keywordsByLanguage.optional(),
    })
    .nullable()
    .optional(),
  fallbackReply: z.string().trim().min(1).max(4096).nullable().optional(),
  maxAutoRepliesPerMinute: z.number().int().min(1).max(1000).nullable().optional(),
  teamNumbers: z.array(e164).max(500).nullable().optional(),
  groups: z
    .strictObject({
      enabled: z.array(z.string().trim().min(1).max(128)).max(1000).optional(),
      replyWhen: z.enum(['mentioned', 'always']).optional(),
    })
    .nullable()
    .optional(),
})

export type BotSettingsInput = z.output<typeof botSettingsInput>

/** The keys a scope sets, as stored. */
export type StoredBotSettings = Partial<Record<keyof BotSettings, unknown>>

/** Applies a change to a scope's stored settings: objects merge one level deep, null removes. */
export function applySettingsChange(
  stored: StoredBotSettings,
  change: BotSettingsInput,
): StoredBotSettings {
  const next: Record<string, unknown> = { ...stored }
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) continue
    if (value === null) delete next[key]
    else if (typeof value === 'object' && !Array.isArray(value)) {
      next[key] = { ...(next[key] as object | undefined), ...value }
    } else next[key] = value
  }
  return next
}

/** The settings in force: the account's keys over the instance's over the defaults. */
export function effectiveSettings(
  instance: StoredBotSettings,
  account: StoredBotSettings,
): BotSettings {
  const merged: Record<string, unknown> = { ...instance }
  for (const [key, value] of Object.entries(account)) {
    const base = merged[key]
    merged[key] =
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      base &&
      typeof base === 'object'
        ? { ...base, ...value }
        : value
  }
  const parsed = botSettingsSchema.safeParse(merged)
  // Stored settings were checked when written; a key a later version no longer reads
  // falls back to its default rather than stopping the bot.
  return parsed.success ? parsed.data : botSettingsSchema.parse({})
}

export const botSettingsView = z
  .object({
    scope: z.string().meta({ description: '`instance`, or the account id' }),
    settings: z.record(z.string(), z.unknown()).meta({ description: 'The keys set at this scope' }),
    effective: botSettingsSchema.meta({
      description: 'The settings in force here (account over instance over defaults)',
    }),
  })
  .meta({ id: 'BotSettings' })
