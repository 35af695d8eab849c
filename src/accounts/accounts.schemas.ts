import { z } from 'zod'
import { connectionStates, transportKinds } from '../transports/index.js'
import { sandboxSettingsSchema } from '../transports/sandbox/index.js'

export const uncertainPolicies = ['mark', 'resend'] as const

/** Per-account settings, validated on every write. */
export const accountSettingsSchema = z.object({
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

export const accountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    transport: z.enum(transportKinds),
    state: z.enum(connectionStates),
    stateReason: z.string().nullable(),
    settings: accountSettingsSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Account' })

export type Account = z.output<typeof accountSchema>

const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')

export const createAccountBody = z.object({
  name,
  transport: z.literal('sandbox', {
    error: 'must be "sandbox" (the cloud and baileys transports are not available yet)',
  }),
  settings: accountSettingsSchema.partial().optional(),
})

export type CreateAccountInput = z.output<typeof createAccountBody>

/**
 * A change to an account's settings: only the keys given change. (`partial()` would fill in
 * every default, so changing one setting would reset all the others.)
 */
const sandboxShape = sandboxSettingsSchema.shape
export const accountSettingsChange = z.object({
  sendRatePerSecond: accountSettingsSchema.shape.sendRatePerSecond.unwrap().optional(),
  uncertainPolicy: accountSettingsSchema.shape.uncertainPolicy.unwrap().optional(),
  sandbox: z
    .object({
      sendLatencyMs: sandboxShape.sendLatencyMs.unwrap().optional(),
      deliveredAfterMs: sandboxShape.deliveredAfterMs.unwrap().optional(),
      readAfterMs: sandboxShape.readAfterMs.unwrap().optional(),
      failureRate: sandboxShape.failureRate.unwrap().optional(),
    })
    .optional(),
})

export const updateAccountBody = z
  .object({ name, settings: accountSettingsChange })
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')

export type UpdateAccountInput = z.output<typeof updateAccountBody>
