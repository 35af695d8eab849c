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
})

export type SandboxSettings = z.output<typeof sandboxSettingsSchema>
