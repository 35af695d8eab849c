import { z } from 'zod'
import {
  commonErrors,
  decodeCursor,
  idParams,
  pageOf,
  pageQuery,
  problemSchema,
  toPage,
  type App,
} from '../http/types.js'
import { linkUrl } from './links.js'
import { principalOf } from './principal.js'
import { inviteUserBody, linkSchema, updateUserBody, userSchema } from './users.schemas.js'
import type { UsersService } from './users.service.js'

/** The team: list, invite, change, disable; links to set a password; revoking sessions. */
export function usersRoutes(users: UsersService, options: { publicUrl?: string } = {}) {
  return async function register(app: App): Promise<void> {
    const tags = ['team']

    app.get(
      '/users',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'List the team',
          querystring: pageQuery,
          response: { 200: pageOf(userSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor } = req.query
        return toPage(await users.list({ limit: limit + 1, after: decodeCursor(cursor) }), limit)
      },
    )

    app.post(
      '/users',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Invite a person',
          description:
            'The user exists at once, `invited`, until they open the link (valid 7 days, works once) and choose a password. Linda sends no email: hand the link over. Nobody invites a role above their own.',
          body: inviteUserBody,
          response: {
            201: z.object({ user: userSchema, link: linkSchema }),
            ...commonErrors,
            409: problemSchema,
          },
        },
      },
      async (req, reply) => {
        const { user, link } = await users.invite(principalOf(req), req.body)
        return reply.code(201).send({ user, link: linkUrl(options.publicUrl, link, req) })
      },
    )

    app.get(
      '/users/:id',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'Get a user',
          params: idParams,
          response: { 200: userSchema, ...commonErrors },
        },
      },
      async (req) => users.get(req.params.id),
    )

    app.patch(
      '/users/:id',
      {
        config: { minRole: 'agent' },
        schema: {
          tags,
          summary: 'Change a user',
          description:
            'Anyone changes their own `name` and `availability`; admins change other users (not above their own role) and their `role` and `accountIds`. The last owner stays an owner.',
          params: idParams,
          body: updateUserBody,
          response: { 200: userSchema, ...commonErrors, 409: problemSchema },
        },
      },
      async (req) => users.update(principalOf(req), req.params.id, req.body),
    )

    app.post(
      '/users/:id/disable',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Disable a user',
          description:
            'They can no longer sign in; their sessions end and their API keys stop working.',
          params: idParams,
          response: { 200: userSchema, ...commonErrors, 409: problemSchema },
        },
      },
      async (req) => users.disable(principalOf(req), req.params.id),
    )

    app.post(
      '/users/:id/enable',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Enable a disabled user',
          params: idParams,
          response: { 200: userSchema, ...commonErrors },
        },
      },
      async (req) => users.enable(principalOf(req), req.params.id),
    )

    app.post(
      '/users/:id/link',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'A new invite link, or a password-reset link',
          description:
            'An invite link again for someone who has not set a password yet, else a password-reset link (valid 1 hour). Earlier links of the user stop working.',
          params: idParams,
          response: { 201: linkSchema, ...commonErrors, 409: problemSchema },
        },
      },
      async (req, reply) => {
        const { link } = await users.linkFor(principalOf(req), req.params.id)
        return reply.code(201).send(linkUrl(options.publicUrl, link, req))
      },
    )

    app.delete(
      '/users/:id/sessions',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'End every session of a user (their API keys are not affected)',
          params: idParams,
          response: { 200: z.object({ revoked: z.number().int() }), ...commonErrors },
        },
      },
      async (req) => ({ revoked: await users.revokeSessions(principalOf(req), req.params.id) }),
    )
  }
}
