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
import type { BotService } from './bot.service.js'
import { createRuleBody, ruleSchema, updateRuleBody } from './rules.schemas.js'

export function rulesRoutes(bot: BotService) {
  return async function register(app: App): Promise<void> {
    const tags = ['bot']

    app.get(
      '/rules',
      {
        schema: {
          tags,
          summary: 'List auto-reply rules in the order they are tried',
          querystring: pageQuery,
          response: { 200: pageOf(ruleSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor } = req.query
        const rows = await bot.listRules({ limit: limit + 1, after: decodeCursor(cursor) })
        return toPage(rows, limit)
      },
    )

    app.post(
      '/rules',
      {
        schema: {
          tags,
          summary: 'Create an auto-reply rule',
          body: createRuleBody,
          response: { 201: ruleSchema, ...commonErrors },
        },
      },
      async (req, reply) => reply.code(201).send(await bot.createRule(req.body)),
    )

    app.get(
      '/rules/:id',
      {
        schema: {
          tags,
          summary: 'Get a rule',
          params: idParams,
          response: { 200: ruleSchema, ...commonErrors },
        },
      },
      async (req) => bot.getRule(req.params.id),
    )

    app.patch(
      '/rules/:id',
      {
        schema: {
          tags,
          summary: 'Change a rule',
          params: idParams,
          body: updateRuleBody,
          response: { 200: ruleSchema, ...commonErrors },
        },
      },
      async (req) => bot.updateRule(req.params.id, req.body),
    )

    app.delete(
      '/rules/:id',
      {
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
