import { z } from 'zod'
import { commonErrors, problemSchema, type App } from '../http/types.js'
import {
  attributeParams,
  attributeSchema,
  createAttributeBody,
  updateAttributeBody,
} from './attributes.schemas.js'
import type { ContactsService } from './contacts.service.js'

export function attributesRoutes(contacts: ContactsService) {
  return async function register(app: App): Promise<void> {
    const tags = ['contacts']

    app.get(
      '/contact-attributes',
      {
        schema: {
          tags,
          summary: "List the contacts' custom attributes",
          response: { 200: z.object({ items: z.array(attributeSchema) }), ...commonErrors },
        },
      },
      async () => ({ items: await contacts.listAttributes() }),
    )

    app.post(
      '/contact-attributes',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Declare a custom attribute of contacts',
          description:
            'Its type (text, number, date as YYYY-MM-DD, boolean) is checked on every write and lets filters compare values. Declaring it again with the same type answers 200 and changes nothing.',
          body: createAttributeBody,
          response: {
            200: attributeSchema,
            201: attributeSchema,
            409: problemSchema,
            ...commonErrors,
          },
        },
      },
      async (req, reply) => {
        const { attribute, created } = await contacts.declareAttribute(req.body)
        return reply.code(created ? 201 : 200).send(attribute)
      },
    )

    app.patch(
      '/contact-attributes/:key',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: "Change an attribute's label",
          params: attributeParams,
          body: updateAttributeBody,
          response: { 200: attributeSchema, ...commonErrors },
        },
      },
      async (req) => contacts.updateAttribute(req.params.key, req.body.label),
    )

    app.delete(
      '/contact-attributes/:key',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Delete an attribute and its value on every contact',
          params: attributeParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        await contacts.deleteAttribute(req.params.key)
        return reply.code(204).send(null)
      },
    )
  }
}
