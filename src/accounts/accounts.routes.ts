import { z } from 'zod'
import {
  commonErrors,
  decodeCursor,
  idParams,
  pageOf,
  pageQuery,
  toPage,
  type App,
} from '../http/types.js'
import { accountSchema, createAccountBody, updateAccountBody } from './accounts.schemas.js'
import type { AccountsService } from './accounts.service.js'

export function accountsRoutes(accounts: AccountsService) {
  return async function register(app: App): Promise<void> {
    const tags = ['accounts']

    app.get(
      '/accounts',
      {
        schema: {
          tags,
          summary: 'List accounts',
          querystring: pageQuery,
          response: { 200: pageOf(accountSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor } = req.query
        const rows = await accounts.list({ limit: limit + 1, after: decodeCursor(cursor) })
        return toPage(rows, limit)
      },
    )

    app.post(
      '/accounts',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Create an account',
          body: createAccountBody,
          response: { 201: accountSchema, ...commonErrors },
        },
      },
      async (req, reply) => reply.code(201).send(await accounts.create(req.body)),
    )

    app.get(
      '/accounts/:id',
      {
        schema: {
          tags,
          summary: 'Get an account',
          params: idParams,
          response: { 200: accountSchema, ...commonErrors },
        },
      },
      async (req) => accounts.get(req.params.id),
    )

    app.patch(
      '/accounts/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Change an account',
          params: idParams,
          body: updateAccountBody,
          response: { 200: accountSchema, ...commonErrors },
        },
      },
      async (req) => accounts.update(req.params.id, req.body),
    )

    app.delete(
      '/accounts/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Delete an account (its history is kept)',
          params: idParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        await accounts.remove(req.params.id)
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/accounts/:id/connect',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Connect an account',
          params: idParams,
          response: { 200: accountSchema, ...commonErrors },
        },
      },
      async (req) => accounts.connect(req.params.id),
    )

    app.post(
      '/accounts/:id/disconnect',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Disconnect an account',
          params: idParams,
          response: { 200: accountSchema, ...commonErrors },
        },
      },
      async (req) => accounts.disconnect(req.params.id),
    )
  }
}
