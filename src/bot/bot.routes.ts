import { z } from 'zod'
import { languages } from '../i18n/index.js'
import { commonErrors, problemSchema, type App } from '../http/types.js'
import { commandInfoSchema, decisionSchema, simulateBody } from './bot.schemas.js'
import type { BotService } from './bot.service.js'
import { botSettingsInput, botSettingsView } from './settings.schemas.js'

const scopeParams = z.object({ accountId: z.string().min(1).max(64) })

export function botRoutes(bot: BotService) {
  return async function register(app: App): Promise<void> {
    const tags = ['bot']

    app.post(
      '/bot/simulate',
      {
        // Changes nothing, so a read-only key may call it.
        config: { minRole: 'viewer', scope: 'read' },
        schema: {
          tags,
          summary:
            'Which opt-out, command, flow step or rule a message would hit, and what would be sent',
          description: 'Sends nothing and changes nothing.',
          body: simulateBody,
          response: { 200: decisionSchema, ...commonErrors, 422: problemSchema },
        },
      },
      async (req) => bot.simulate(req.body),
    )

    app.get(
      '/commands',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'The commands the bot answers, with who may use them',
          querystring: z.object({ language: z.enum(languages).default('en') }),
          response: {
            200: z.object({ prefix: z.string(), items: z.array(commandInfoSchema) }),
            ...commonErrors,
          },
        },
      },
      async (req) => {
        const { effective } = await bot.settings('instance')
        return { prefix: effective.commandPrefix, items: bot.listCommands(req.query.language) }
      },
    )

    app.get(
      '/bot/settings',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: "The instance's bot settings",
          response: { 200: botSettingsView, ...commonErrors },
        },
      },
      async () => bot.settings('instance'),
    )

    app.patch(
      '/bot/settings',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: "Change the instance's bot settings (only the keys given; null removes one)",
          body: botSettingsInput,
          response: { 200: botSettingsView, ...commonErrors },
        },
      },
      async (req) => bot.changeSettings('instance', req.body),
    )

    app.get(
      '/bot/settings/:accountId',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: "An account's bot settings, and those in force for it",
          params: scopeParams,
          response: { 200: botSettingsView, ...commonErrors },
        },
      },
      async (req) => bot.settings(req.params.accountId),
    )

    app.patch(
      '/bot/settings/:accountId',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: "Change an account's bot settings (only the keys given; null removes one)",
          params: scopeParams,
          body: botSettingsInput,
          response: { 200: botSettingsView, ...commonErrors },
        },
      },
      async (req) => bot.changeSettings(req.params.accountId, req.body),
    )
  }
}
