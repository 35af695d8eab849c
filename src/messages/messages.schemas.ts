import { z } from 'zod'
import {
  messageTypes,
  outboundMessageTypes,
  type MessageContent,
  type OutboundContent,
} from '../transports/index.js'
import { sendContentShapes } from './content.schemas.js'

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

/**
 * Who asked for an outbound message. It decides what may reach a contact who opted out:
 * answers to the contact's own message (bot, flow, agent) and transactional API sends may;
 * campaigns and schedules never do.
 */
export const sendOrigins = ['api', 'bot', 'flow', 'agent', 'campaign', 'schedule'] as const
export type SendOrigin = (typeof sendOrigins)[number]

export const messageSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    conversationId: z.string(),
    contactId: z.string(),
    phone: z.string().meta({ description: "The contact's number, E.164" }),
    direction: z.enum(['in', 'out']),
    type: z.enum(messageTypes),
    text: z.string().nullable().meta({
      description: 'What a person reads as its text: the text, a caption, a button title…',
    }),
    content: z
      .looseObject({ type: z.enum(messageTypes) })
      .nullable()
      .meta({
        description:
          'The message in full, by type: the body of `POST /messages` without `accountId` and `to` for what Linda sends; for what contacts send, also `button_reply`, `list_reply`, `button` and `unsupported`. Inbound media carries `media.mediaId` once Linda has downloaded it (`GET /media/{id}`).',
      }),
    status: z.enum(messageStatuses),
    error: z.object({ code: z.string(), message: z.string() }).nullable().meta({
      description:
        "Why it failed (or was retried, or is uncertain): a Linda code such as `CONTACT_OPTED_OUT`, or the transport's (`CLOUD_RATE_LIMITED`, `SANDBOX_…`), and words a person can act on",
    }),
    externalId: z.string().nullable(),
    origin: z.enum(sendOrigins).nullable().meta({
      description: 'Outbound: who asked for it (api, bot, flow, agent, campaign, schedule)',
    }),
    replyTo: z
      .string()
      .nullable()
      .meta({ description: 'Outbound: the id of the inbound message it answers' }),
    transactional: z.boolean().meta({
      description:
        'Outbound API sends flagged transactional (they may reach a contact who opted out)',
    }),
    attempts: z
      .number()
      .int()
      .meta({ description: 'Outbound: sends to the provider tried so far' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    sentAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    readAt: z.string().nullable(),
  })
  .meta({ id: 'Message' })

export type Message = Omit<z.output<typeof messageSchema>, 'content'> & {
  content: MessageContent | null
}

/** A phone number as typed by a person; normalised to E.164 by the service. */
export const phoneInput = z
  .string()
  .trim()
  .min(3, 'must be a phone number in E.164 form, e.g. +15550001111')
  .max(32, 'must be at most 32 characters')

const sendCommon = {
  accountId: z.string().min(1).max(64),
  to: phoneInput,
  replyTo: z.string().min(1).max(64).optional().meta({
    description:
      "The id of the contact's inbound message this answers: it is marked read (where the transport can), and the answer may reach a contact who opted out",
  }),
  transactional: z.boolean().optional().meta({
    description:
      'A message the contact needs whatever their marketing consent (an order update, a one-time code): it may reach a contact who opted out',
  }),
}

const body = <T extends (typeof outboundMessageTypes)[number]>(type: T) =>
  z.object({ type: z.literal(type), ...sendContentShapes[type] })

/**
 * `{ accountId, to, type, <the field named after the type> }`. The common fields and the
 * typed part are checked side by side, so that one refusal names every failing field.
 */
export const sendMessageBody = z.intersection(
  z.object(sendCommon),
  z.discriminatedUnion(
    'type',
    [
      body('text'),
      body('image'),
      body('video'),
      body('document'),
      body('audio'),
      body('sticker'),
      body('location'),
      body('contacts'),
      body('reaction'),
      body('interactive'),
      body('template'),
    ],
    { error: `must be one of ${outboundMessageTypes.join(', ')}` },
  ),
)

export type SendMessageInput = z.output<typeof sendMessageBody>

/** The content a send body describes. */
export function contentOfSend(input: SendMessageInput): OutboundContent {
  const {
    accountId: _accountId,
    to: _to,
    replyTo: _replyTo,
    transactional: _transactional,
    ...content
  } = input
  return content as OutboundContent
}

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
