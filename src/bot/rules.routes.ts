import { z } from 'zod'
import {
  commonErrors,
  decodeKeyCursor,
  encodeKeyCursor,
  idParams,
  pageOf,
  pageQuery,
  type App,
} from '../http/types.js'
import type { BotService } from './bot.service.js'
import { createRuleBody, ruleSchema, showRule, updateRuleBody } from './rules.schemas.js'

const ruleCursor = z.object({ priority: z.number().int(), id: z.string().max(64) })

export function rulesRoutes(bot: BotService) {
  return async function register(app: App): Promise<void> {
    const tags = ['bot']

    app.get(
      '/rules',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'List auto-reply rules in the order they are tried',
          querystring: pageQuery,
          response: { 200: pageOf(ruleSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor } = req.query
        const after = decodeKeyCursor(cursor, ruleCursor)
        const rows = await bot.listRules({ limit: limit + 1, after })
        const items = rows.slice(0, limit)
        const last = items[items.length - 1]
        return {
          items: items.map(showRule),
          nextCursor:
            rows.length > limit && last
              ? encodeKeyCursor({ priority: last.priority, id: last.id })
              : null,
        }
      },
    )

    app.post(
      '/rules',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Create an auto-reply rule',
          body: createRuleBody,
          response: { 201: ruleSchema, ...commonErrors },
        },
      },
      async (req, reply) => reply.code(201).send(showRule(await bot.createRule(req.body))),
    )

    app.get(
      '/rules/:id',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'Get a rule',
          params: idParams,
          response: { 200: ruleSchema, ...commonErrors },
        },
      },
      async (req) => showRule(await bot.getRule(req.params.id)),
    )

    app.patch(
      '/rules/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Change a rule',
          params: idParams,
          body: updateRuleBody,
          response: { 200: ruleSchema, ...commonErrors },
        },
      },
      async (req) => showRule(await bot.updateRule(req.params.id, req.body)),
    )

    app.delete(
      '/rules/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Delete a rule',
          params: idParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        await bot.deleteRule(req.params.id)
        return reply.code(204).send(null)
      },
    )
  }
}
