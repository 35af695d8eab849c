import { z } from 'zod'
import { commonErrors, idParams, type App } from '../http/types.js'
import type { ApiKeysService } from './api-keys.service.js'
import { principalOf } from './principal.js'
import { apiKeySchema, createApiKeyBody } from './users.schemas.js'

export function apiKeysRoutes(keys: ApiKeysService) {
  return async function register(app: App): Promise<void> {
    const tags = ['team']

    app.get(
      '/api-keys',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'List API keys (by prefix; values are never shown again)',
          description: "Your own keys; admins see everyone's (or one user's with `userId`).",
          querystring: z.object({ userId: z.string().min(1).max(64).optional() }),
          response: {
            200: z.object({ items: z.array(apiKeySchema), nextCursor: z.null() }),
            ...commonErrors,
          },
        },
      },
      async (req) => ({
        items: await keys.list(principalOf(req), { userId: req.query.userId }),
        nextCursor: null,
      }),
    )

    app.post(
      '/api-keys',
      {
        // Anyone signed in makes keys for themselves; a key makes keys only with the admin scope.
        config: { minRole: 'viewer', scope: 'admin' },
        schema: {
          tags,
          summary: 'Create an API key for yourself; its value is in this answer only',
          description:
            "The key acts for the caller, with a role no higher than the caller's and scopes (`read`: GET routes, `write`: changes, `admin`: admin routes) no wider than that role allows.",
          body: createApiKeyBody,
          response: { 201: apiKeySchema.extend({ key: z.string() }), ...commonErrors },
        },
      },
      async (req, reply) => {
        const { record, key } = await keys.createFor(principalOf(req), req.body)
        return reply.code(201).send({ ...record, key })
      },
    )

    app.delete(
      '/api-keys/:id',
      {
        config: { minRole: 'viewer', scope: 'admin' },
        schema: {
          tags,
          summary: 'Revoke an API key (yours; admins: anyone’s up to their role)',
          params: idParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        await keys.revoke(principalOf(req), req.params.id)
        return reply.code(204).send(null)
      },
    )
  }
}
