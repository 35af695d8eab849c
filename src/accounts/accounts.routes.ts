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
import { principalOf } from '../users/index.js'
import {
  accountSchema,
  createAccountBody,
  deleteAccountQuery,
  pairingSchema,
  updateAccountBody,
} from './accounts.schemas.js'
import type { AccountsService } from './accounts.service.js'

export function accountsRoutes(accounts: AccountsService) {
  return async function register(app: App): Promise<void> {
    const tags = ['accounts']

    app.get(
      '/accounts',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'List accounts',
          description: 'Agents and viewers see the accounts they were given; admins see all.',
          querystring: pageQuery,
          response: { 200: pageOf(accountSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor } = req.query
        const rows = await accounts.list({
          limit: limit + 1,
          after: decodeCursor(cursor),
          ids: principalOf(req).accountIds,
        })
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
          description:
            'Creates the account and connects it. Credentials (`cloud`, `baileys`) are stored encrypted and never returned. A transport this version cannot run leaves the account in `error`, with the reason in `stateReason`.',
          body: createAccountBody,
          response: { 201: accountSchema, 409: problemSchema, ...commonErrors },
        },
      },
      async (req, reply) => reply.code(201).send(await accounts.create(req.body)),
    )

    app.get(
      '/accounts/:id',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'Get an account',
          params: idParams,
          response: { 200: accountSchema, ...commonErrors },
        },
      },
      async (req) => {
        principalOf(req).assertAccount(req.params.id)
        return accounts.get(req.params.id)
      },
    )

    app.patch(
      '/accounts/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Change an account',
          description:
            'Only the fields given change, settings one by one. A running account reconnects to apply new settings or credentials.',
          params: idParams,
          body: updateAccountBody,
          response: { 200: accountSchema, 409: problemSchema, ...commonErrors },
        },
      },
      async (req) => {
        principalOf(req).assertAccount(req.params.id)
        return accounts.update(req.params.id, req.body)
      },
    )

    app.delete(
      '/accounts/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Delete an account',
          description:
            'Its conversations and messages are kept, unless `purge=true`: then they are deleted with the account (contacts stay, they are shared). A purge also works on an account deleted earlier.',
          params: idParams,
          querystring: deleteAccountQuery,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        principalOf(req).assertAccount(req.params.id)
        await accounts.remove(req.params.id, { purge: req.query.purge })
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
          description:
            'Answers the account: `connected`, `linking` (see the pairing route), or `error` with the reason when it cannot connect.',
          params: idParams,
          response: { 200: accountSchema, ...commonErrors },
        },
      },
      async (req) => {
        principalOf(req).assertAccount(req.params.id)
        return accounts.connect(req.params.id)
      },
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
      async (req) => {
        principalOf(req).assertAccount(req.params.id)
        return accounts.disconnect(req.params.id)
      },
    )

    app.post(
      '/accounts/:id/logout',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Unlink an account',
          description:
            'Stops the account and forgets its link: it becomes `logged_out`, and `connect` links it anew.',
          params: idParams,
          response: { 200: accountSchema, ...commonErrors },
        },
      },
      async (req) => {
        principalOf(req).assertAccount(req.params.id)
        return accounts.logout(req.params.id)
      },
    )

    app.get(
      '/accounts/:id/pairing',
      {
        // A QR code or pairing code links a phone to the account: an admin's business.
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'How to link an account',
          description:
            'The state, and while the account is `linking` the QR code or pairing code to link it with. A transport without pairing (the sandbox) answers the state alone.',
          params: idParams,
          response: { 200: pairingSchema, ...commonErrors },
        },
      },
      async (req) => {
        principalOf(req).assertAccount(req.params.id)
        return accounts.pairing(req.params.id)
      },
    )
  }
}
