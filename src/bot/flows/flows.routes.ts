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
} from '../../http/types.js'
import {
  createFlowBody,
  flowSchema,
  flowVersionParams,
  flowVersionSchema,
  updateFlowBody,
} from './flows.schemas.js'
import type { FlowsService } from './flows.service.js'

export function flowsRoutes(flows: FlowsService) {
  return async function register(app: App): Promise<void> {
    const tags = ['bot']

    app.get(
      '/flows',
      {
        schema: {
          tags,
          summary: 'List the stored conversation flows, oldest first',
          querystring: pageQuery,
          response: { 200: pageOf(flowSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor } = req.query
        const rows = await flows.listFlows({ limit: limit + 1, after: decodeCursor(cursor) })
        return toPage(rows, limit)
      },
    )

    app.post(
      '/flows',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Create a conversation flow',
          description:
            'Steps: send, ask (with answer validation), branch, set, handoff, webhook, jump, end. See docs/flows.md.',
          body: createFlowBody,
          response: { 201: flowSchema, ...commonErrors },
        },
      },
      async (req, reply) => reply.code(201).send(await flows.createFlow(req.body)),
    )

    app.get(
      '/flows/:id',
      {
        schema: {
          tags,
          summary: 'Get a flow (stored, or defined in code) at its current version',
          params: idParams,
          response: { 200: flowSchema, ...commonErrors },
        },
      },
      async (req) => flows.getFlow(req.params.id),
    )

    app.get(
      '/flows/:id/versions/:version',
      {
        schema: {
          tags,
          summary: 'Get the steps of a flow as they were at one of its versions',
          params: flowVersionParams,
          response: { 200: flowVersionSchema, ...commonErrors },
        },
      },
      async (req) => flows.getFlowVersion(req.params.id, req.params.version),
    )

    app.patch(
      '/flows/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Change a flow',
          description:
            'A change to the steps or settings makes a new version; conversations in the middle of the flow go on with the version they started.',
          params: idParams,
          body: updateFlowBody,
          response: { 200: flowSchema, ...commonErrors, 409: problemSchema },
        },
      },
      async (req) => flows.updateFlow(req.params.id, req.body),
    )

    app.delete(
      '/flows/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Delete a flow; conversations in it leave it',
          params: idParams,
          response: { 204: z.null(), ...commonErrors, 409: problemSchema },
        },
      },
      async (req, reply) => {
        await flows.deleteFlow(req.params.id)
        return reply.code(204).send(null)
      },
    )
  }
}
