export { BotService, greetingRule, type BotDeps, type CommandInfo } from './bot.service.js'
export {
  noFlows,
  type Decision,
  type FlowOutcome,
  type FlowRegistry,
  type FlowRuntime,
} from './dispatcher.js'
export { definePlugin, type Plugin, type PluginApi, type PluginAction } from './plugins.js'
export type { Command, CommandContext } from './commands.js'
export { rulesRoutes } from './rules.routes.js'
export { botRoutes } from './bot.routes.js'
