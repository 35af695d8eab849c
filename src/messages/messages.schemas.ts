import { z } from 'zod'
import { messageTypes } from '../transports/index.js'

export const messageStatuses = [
  'received',
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'uncertain',
] as const
export type MessageStatus = (typeof messageStatuses)[number]

export const messageSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    conversationId: z.string(),
    contactId: z.string(),
    phone: z.string().meta({ description: "The contact's number, E.164" }),
    direction: z.enum(['in', 'out']),
    type: z.enum(messageTypes),
    text: z.string().nullable(),
    status: z.enum(messageStatuses),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    externalId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    sentAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    readAt: z.string().nullable(),
  })
  .meta({ id: 'Message' })

export type Message = z.output<typeof messageSchema>

/** A phone number as typed by a person; normalised to E.164 by the service. */
export const phoneInput = z
  .string()
  .trim()
  .min(3, 'must be a phone number in E.164 form, e.g. +15550001111')
  .max(32, 'must be at most 32 characters')

export const sendMessageBody = z.object({
  accountId: z.string().min(1).max(64),
  to: phoneInput,
  type: z.literal('text', { error: 'must be "text" (other types are not available yet)' }),
  text: z
    .string()
    .min(1, 'must not be empty')
    .max(4096, 'must be at most 4096 characters (the WhatsApp limit)'),
})

export type SendMessageInput = z.output<typeof sendMessageBody>

export const listMessagesQuery = z.object({
  accountId: z.string().max(64).optional(),
  contactId: z.string().max(64).optional(),
  conversationId: z.string().max(64).optional(),
  phone: phoneInput.optional(),
  status: z.enum(messageStatuses).optional(),
  direction: z.enum(['in', 'out']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
})

export type ListMessagesQuery = z.output<typeof listMessagesQuery>
