import type { AccountsService } from '../accounts/index.js'
import { normalizePhone } from '../contacts/index.js'
import type { Message, MessagesService } from '../messages/index.js'
import { transaction, type Db } from '../platform/db/index.js'
import { AppError, type FieldError } from '../platform/errors.js'
import { newId } from '../platform/ids.js'
import type { Logger } from '../platform/logging.js'
import type { Job } from '../platform/queue/index.js'
import { accountCommands } from './account-commands.js'
import * as botRepo from './bot.repo.js'
import { builtinCommands, CommandRegistry, localize, type Command } from './commands.js'
import {
  Dispatcher,
  noFlows,
  type Decision,
  type DispatchInput,
  type FlowRegistry,
  type FlowRuntime,
} from './dispatcher.js'
import { PluginHost } from './plugins.js'
import { Rulebook } from './rulebook.js'
import * as repo from './rules.repo.js'
import type { CreateRuleInput, Rule, RuleAction, UpdateRuleInput } from './rules.schemas.js'
import type { SimulateInput } from './bot.schemas.js'
import {
  applySettingsChange,
  effectiveSettings,
  type BotSettings,
  type BotSettingsInput,
  type StoredBotSettings,
} from './settings.schemas.js'
import { webhookUrlProblem } from './webhook.js'

export interface BotDeps {
  db: Db
  accounts: AccountsService
  messages: MessagesService
  logger: Logger
  /** Conversation flows; default none (no conversation is ever in a flow). */
  flows?: FlowRuntime
  /** Where plugins' flows are registered, when flows are available. */
  flowRegistry?: FlowRegistry
  /** Webhook actions may call loopback addresses (tests only); default false. */
  webhooksAllowLoopback?: boolean
  /** How often the rules and settings are checked for changes by other processes; default 1 s. */
  checkEveryMs?: number
  /** How long a plugin's hook or action may run; default 2 s. */
  pluginTimeoutMs?: number
}

export const greetingRule: CreateRuleInput = {
  name: 'Greeting',
  accountId: null,
  match: { type: 'keyword', value: ['hi', 'hello'] },
  conditions: {},
  actions: [{ type: 'reply', text: 'Hello! How can I help? Send !help to see what I can do.' }],
  priority: 0,
  enabled: true,
  cooldownSeconds: 0,
}

/** A command as `GET /commands` lists it. */
export interface CommandInfo {
  name: string
  usage: string
  summary: string
  permission: 'anyone' | 'team' | 'admin'
  source: 'builtin' | 'plugin'
}

/**
 * The bot: rules and settings, the commands, plugins, and the dispatcher that answers each
 * inbound message (the `message.process` job).
 */
export class BotService {
  readonly commands: CommandRegistry
  readonly plugins: PluginHost
  readonly dispatcher: Dispatcher
  private readonly rulebook: Rulebook
  private readonly builtinNames: Set<string>

  constructor(private readonly deps: BotDeps) {
    const builtins = [...builtinCommands, ...accountCommands(deps.accounts)]
    this.commands = new CommandRegistry(builtins)
    this.builtinNames = new Set(builtins.map((c) => c.name))
    this.rulebook = new Rulebook({
      db: deps.db,
      logger: deps.logger,
      checkEveryMs: deps.checkEveryMs,
    })
    this.plugins = new PluginHost({
      logger: deps.logger.child({ component: 'plugins' }),
      addCommand: (command) => this.commands.add(command),
      flows: deps.flowRegistry,
      timeoutMs: deps.pluginTimeoutMs,
    })
    this.dispatcher = new Dispatcher({
      db: deps.db,
      accounts: deps.accounts,
      messages: deps.messages,
      rulebook: this.rulebook,
      commands: this.commands,
      plugins: this.plugins,
      flows: deps.flows ?? noFlows,
      logger: deps.logger,
      webhooksAllowLoopback: deps.webhooksAllowLoopback,
    })
  }

  // ---- rules ----

  async createRule(input: CreateRuleInput): Promise<Rule> {
    if (input.accountId !== null) await this.deps.accounts.get(input.accountId)
    this.checkActions(input.actions)
    const rule = await transaction(this.deps.db, async (trx) => {
      const inserted = await repo.insertRule(trx, newId(), input)
      await botRepo.bumpVersion(trx)
      return inserted
    })
    this.rulebook.invalidate()
    return rule
  }

  listRules(page: { limit: number; after?: { priority: number; id: string } }): Promise<Rule[]> {
    return repo.listRules(this.deps.db, page)
  }

  async getRule(id: string): Promise<Rule> {
    const rule = await repo.findRule(this.deps.db, id)
    if (!rule) throw new AppError('RULE_NOT_FOUND', `No rule has the id ${id}`)
    return rule
  }

  async updateRule(id: string, change: UpdateRuleInput): Promise<Rule> {
    if (change.accountId) await this.deps.accounts.get(change.accountId)
    if (change.actions) {
      this.checkActions(change.actions)
      const before = await this.getRule(id)
      change = { ...change, actions: keepSecrets(change.actions, before.actions) }
    }
    const rule = await transaction(this.deps.db, async (trx) => {
      const updated = await repo.updateRule(trx, id, change)
      if (updated) await botRepo.bumpVersion(trx)
      return updated
    })
    if (!rule) throw new AppError('RULE_NOT_FOUND', `No rule has the id ${id}`)
    this.rulebook.invalidate()
    return rule
  }

  async deleteRule(id: string): Promise<void> {
    const deleted = await transaction(this.deps.db, async (trx) => {
      if (!(await repo.deleteRule(trx, id))) return false
      await botRepo.deleteFires(trx, id)
      await botRepo.bumpVersion(trx)
      return true
    })
    if (!deleted) throw new AppError('RULE_NOT_FOUND', `No rule has the id ${id}`)
    this.rulebook.invalidate()
  }

  /** What zod cannot check alone: webhook addresses, and plugin actions' params. */
  private checkActions(actions: readonly RuleAction[]): void {
    const errors: FieldError[] = []
    actions.forEach((action, i) => {
      const path = `body.actions.${i}`
      if (action.type === 'webhook') {
        const problem = webhookUrlProblem(action.url, this.deps.webhooksAllowLoopback ?? false)
        if (problem) errors.push({ path: `${path}.url`, message: problem })
      }
      if (action.type === 'plugin') {
        const plugin = this.plugins.action(action.name)
        if (!plugin) {
          const known = this.plugins.actionNames()
          errors.push({
            path: `${path}.name`,
            message: `no plugin adds this action${known.length ? ` (known: ${known.join(', ')})` : ''}`,
          })
          return
        }
        const parsed = plugin.params.safeParse(action.params)
        if (!parsed.success) {
          for (const issue of parsed.error.issues) {
            errors.push({
              path: [path, 'params', ...issue.path.map(String)].join('.'),
              message: issue.message,
            })
          }
        }
      }
    })
    if (errors.length > 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        `The request is not valid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        errors,
      )
    }
  }

  // ---- settings ----

  /** The bot settings of a scope (`instance` or an account id): those set there and those in force. */
  async settings(
    scope: string,
  ): Promise<{ scope: string; settings: StoredBotSettings; effective: BotSettings }> {
    if (scope !== 'instance') await this.deps.accounts.get(scope)
    const instance = await botRepo.readScope(this.deps.db, 'instance')
    const own = scope === 'instance' ? instance : await botRepo.readScope(this.deps.db, scope)
    return {
      scope,
      settings: own,
      effective: effectiveSettings(instance, scope === 'instance' ? {} : own),
    }
  }

  async changeSettings(scope: string, change: BotSettingsInput) {
    if (scope !== 'instance') await this.deps.accounts.get(scope)
    await transaction(this.deps.db, async (trx) => {
      const stored = await botRepo.readScope(trx, scope)
      await botRepo.writeScope(trx, scope, applySettingsChange(stored, change))
      await botRepo.bumpVersion(trx)
    })
    this.rulebook.invalidate()
    return this.settings(scope)
  }

  // ---- commands ----

  listCommands(language: Parameters<typeof localize>[1] = 'en'): CommandInfo[] {
    return this.commands.list().map((c: Command) => ({
      name: c.name,
      usage: c.usage ?? c.name,
      summary: localize(c.summary, language),
      permission: c.permission ?? 'anyone',
      source: this.builtinNames.has(c.name) ? 'builtin' : 'plugin',
    }))
  }

  // ---- dispatch ----

  /**
   * The `message.process` job: the bot's answer to one inbound message. (The queue runs the
   * jobs of one conversation one at a time, in order: ingest enqueues them in its group.)
   */
  async process(job: Job<'message.process'>): Promise<void> {
    const { messageId, groupChat } = job.data
    const message = await this.deps.messages.get(messageId).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'MESSAGE_NOT_FOUND') return undefined
      throw err
    })
    if (!message || message.direction !== 'in') return
    const input: DispatchInput = { message, ...(groupChat ? { group: groupChat } : {}) }
    const decision = await this.dispatcher
      .dispatch(input, { dryRun: false })
      .catch((err: unknown) => {
        // The account was deleted since: there is nobody to answer for.
        if (err instanceof AppError && err.code === 'ACCOUNT_NOT_FOUND') return undefined
        throw err
      })
    this.deps.logger.debug({ messageId, decision }, 'bot decided')
  }

  /** What the bot would do with a message, without sending or changing anything. */
  async simulate(input: SimulateInput): Promise<Decision> {
    const account = await this.deps.accounts.get(input.accountId)
    const phone = normalizePhone(input.from, 'body.from')
    const { contact, conversation } = await botRepo.findParties(this.deps.db, account.id, {
      phone,
    })
    const now = new Date().toISOString()
    // A message as it would be stored; it has no id (it is not stored).
    const message: Message = {
      id: '',
      accountId: account.id,
      conversationId: conversation?.id ?? '',
      contactId: contact?.id ?? '',
      phone,
      direction: 'in',
      type: input.type,
      text: input.text ?? null,
      content: null,
      status: 'received',
      error: null,
      externalId: null,
      createdAt: now,
      updatedAt: now,
      sentAt: null,
      deliveredAt: null,
      readAt: null,
    }
    return this.dispatcher.dispatch(
      { message, ...(input.group ? { group: input.group } : {}) },
      { dryRun: true },
    )
  }
}

/** A webhook action given without its secret keeps the one it had for the same URL. */
function keepSecrets(next: RuleAction[], before: readonly RuleAction[]): RuleAction[] {
  return next.map((action) => {
    if (action.type !== 'webhook' || action.secret !== undefined) return action
    const earlier = before.find(
      (a): a is Extract<RuleAction, { type: 'webhook' }> =>
        a.type === 'webhook' && a.url === action.url && a.secret !== undefined,
    )
    return earlier ? { ...action, secret: earlier.secret } : action
  })
}
