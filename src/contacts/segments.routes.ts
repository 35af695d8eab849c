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
import { contactSchema } from './contacts.schemas.js'
import type { ContactsService } from './contacts.service.js'
import {
  createSegmentBody,
  listSegmentsQuery,
  segmentSchema,
  updateSegmentBody,
} from './segments.schemas.js'

export function segmentsRoutes(contacts: ContactsService) {
  return async function register(app: App): Promise<void> {
    const tags = ['contacts']

    app.get(
      '/segments',
      {
        schema: {
          tags,
          summary: 'List segments (saved filters)',
          querystring: listSegmentsQuery,
          response: { 200: pageOf(segmentSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor, counts } = req.query
        const rows = await contacts.listSegments({
          limit: limit + 1,
          after: decodeCursor(cursor),
          counts,
        })
        return toPage(rows, limit)
      },
    )

    app.post(
      '/segments',
      {
        schema: {
          tags,
          summary: 'Save a filter as a segment',
          body: createSegmentBody,
          response: { 201: segmentSchema, ...commonErrors },
        },
      },
      async (req, reply) => reply.code(201).send(await contacts.createSegment(req.body)),
    )

    app.get(
      '/segments/:id',
      {
        schema: {
          tags,
          summary: 'Get a segment with its live count',
          params: idParams,
          response: { 200: segmentSchema, ...commonErrors },
        },
      },
      async (req) => contacts.segment(req.params.id, { count: true }),
    )

    app.get(
      '/segments/:id/contacts',
      {
        schema: {
          tags,
          summary: "A segment's contacts, in the order they were created",
          params: idParams,
          querystring: pageQuery,
          response: { 200: pageOf(contactSchema), ...commonErrors },
        },
      },
      async (req) => {
        await contacts.segment(req.params.id)
        return contacts.list({ ...req.query, segmentId: req.params.id })
      },
    )

    app.patch(
      '/segments/:id',
      {
        schema: {
          tags,
          summary: 'Change a segment',
          params: idParams,
          body: updateSegmentBody,
          response: { 200: segmentSchema, ...commonErrors },
        },
      },
      async (req) => contacts.updateSegment(req.params.id, req.body),
    )

    app.delete(
      '/segments/:id',
      {
        schema: {
          tags,
          summary: 'Delete a segment',
          params: idParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        await contacts.deleteSegment(req.params.id)
        return reply.code(204).send(null)
      },
    )
  }
}
