import { z } from 'zod'
import { PASSWORD_MAX_LENGTH } from './passwords.js'
import { availabilities, roles, scopes } from './roles.js'
import { userKinds, userStatuses } from './users.repo.js'

const email = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be an email address'))
  .meta({ example: 'aisha@example.com' })
const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
const accountIds = z
  .array(z.string().min(1).max(64))
  .max(500)
  .meta({ description: 'The accounts an agent or viewer may see; admins and owners see all' })
const password = z
  .string()
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
const token = z.string().min(1).max(200)

export const userSchema = z
  .object({
    id: z.string(),
    kind: z.enum(userKinds).meta({
      description: '`service`: the built-in user that owns the keys of scripts; it never signs in',
    }),
    email: z.string().nullable(),
    name: z.string(),
    role: z.enum(roles),
    availability: z.enum(availabilities),
    status: z.enum(userStatuses),
    accountIds: z.array(z.string()),
    lastSignInAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'User' })

export const inviteUserBody = z.strictObject({
  email,
  name,
  role: z.enum(roles),
  accountIds: accountIds.optional(),
})

export const updateUserBody = z
  .strictObject({
    name: name.optional(),
    role: z.enum(roles).optional(),
    availability: z.enum(availabilities).optional(),
    accountIds: accountIds.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')

/** A one-time link, with its URL: shown to the admin who made it, to hand to the person. */
export const linkSchema = z
  .object({
    url: z.string().meta({ description: 'Works once, until expiresAt' }),
    kind: z.enum(['setup', 'invite', 'reset']),
    expiresAt: z.string(),
  })
  .meta({ id: 'OneTimeLink' })

export const loginBody = z.strictObject({
  email: z.string().trim().min(1, 'must not be empty').max(254),
  password: z.string().min(1, 'must not be empty').max(PASSWORD_MAX_LENGTH),
})

export const setupCheckBody = z.strictObject({ token })

export const setupBody = z.strictObject({
  token,
  email: email.optional().meta({ description: 'Required for a setup link; ignored otherwise' }),
  name: name.optional(),
  password,
})

export const linkInfoSchema = z.object({
  kind: z.enum(['setup', 'invite', 'reset']),
  role: z.enum(roles),
  email: z.string().nullable(),
  name: z.string().nullable(),
})

export const meSchema = z
  .object({
    user: userSchema,
    via: z.enum(['session', 'apiKey']),
    role: z
      .enum(roles)
      .meta({ description: 'The role in force (a key may have less than its user)' }),
    scopes: z.array(z.enum(scopes)),
    csrfToken: z
      .string()
      .nullable()
      .meta({ description: 'For a session: send it as X-CSRF-Token on unsafe requests' }),
  })
  .meta({ id: 'Me' })

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: 'The first characters of the key, to tell keys apart' }),
    role: z.enum(roles).meta({ description: "The most the key may do; its user's role caps it" }),
    scopes: z.array(z.enum(scopes)),
    userId: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' })

export const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  role: z
    .enum(roles)
    .optional()
    .meta({ description: "Default: the caller's role. Never above it" }),
  scopes: z
    .array(z.enum(scopes))
    .min(1, 'must hold at least one scope')
    .optional()
    .meta({ description: 'Default: every scope the role allows (read, write, admin)' }),
})
