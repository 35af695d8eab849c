import { z } from 'zod'
import { commonErrors, idParams, pageOf, problemSchema, type App } from '../http/types.js'
import {
  checkWhatsAppBody,
  contactSchema,
  countQuery,
  createContactBody,
  listContactsQuery,
  mergeBody,
  optOutBody,
  updateContactBody,
} from './contacts.schemas.js'
import type { ContactsService } from './contacts.service.js'

export function contactsRoutes(contacts: ContactsService) {
  return async function register(app: App): Promise<void> {
    const tags = ['contacts']

    app.get(
      '/contacts',
      {
        schema: {
          tags,
          summary: 'List, filter and search contacts',
          description:
            'Without `q`, contacts in the order they were created; with `q`, the best full-text matches first. `filter` narrows either (query-string form or JSON tree), and so does `segmentId`.',
          querystring: listContactsQuery,
          response: { 200: pageOf(contactSchema), ...commonErrors },
        },
      },
      async (req) => contacts.list(req.query),
    )

    app.get(
      '/contacts/count',
      {
        schema: {
          tags,
          summary: 'Count the contacts a search, filter or segment selects',
          querystring: countQuery,
          response: { 200: z.object({ count: z.number().int() }), ...commonErrors },
        },
      },
      async (req) => ({ count: await contacts.count(req.query) }),
    )

    app.post(
      '/contacts',
      {
        schema: {
          tags,
          summary: 'Create a contact',
          description:
            'The number is normalised to E.164 (a number without a country code is read in `defaultCountry`, else in the default country of `accountId`) and must be valid for its region. One contact per number.',
          body: createContactBody,
          response: { 201: contactSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
        },
      },
      async (req, reply) => reply.code(201).send(await contacts.create(req.body)),
    )

    app.get(
      '/contacts/:id',
      {
        schema: {
          tags,
          summary: 'Get a contact',
          params: idParams,
          response: { 200: contactSchema, ...commonErrors },
        },
      },
      async (req) => contacts.get(req.params.id),
    )

    app.patch(
      '/contacts/:id',
      {
        schema: {
          tags,
          summary: 'Change a contact',
          description:
            'Only the fields given change. `tags` replaces the tags; `attributes` changes the keys given (null removes one).',
          params: idParams,
          body: updateContactBody,
          response: { 200: contactSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
        },
      },
      async (req) => contacts.update(req.params.id, req.body),
    )

    app.delete(
      '/contacts/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Delete a contact with its conversations and messages',
          description:
            'Deletes for good. To stop writing to someone, opt them out instead: a deleted contact who writes again is a new contact.',
          params: idParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        await contacts.remove(req.params.id)
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/contacts/:id/merge',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Merge duplicate contacts into this one',
          description:
            'The contacts in `from` are deleted; their conversations and messages move to this contact, their tags join its tags, and attributes and fields it lacks are taken from them.',
          params: idParams,
          body: mergeBody,
          response: { 200: contactSchema, ...commonErrors },
        },
      },
      async (req) => contacts.merge(req.params.id, req.body.from),
    )

    app.post(
      '/contacts/:id/opt-out',
      {
        schema: {
          tags,
          summary: 'Opt a contact out: campaigns and audiences leave them out',
          params: idParams,
          body: optOutBody,
          response: { 200: contactSchema, ...commonErrors },
        },
      },
      async (req) => contacts.setOptOut(req.params.id, { source: req.body.source }),
    )

    app.post(
      '/contacts/:id/opt-in',
      {
        schema: {
          tags,
          summary: 'Opt a contact back in',
          params: idParams,
          body: optOutBody,
          response: { 200: contactSchema, ...commonErrors },
        },
      },
      async (req) =>
        contacts.setOptOut(req.params.id, { source: req.body.source, optedOut: false }),
    )

    app.post(
      '/contacts/:id/check-whatsapp',
      {
        schema: {
          tags,
          summary: 'Check whether the number is on WhatsApp, through an account',
          description:
            "Asks the account's transport (the sandbox and WhatsApp Web accounts can tell; Cloud API accounts cannot) unless the last check is under 24 hours old and `force` is not set. The answer is kept with its date.",
          params: idParams,
          body: checkWhatsAppBody,
          response: { 200: contactSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
        },
      },
      async (req) => contacts.checkWhatsApp(req.params.id, req.body.accountId, req.body.force),
    )
  }
}
