import { z } from 'zod'
import { languages } from '../i18n/index.js'
import { messageTypes } from '../transports/index.js'
import { commandPermissions } from './commands.js'
import { handlers } from './dispatcher.js'

export const simulateBody = z.object({
  accountId: z.string().min(1).max(64),
  from: z
    .string()
    .trim()
    .min(3, 'must be a phone number in E.164 form, e.g. +15550001111')
    .max(32, 'must be at most 32 characters'),
  text: z.string().max(4096, 'must be at most 4096 characters').optional(),
  type: z.enum(messageTypes).default('text'),
  group: z
    .object({
      id: z.string().min(1).max(128),
      mentionsAccount: z.boolean().default(false),
    })
    .optional()
    .meta({ description: 'Simulate a message written in this group chat' }),
})

export type SimulateInput = z.output<typeof simulateBody>

const effect = z.object({ type: z.string(), detail: z.string(), error: z.string().optional() })

export const decisionSchema = z
  .object({
    handledBy: z.enum(handlers).meta({
      description:
        'The stage that answers: opt-out/opt-in keywords, a command, a flow, a rule, the fallback reply; `none`: nothing answers; `ignored`: the bot does not look at the message',
    }),
    reason: z.string().optional(),
    language: z.enum(languages),
    command: z
      .object({
        name: z.string(),
        known: z.boolean(),
        allowed: z.boolean(),
        ran: z.boolean(),
        suggestion: z.string().optional(),
      })
      .optional(),
    flow: z
      .object({ flowId: z.string(), stepId: z.string(), ended: z.boolean(), started: z.boolean() })
      .optional(),
    rule: z.object({ id: z.string(), name: z.string() }).optional(),
    cooledDown: z.array(z.string()).optional(),
    sends: z.array(z.looseObject({ type: z.string() })).meta({
      description: 'The replies, as `POST /messages` bodies without `accountId` and `to`',
    }),
    effects: z.array(effect),
    botPaused: z.boolean(),
    loopGuard: z.boolean(),
  })
  .meta({ id: 'BotDecision' })

export const commandInfoSchema = z
  .object({
    name: z.string(),
    usage: z.string(),
    summary: z.string(),
    permission: z.enum(commandPermissions),
    source: z.enum(['builtin', 'plugin']),
  })
  .meta({ id: 'Command' })
