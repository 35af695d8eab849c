import { z } from 'zod'

/** Per-account behaviour of the simulated network. */
export const sandboxSettingsSchema = z.object({
  /** Delay before the virtual phone acknowledges a send. */
  sendLatencyMs: z.number().int().min(0).max(60_000).default(0),
  /** Delay from sent to delivered; null: never delivered. */
  deliveredAfterMs: z.number().int().min(0).max(600_000).nullable().default(300),
  /** Delay from delivered to read; null: never read. */
  readAfterMs: z.number().int().min(0).max(600_000).nullable().default(1200),
  /** Share of sends that fail (0 to 1). */
  failureRate: z.number().min(0).max(1).default(0),
  /** Numbers (E.164) the simulated network says are not on WhatsApp; all others are. */
  notOnWhatsApp: z
    .array(
      z.string().regex(/^\+[1-9]\d{5,14}$/, 'must be a phone number in E.164, e.g. +15550001111'),
    )
    .max(1000)
    .default([]),
})

export type SandboxSettings = z.output<typeof sandboxSettingsSchema>
