import { z } from 'zod'
import type { AccountsService } from '../accounts/index.js'
import { normalizePhone } from '../contacts/index.js'
import { commonErrors, pageOf, problemSchema, type App } from '../http/types.js'
import { messageSchema, phoneInput } from './messages.schemas.js'
import type { MessagesService } from './messages.service.js'

const params = z.object({ accountId: z.string().min(1).max(64) })

export const sandboxInboundBody = z.object({
  from: phoneInput,
  text: z
    .string()
    .min(1, 'must not be empty')
    .max(4096, 'must be at most 4096 characters (the WhatsApp limit)'),
  id: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .meta({ description: 'The message id on the simulated network; resending one is a no-op' }),
  group: z
    .object({
      id: z.string().min(1).max(128),
      mentionsAccount: z.boolean().default(false),
    })
    .optional()
    .meta({ description: 'Write in this (simulated) group chat, mentioning the account or not' }),
})

export function sandboxRoutes(accounts: AccountsService, messages: MessagesService) {
  return async function register(app: App): Promise<void> {
    const tags = ['sandbox']

    app.post(
      '/sandbox/:accountId/inbound',
      {
        config: { minRole: 'agent' },
        schema: {
          tags,
          summary: 'A virtual contact writes to a sandbox account',
          params,
          body: sandboxInboundBody,
          response: {
            202: z.object({ id: z.string(), duplicate: z.boolean() }),
            ...commonErrors,
            409: problemSchema,
            422: problemSchema,
          },
        },
      },
      async (req, reply) => {
        const sandbox = await accounts.sandbox(req.params.accountId)
        const from = normalizePhone(req.body.from, 'body.from')
        const result = await sandbox.receive({
          from,
          text: req.body.text,
          id: req.body.id,
          ...(req.body.group ? { group: req.body.group } : {}),
        })
        return reply.code(202).send({ id: result.messageId, duplicate: result.duplicate })
      },
    )

    app.get(
      '/sandbox/:accountId/outbox',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'What virtual contacts received from a sandbox account, newest first',
          params,
          querystring: z.object({
            to: phoneInput.optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: { 200: pageOf(messageSchema), ...commonErrors, 409: problemSchema },
        },
      },
      async (req) => {
        await accounts.sandbox(req.params.accountId)
        const items = await messages.list({
          accountId: req.params.accountId,
          direction: 'out',
          phone: req.query.to,
          limit: req.query.limit,
        })
        return { items, nextCursor: null }
      },
    )
  }
}
