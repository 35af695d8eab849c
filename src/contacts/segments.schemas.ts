import { z } from 'zod'

const filterInput = z.union([z.string().max(8000), z.record(z.string(), z.unknown())]).meta({
  description:
    'The filter: its query-string form (`tag:vip city:Dubai -tag:lost`) or its JSON tree. See docs/contacts.md.',
})

export const segmentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    /** The query-string form, when the segment was written in it. */
    query: z.string().nullable(),
    filter: z.record(z.string(), z.unknown()).nullable(),
    count: z
      .number()
      .int()
      .optional()
      .meta({ description: 'How many contacts it selects now (counted live)' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Segment' })

export type Segment = z.output<typeof segmentSchema>

export const createSegmentBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  filter: filterInput,
})
export type CreateSegmentInput = z.output<typeof createSegmentBody>

export const updateSegmentBody = createSegmentBody
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change')
export type UpdateSegmentInput = z.output<typeof updateSegmentBody>

export const listSegmentsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
  counts: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .meta({ description: 'Count each segment live (one count query per segment)' }),
})
