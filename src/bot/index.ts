export { BotService, greetingRule, type BotDeps, type BotDecision } from './bot.service.js'
export { rulesRoutes } from './rules.routes.js'
