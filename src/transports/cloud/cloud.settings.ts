import { z } from 'zod'

/**
 * One Cloud API account: the business phone number Linda sends from and the secrets Meta
 * gave for it. `accessToken` and `appSecret` are secrets: the account layer stores them
 * encrypted and never returns them.
 */
export const cloudSettingsSchema = z.object({
  /** The business phone number's id in the Graph API (not the phone number itself). */
  phoneNumberId: z.string().regex(/^\d{1,32}$/, 'a phone number id is digits'),
  /** The WhatsApp Business Account id; webhooks carry it as `entry[].id`. */
  wabaId: z
    .string()
    .regex(/^\d{1,32}$/, 'a WhatsApp Business Account id is digits')
    .optional(),
  /** A system-user access token with `whatsapp_business_messaging`. */
  accessToken: z.string().min(1),
  /** The Meta app's secret: the key of every webhook's `X-Hub-Signature-256`. */
  appSecret: z.string().min(1),
  /** What Meta must echo in `hub.verify_token` when it verifies the webhook URL. */
  verifyToken: z.string().min(1),
  /** The Graph API origin; a test points it at a fake server. */
  graphBaseUrl: z
    .url({ protocol: /^https?$/ })
    .default('https://graph.facebook.com')
    .transform((url) => url.replace(/\/+$/, '')),
  /** The Graph API version every request names, e.g. `v21.0`. */
  apiVersion: z
    .string()
    .regex(/^v\d+\.\d+$/, 'a Graph API version looks like v21.0')
    .default('v21.0'),
})

export type CloudSettings = z.output<typeof cloudSettingsSchema>
export type CloudSettingsInput = z.input<typeof cloudSettingsSchema>
