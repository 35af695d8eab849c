import { z } from 'zod'
import { audienceSchema, campaignMessageSchema, timeZoneName } from '../campaigns/index.js'

const id = z.string().min(1).max(64)

export const missedPolicies = ['skip', 'run_once'] as const
export type MissedPolicy = (typeof missedPolicies)[number]

export const scheduleStatuses = ['active', 'paused', 'completed'] as const
export type ScheduleStatus = (typeof scheduleStatuses)[number]

export const runStatuses = ['pending', 'sent', 'started', 'skipped', 'failed', 'missed'] as const
export type RunStatus = (typeof runStatuses)[number]

/** Who a schedule writes to: one contact, one number, or an audience (a campaign per run). */
export const targetSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('contact'), contactId: id }),
    z.object({ type: z.literal('phone'), phone: z.string().trim().min(3).max(32) }),
    ...audienceSchema.options,
  ],
  { error: 'must have `type` contact, phone, all, contacts, list, tags, filter or segment' },
)
export type Target = z.output<typeof targetSchema>

const scheduleFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  accountId: id,
  target: targetSchema,
  message: campaignMessageSchema,
  at: z.string().max(40).meta({
    description:
      'A one-off: ISO 8601 with an offset, or a local date-time (`2026-12-01T09:00`) in `timezone`',
  }),
  cron: z.string().trim().min(9).max(120).meta({
    description: 'Recurring: a cron expression (5 fields, or 6 with seconds) in `timezone`',
  }),
  timezone: timeZoneName.meta({ description: "IANA time zone; default the account's" }),
  missedPolicy: z.enum(missedPolicies).meta({
    description:
      'Runs missed while Linda was down: `skip` records them as missed, `run_once` sends once for all of them',
  }),
}

export const createScheduleBody = z
  .object({
    ...scheduleFields,
    at: scheduleFields.at.optional(),
    cron: scheduleFields.cron.optional(),
    timezone: scheduleFields.timezone.optional(),
    missedPolicy: scheduleFields.missedPolicy.default('run_once'),
  })
  .superRefine((v, ctx) => {
    if ((v.at === undefined) === (v.cron === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['at'],
        message: 'give either `at` (one message) or `cron` (recurring), not both',
      })
    }
  })
export type CreateScheduleInput = z.output<typeof createScheduleBody>

export const updateScheduleBody = z
  .object({
    name: scheduleFields.name,
    target: scheduleFields.target,
    message: scheduleFields.message,
    at: scheduleFields.at,
    cron: scheduleFields.cron,
    timezone: scheduleFields.timezone,
    missedPolicy: scheduleFields.missedPolicy,
    status: z.enum(['active', 'paused']),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')
  .refine((v) => v.at === undefined || v.cron === undefined, {
    path: ['at'],
    message: 'give either `at` or `cron`, not both',
  })
export type UpdateScheduleInput = z.output<typeof updateScheduleBody>

export const scheduleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    accountId: z.string(),
    target: z.looseObject({ type: z.string() }),
    message: campaignMessageSchema,
    kind: z.enum(['once', 'cron']),
    at: z.string().nullable().meta({ description: 'A one-off’s time (UTC)' }),
    cron: z.string().nullable(),
    timezone: z.string(),
    missedPolicy: z.enum(missedPolicies),
    status: z.enum(scheduleStatuses),
    nextRunAt: z.string().nullable(),
    lastRunAt: z.string().nullable(),
    runs: z.number().int(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Schedule' })
export type Schedule = z.output<typeof scheduleSchema>

export const scheduleRunSchema = z
  .object({
    id: z.string(),
    scheduleId: z.string(),
    scheduledFor: z.string(),
    status: z.enum(runStatuses),
    detail: z.record(z.string(), z.unknown()).nullable().meta({
      description:
        'What was sent (`to`, `content`), the campaign a run to an audience started, or how many runs were missed',
    }),
    messageId: z.string().nullable(),
    campaignId: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'ScheduleRun' })
export type ScheduleRun = z.output<typeof scheduleRunSchema>

export const upcomingSchema = z
  .object({
    items: z.array(
      z.object({ scheduleId: z.string(), name: z.string(), accountId: z.string(), at: z.string() }),
    ),
  })
  .meta({ id: 'UpcomingRuns' })

export const upcomingQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 366)
    .default(24 * 7),
})

export const listSchedulesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  status: z.enum(scheduleStatuses).optional(),
})
