import { Readable } from 'node:stream'
import { z } from 'zod'
import {
  commonErrors,
  decodeCursor,
  decodeKeyCursor,
  encodeKeyCursor,
  idParams,
  pageOf,
  problemSchema,
  toPage,
  type App,
} from '../http/types.js'
import type { CampaignsService } from './campaigns.service.js'
import { reportLines } from './campaigns.csv.js'
import {
  campaignSchema,
  createCampaignBody,
  dryRunSchema,
  listCampaignsQuery,
  recipientSchema,
  recipientStates,
} from './campaigns.schemas.js'

const recipientCursor = z.object({ seq: z.number().int().min(0) })
const conflict = { 409: problemSchema }

export function campaignsRoutes(campaigns: CampaignsService) {
  return async function register(app: App): Promise<void> {
    const tags = ['campaigns']

    app.get(
      '/campaigns',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'List campaigns, newest first',
          querystring: listCampaignsQuery,
          response: { 200: pageOf(campaignSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor, status, origin } = req.query
        const rows = await campaigns.list({
          limit: limit + 1,
          before: decodeCursor(cursor),
          status,
          origin: origin === 'any' ? undefined : origin,
        })
        return toPage(rows, limit)
      },
    )

    app.post(
      '/campaigns',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Create a campaign (a draft, or scheduled with `startAt`)',
          body: createCampaignBody,
          response: { 201: campaignSchema, 422: problemSchema, ...commonErrors },
        },
      },
      async (req, reply) => reply.code(201).send(await campaigns.create(req.body)),
    )

    app.post(
      '/campaigns/dry-run',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'What a campaign would do: recipients, exclusions by reason, duration',
          description: 'Takes the body of `POST /campaigns`; stores and sends nothing.',
          body: createCampaignBody,
          response: { 200: dryRunSchema, 422: problemSchema, ...commonErrors },
        },
      },
      async (req) => campaigns.dryRun(req.body),
    )

    app.get(
      '/campaigns/:id',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'A campaign, with its progress and its delivery, read and reply rates',
          params: idParams,
          response: { 200: campaignSchema, ...commonErrors },
        },
      },
      async (req) => campaigns.get(req.params.id),
    )

    app.post(
      '/campaigns/:id/start',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Start now: store the recipients, then send (answers at once)',
          params: idParams,
          response: { 202: campaignSchema, ...conflict, ...commonErrors },
        },
      },
      async (req, reply) => reply.code(202).send(await campaigns.start(req.params.id)),
    )

    for (const [name, summary] of [
      ['pause', 'Pause a running campaign'],
      ['resume', 'Resume a paused campaign'],
      ['cancel', 'Cancel: recipients not yet sent to are skipped'],
    ] as const) {
      app.post(
        `/campaigns/:id/${name}`,
        {
          config: { minRole: 'admin' },
          schema: {
            tags,
            summary,
            params: idParams,
            response: { 200: campaignSchema, ...conflict, ...commonErrors },
          },
        },
        async (req) => campaigns[name](req.params.id),
      )
    }

    app.get(
      '/campaigns/:id/recipients',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'Recipients in audience order, each with its state',
          params: idParams,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            cursor: z.string().max(200).optional(),
            state: z.enum(recipientStates).optional(),
          }),
          response: { 200: pageOf(recipientSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor, state } = req.query
        const after = decodeKeyCursor(cursor, recipientCursor)?.seq
        const rows = await campaigns.recipients(req.params.id, { limit: limit + 1, after, state })
        const items = rows.slice(0, limit)
        const last = items[items.length - 1]
        return {
          items,
          nextCursor: rows.length > limit && last ? encodeKeyCursor({ seq: last.id }) : null,
        }
      },
    )

    app.get(
      '/campaigns/:id/report.csv',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'Every recipient and what became of it, as CSV (streamed)',
          params: idParams,
          response: { 200: z.any().meta({ description: 'text/csv' }), ...commonErrors },
        },
      },
      async (req, reply) => {
        // Found first, so that an unknown id is a 404 rather than a broken download.
        const campaign = await campaigns.get(req.params.id)
        const lines = reportLines(campaigns.allRecipients(campaign.id))
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="campaign-${campaign.id}.csv"`)
          .header('x-content-type-options', 'nosniff')
          .send(Readable.from(lines))
      },
    )
  }
}
