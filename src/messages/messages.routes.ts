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
import { accountSchema, type AccountsService } from '../accounts/index.js'
import { AppError } from '../platform/errors.js'
import { principalOf } from '../users/index.js'
import { listMessagesQuery, messageSchema, sendMessageBody } from './messages.schemas.js'
import type { MessagesService } from './messages.service.js'

export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200, 'must be at most 200 characters').optional().meta({
    description:
      'Sending the same request again with the same key (within 24 hours) answers the first message and never sends twice; the same key with a different request is a 409',
  }),
})

export function messagesRoutes(messages: MessagesService, accounts: AccountsService) {
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
            "Stores the message as `queued` and returns at once; the sender hands it to the account's transport within its limits. Follow its status with GET /messages/{id} or the event stream. A contact who opted out gets only `transactional` messages. Answering a contact's message (`replyTo`) marks it read.",
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
        const key = req.headers['idempotency-key']
        const { message } = await messages.send(req.body, {
          origin: 'api',
          ...(key === undefined
            ? {}
            : { requestKey: { scope: req.principal?.keyId ?? 'anonymous', key } }),
        })
        return reply.code(202).send({ id: message.id, status: message.status })
      },
    )

    app.post(
      '/messages/:id/retry',
      {
        schema: {
          tags,
          summary: 'Send a failed or uncertain message again',
          description:
            'Queues the outbound message again with its attempts renewed (its `error` says why it failed). Asking again while it is queued or on its way changes nothing and answers the same. A message already sent is a 409.',
          params: idParams,
          response: {
            202: z.object({ id: z.string(), status: messageSchema.shape.status }),
            ...commonErrors,
            409: problemSchema,
          },
        },
      },
      async (req, reply) => {
        const found = await messages.get(req.params.id)
        if (!principalOf(req).canAccessAccount(found.accountId)) {
          throw new AppError('MESSAGE_NOT_FOUND', `No message has the id ${req.params.id}`)
        }
        const message = await messages.retry(req.params.id)
        return reply.code(202).send({ id: message.id, status: message.status })
      },
    )

    app.post(
      '/accounts/:id/resume-sending',
      {
        config: { minRole: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: "Resume an account's sending",
          description:
            "Lifts a pause (after the provider throttled or blocked the number) and closes the circuit breaker: the account's waiting messages go out again, within its limits, in the next seconds. Answers the account with `health.sending`.",
          params: idParams,
          response: { 200: accountSchema, ...commonErrors },
        },
      },
      async (req) => {
        await messages.resumeSending(req.params.id)
        return accounts.getWithHealth(req.params.id)
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
