import { getCountries } from 'libphonenumber-js/min'
import { z } from 'zod'
import { normalizePhone } from '../contacts/index.js'
import { AppError } from '../platform/errors.js'
import { connectionStates, transportKinds } from '../transports/index.js'
import { sandboxSettingsSchema } from '../transports/sandbox/index.js'

export const uncertainPolicies = ['mark', 'resend'] as const

/** Country codes libphonenumber-js has numbering plans for (ISO 3166-1 alpha-2, e.g. AE). */
const countryCodes = z.enum(getCountries(), {
  error: 'must be an ISO 3166-1 alpha-2 country code with phone numbers, e.g. AE',
})

/**
 * Per-account settings as stored and returned, each with its default. Values are checked
 * when they are written (`accountSettingsInput`); reading them back only fills in the
 * defaults of settings added since.
 */
export const accountSettingsSchema = z.object({
  /** The name the account shows to people (e.g. in messages it signs); null: none. */
  displayName: z.string().nullable().default(null),
  /** Where a phone number written without a country code is read; null: numbers need one. */
  defaultCountry: countryCodes.nullable().default(null),
  /** IANA time zone of the account's business hours and schedules. */
  timezone: z.string().default('UTC'),
  /**
   * The language (BCP 47, e.g. `en`, `pt-BR`) templates fall back to when a contact's own
   * language has no variant; null: English, then the template's first variant.
   */
  defaultLanguage: z.string().nullable().default(null),
  /** Numbers (E.164) allowed to run admin commands from WhatsApp. */
  adminNumbers: z.array(z.string()).default([]),
  /** Sends per second this account may make; null: no limit. */
  sendRatePerSecond: z.number().positive().max(1000).nullable().default(null),
  /**
   * A send cut short by a crash may or may not have reached WhatsApp: `mark` leaves it
   * `uncertain` for a person to decide, `resend` sends it again.
   */
  uncertainPolicy: z.enum(uncertainPolicies).default('mark'),
  sandbox: sandboxSettingsSchema.prefault({}),
})

export type AccountSettings = z.output<typeof accountSettingsSchema>

// ---- what a Cloud API or WhatsApp Web account is, without its secrets ----

/** The public part of a Cloud API account's credentials: shown, never secret. */
export const cloudAccountSchema = z.object({
  phoneNumberId: z.string(),
  wabaId: z.string().nullable(),
  graphBaseUrl: z.string(),
  apiVersion: z.string(),
  /** The access token, app secret and verify token are stored (encrypted), never shown. */
  hasAccessToken: z.boolean(),
  hasAppSecret: z.boolean(),
  hasVerifyToken: z.boolean(),
})

export const baileysAccountSchema = z.object({
  /** The phone number (E.164) to link as a WhatsApp Web device. */
  phone: z.string(),
})

export const accountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    transport: z.enum(transportKinds),
    state: z.enum(connectionStates),
    stateReason: z.string().nullable(),
    settings: accountSettingsSchema,
    /** Cloud API accounts only. */
    cloud: cloudAccountSchema.optional(),
    /** WhatsApp Web accounts only. */
    baileys: baileysAccountSchema.optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Account' })

export type Account = z.output<typeof accountSchema>

export const pairingSchema = z
  .object({
    state: z.enum(connectionStates),
    /** While linking by QR: the QR code's content (render it as a QR code). */
    qr: z.string().optional(),
    /** While linking by pairing code: the code to type on the phone. */
    pairingCode: z.string().optional(),
  })
  .meta({ id: 'AccountPairing' })

export type Pairing = z.output<typeof pairingSchema>

// ---- input: every value checked and normalised before it is stored ----

/** A phone number normalised to E.164, or an issue saying what is wrong with it. */
const phoneInput = z.string().transform((value, ctx) => {
  try {
    return normalizePhone(value, '')
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    ctx.addIssue({ code: 'custom', message: err.errors?.[0]?.message ?? err.message })
    return z.NEVER
  }
})

/** Node's time zone names by their lower case, to put a name in its usual spelling. */
let zonesByLowerCase: Map<string, string> | undefined

/**
 * The IANA name of a time zone Node knows, spelt as usual (`asia/dubai` → `Asia/Dubai`);
 * undefined if there is none. Aliases (`UTC`, `Asia/Kolkata`) stay as they were given:
 * ICU's canonical names are sometimes the older ones.
 */
function timeZoneName(name: string): string | undefined {
  // Offsets (`+04:00`) are not IANA names, whatever Intl accepts.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return undefined
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name })
  } catch {
    return undefined
  }
  zonesByLowerCase ??= new Map(
    Intl.supportedValuesOf('timeZone').map((zone) => [zone.toLowerCase(), zone]),
  )
  return zonesByLowerCase.get(name.toLowerCase()) ?? name
}

const timezoneInput = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const zone = timeZoneName(value)
    if (zone) return zone
    ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone name, e.g. Asia/Dubai' })
    return z.NEVER
  })

/** A BCP 47 language tag in its canonical spelling (`PT-br` → `pt-BR`). */
const languageInput = z
  .string()
  .trim()
  .max(35, 'must be at most 35 characters')
  .transform((value, ctx) => {
    try {
      const [tag] = Intl.getCanonicalLocales(value)
      if (tag) return tag
    } catch {
      // Not a language tag: the issue below says so.
    }
    ctx.addIssue({ code: 'custom', message: 'must be a BCP 47 language tag, e.g. en or pt-BR' })
    return z.NEVER
  })

const adminNumbersInput = z
  .array(phoneInput)
  .max(100, 'must list at most 100 numbers')
  .transform((numbers) => [...new Set(numbers)])

const settingsShape = accountSettingsSchema.shape
const sandboxShape = sandboxSettingsSchema.shape

/**
 * Settings given on create or in a PATCH: only the keys given change. (`partial()` of the
 * stored schema would fill in every default, so changing one setting would reset the
 * others.) Unknown keys are refused, so a misspelt setting is not silently ignored.
 */
export const accountSettingsInput = z.strictObject({
  displayName: z
    .string()
    .trim()
    .min(1, 'must not be empty (null removes it)')
    .max(100, 'must be at most 100 characters')
    .nullable()
    .optional(),
  defaultCountry: z.string().trim().toUpperCase().pipe(countryCodes).nullable().optional(),
  timezone: timezoneInput.optional(),
  defaultLanguage: languageInput.nullable().optional(),
  adminNumbers: adminNumbersInput.optional(),
  sendRatePerSecond: settingsShape.sendRatePerSecond.unwrap().optional(),
  uncertainPolicy: settingsShape.uncertainPolicy.unwrap().optional(),
  sandbox: z
    .strictObject({
      sendLatencyMs: sandboxShape.sendLatencyMs.unwrap().optional(),
      deliveredAfterMs: sandboxShape.deliveredAfterMs.unwrap().optional(),
      readAfterMs: sandboxShape.readAfterMs.unwrap().optional(),
      failureRate: sandboxShape.failureRate.unwrap().optional(),
    })
    .optional(),
})

export type AccountSettingsInput = z.output<typeof accountSettingsInput>

const digits = (what: string) => z.string().regex(/^\d{1,32}$/, `must be digits (${what})`)
const secret = z.string().min(1, 'must not be empty').max(4096, 'is too long')

const cloudFields = {
  /** The business phone number's id in the Graph API (not the phone number itself). */
  phoneNumberId: digits("Meta's phone number id, not the phone number"),
  /** The WhatsApp Business Account id. */
  wabaId: digits('the WhatsApp Business Account id'),
  /** A system-user access token with `whatsapp_business_messaging`. Secret. */
  accessToken: secret,
  /** The Meta app's secret, the key of every webhook's `X-Hub-Signature-256`. Secret. */
  appSecret: secret,
  /** What Meta must echo in `hub.verify_token` when it verifies the webhook URL. Secret. */
  verifyToken: secret,
  /** The Graph API origin; a test points it at a fake server. */
  graphBaseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .transform((url) => url.replace(/\/+$/, '')),
  /** The Graph API version every request names, e.g. `v21.0`. */
  apiVersion: z.string().regex(/^v\d+\.\d+$/, 'must look like v21.0'),
}

/** A Cloud API account's credentials, as `POST /accounts` takes them. */
export const cloudCredentialsInput = z.strictObject({
  ...cloudFields,
  wabaId: cloudFields.wabaId.optional(),
  graphBaseUrl: cloudFields.graphBaseUrl.default('https://graph.facebook.com'),
  apiVersion: cloudFields.apiVersion.default('v21.0'),
})

/** A change to a Cloud API account's credentials: only the keys given change. */
export const cloudCredentialsChange = z.strictObject({
  phoneNumberId: cloudFields.phoneNumberId.optional(),
  wabaId: cloudFields.wabaId.nullable().optional(),
  accessToken: cloudFields.accessToken.optional(),
  appSecret: cloudFields.appSecret.optional(),
  verifyToken: cloudFields.verifyToken.optional(),
  graphBaseUrl: cloudFields.graphBaseUrl.optional(),
  apiVersion: cloudFields.apiVersion.optional(),
})

export const baileysCredentialsInput = z.strictObject({ phone: phoneInput })

const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')

const createCommon = { name, settings: accountSettingsInput.optional() }

export const createAccountBody = z.discriminatedUnion(
  'transport',
  [
    z.strictObject({ ...createCommon, transport: z.literal('sandbox') }),
    z.strictObject({
      ...createCommon,
      transport: z.literal('cloud'),
      cloud: cloudCredentialsInput,
    }),
    z.strictObject({
      ...createCommon,
      transport: z.literal('baileys'),
      baileys: baileysCredentialsInput,
    }),
  ],
  { error: () => 'must be "sandbox", "cloud" (with `cloud`) or "baileys" (with `baileys`)' },
)

export type CreateAccountInput = z.output<typeof createAccountBody>

export const updateAccountBody = z
  .strictObject({
    name: name.optional(),
    settings: accountSettingsInput.optional(),
    /** Cloud API accounts only: new credentials (e.g. a renewed access token). */
    cloud: cloudCredentialsChange.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')

export type UpdateAccountInput = z.output<typeof updateAccountBody>

export const deleteAccountQuery = z.object({
  /** Also delete the account's messages and conversations (contacts are shared and stay). */
  purge: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
})
