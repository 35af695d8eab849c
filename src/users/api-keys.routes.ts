import { z } from 'zod'
import { commonErrors, idParams, type App } from '../http/types.js'
import { AppError } from '../platform/errors.js'
import type { ApiKeysService } from './api-keys.service.js'
import { atLeast, roles } from './roles.js'

const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: 'The first characters of the key, to tell keys apart' }),
    role: z.enum(roles),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' })

export function apiKeysRoutes(keys: ApiKeysService) {
  return async function register(app: App): Promise<void> {
    const tags = ['team']
    const config = { minRole: 'admin' } as const

    app.get(
      '/api-keys',
      {
        config,
        schema: {
          tags,
          summary: 'List API keys (by prefix; values are never shown again)',
          response: {
            200: z.object({ items: z.array(apiKeySchema), nextCursor: z.null() }),
            ...commonErrors,
          },
        },
      },
      async () => ({
        items: (await keys.list()) as z.infer<typeof apiKeySchema>[],
        nextCursor: null,
      }),
    )

    app.post(
      '/api-keys',
      {
        config,
        schema: {
          tags,
          summary: 'Create an API key; its value is in this answer only',
          body: z.object({
            name: z.string().trim().min(1, 'must not be empty').max(100),
            role: z.enum(roles).default('owner'),
          }),
          response: { 201: apiKeySchema.extend({ key: z.string() }), ...commonErrors },
        },
      },
      async (req, reply) => {
        if (!req.principal || !atLeast(req.principal.role, req.body.role)) {
          throw new AppError(
            'FORBIDDEN',
            `An ${req.principal?.role ?? 'anonymous'} key cannot create ${req.body.role} keys`,
          )
        }
        const { record, key } = await keys.create(req.body.name, req.body.role)
        return reply.code(201).send({ ...(record as z.infer<typeof apiKeySchema>), key })
      },
    )

    app.delete(
      '/api-keys/:id',
      {
        config,
        schema: {
          tags,
          summary: 'Revoke an API key',
          params: idParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        await keys.revoke(req.params.id)
        return reply.code(204).send(null)
      },
    )
  }
}
