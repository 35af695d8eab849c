import type { FastifyRequest } from 'fastify'
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
import { AppError } from '../platform/errors.js'
import { principalOf } from '../users/index.js'
import type { SchedulesService } from './schedules.service.js'
import {
  createScheduleBody,
  listSchedulesQuery,
  scheduleRunSchema,
  scheduleSchema,
  updateScheduleBody,
  upcomingQuery,
  upcomingSchema,
  type Schedule,
} from './schedules.schemas.js'

/** Who made a schedule through the API: the API key, or the signed-in user. */
function createdBy(req: FastifyRequest): string {
  const p = principalOf(req)
  return p.keyId ? `api-key:${p.keyId}` : `user:${p.userId}`
}

const runCursor = z.object({ before: z.string().max(40) })
const conflict = { 409: problemSchema }

export function schedulesRoutes(schedules: SchedulesService) {
  /** A schedule of an account the caller may not see does not exist, to them. */
  async function visible(req: FastifyRequest, id: string): Promise<Schedule> {
    const schedule = await schedules.get(id)
    if (!principalOf(req).canAccessAccount(schedule.accountId)) {
      throw new AppError('SCHEDULE_NOT_FOUND', `No schedule has the id ${id}`)
    }
    return schedule
  }

  return async function register(app: App): Promise<void> {
    const tags = ['schedules']

    app.get(
      '/schedules',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'List schedules, newest first',
          querystring: listSchedulesQuery,
          response: { 200: pageOf(scheduleSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor, status } = req.query
        const rows = await schedules.list({
          limit: limit + 1,
          before: decodeCursor(cursor),
          status,
          accountIds: principalOf(req).accountIds,
        })
        return toPage(rows, limit)
      },
    )

    app.get(
      '/schedules/upcoming',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'The next runs of active schedules, soonest first',
          querystring: upcomingQuery,
          response: { 200: upcomingSchema, ...commonErrors },
        },
      },
      async (req) => ({
        items: await schedules.upcoming({ ...req.query, accountIds: principalOf(req).accountIds }),
      }),
    )

    app.post(
      '/schedules',
      {
        config: { minRole: 'agent' },
        schema: {
          tags,
          summary: 'Schedule a message: once (`at`) or recurring (`cron`), in a time zone',
          body: createScheduleBody,
          response: { 201: scheduleSchema, 422: problemSchema, ...commonErrors },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await schedules.create(req.body, { createdBy: createdBy(req) })),
    )

    app.get(
      '/schedules/:id',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'Get a schedule',
          params: idParams,
          response: { 200: scheduleSchema, ...commonErrors },
        },
      },
      async (req) => visible(req, req.params.id),
    )

    app.patch(
      '/schedules/:id',
      {
        config: { minRole: 'agent' },
        schema: {
          tags,
          summary: 'Change a schedule (`status`: active or paused pauses and resumes it)',
          params: idParams,
          body: updateScheduleBody,
          response: { 200: scheduleSchema, 422: problemSchema, ...commonErrors },
        },
      },
      async (req) => {
        await visible(req, req.params.id)
        return schedules.update(req.params.id, req.body)
      },
    )

    app.delete(
      '/schedules/:id',
      {
        config: { minRole: 'agent' },
        schema: {
          tags,
          summary: 'Delete a schedule (its runs stay in the history)',
          params: idParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        await visible(req, req.params.id)
        await schedules.remove(req.params.id)
        return reply.code(204).send(null)
      },
    )

    for (const [name, summary] of [
      ['pause', 'Pause a schedule'],
      ['resume', 'Resume a paused schedule from its next time'],
    ] as const) {
      app.post(
        `/schedules/:id/${name}`,
        {
          config: { minRole: 'agent' },
          schema: {
            tags,
            summary,
            params: idParams,
            response: { 200: scheduleSchema, ...conflict, ...commonErrors },
          },
        },
        async (req) => {
          await visible(req, req.params.id)
          return schedules[name](req.params.id)
        },
      )
    }

    app.get(
      '/schedules/:id/runs',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'The runs of a schedule, newest first, with what each sent',
          params: idParams,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(200).optional(),
          }),
          response: { 200: pageOf(scheduleRunSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor } = req.query
        const before = decodeKeyCursor(cursor, runCursor)?.before
        await visible(req, req.params.id)
        const rows = await schedules.runs(req.params.id, { limit: limit + 1, before })
        const items = rows.slice(0, limit)
        const last = items[items.length - 1]
        return {
          items,
          nextCursor:
            rows.length > limit && last ? encodeKeyCursor({ before: last.scheduledFor }) : null,
        }
      },
    )
  }
}
