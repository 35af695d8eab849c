import { z } from 'zod'
import {
  commonErrors,
  decodeCursor,
  idParams,
  pageOf,
  problemSchema,
  toPage,
  type App,
} from '../http/types.js'
import { AppError } from '../platform/errors.js'
import { principalOf } from '../users/index.js'
import { listMessagesQuery, messageSchema, sendMessageBody } from './messages.schemas.js'
import type { MessagesService } from './messages.service.js'

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200, 'must be at most 200 characters')
    .optional()
    .meta({ description: 'Retrying with the same key never sends twice' }),
})

export function messagesRoutes(messages: MessagesService) {
  return async function register(app: App): Promise<void> {
    const tags = ['messages']

    app.post(
      '/messages',
      {
        config: { minRole: 'agent' },
        schema: {
          tags,
          summary: 'Send a message',
          description:
            "Stores the message as `queued` and returns at once; the sender hands it to the account's transport within its rate limit. Follow its status with GET /messages/{id} or the event stream.",
          headers: idempotencyHeaders,
          body: sendMessageBody,
          response: {
            202: z.object({ id: z.string(), status: messageSchema.shape.status }),
            ...commonErrors,
            409: problemSchema,
            422: problemSchema,
          },
        },
      },
      async (req, reply) => {
        const { message } = await messages.send(req.body, {
          idempotencyKey: req.headers['idempotency-key'],
        })
        return reply.code(202).send({ id: message.id, status: message.status })
      },
    )

    app.get(
      '/messages',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'List messages, newest first',
          querystring: listMessagesQuery,
          response: { 200: pageOf(messageSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { cursor, limit, ...filter } = req.query
        const rows = await messages.list({
          ...filter,
          accountIds: principalOf(req).accountIds,
          limit: limit + 1,
          before: decodeCursor(cursor),
        })
        return toPage(rows, limit)
      },
    )

    app.get(
      '/messages/:id',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'Get a message',
          params: idParams,
          response: { 200: messageSchema, ...commonErrors },
        },
      },
      async (req) => {
        const message = await messages.get(req.params.id)
        if (!principalOf(req).canAccessAccount(message.accountId)) {
          throw new AppError('MESSAGE_NOT_FOUND', `No message has the id ${req.params.id}`)
        }
        return message
      },
    )
  }
}
