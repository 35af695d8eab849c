import type { AccountsService } from '../accounts/index.js'
import type { Message, MessagesService } from '../messages/index.js'
import type { Db } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import { newId } from '../platform/ids.js'
import type { Logger } from '../platform/logging.js'
import type { Job } from '../platform/queue/index.js'
import { accountCommands } from './account-commands.js'
import type { FlowRuntime, FlowTriggers } from './flows/index.js'
import { builtinCommands, parseArgs, type Command } from './commands.js'
import { matches } from './matcher.js'
import * as repo from './rules.repo.js'
import type { CreateRuleInput, Rule, UpdateRuleInput } from './rules.schemas.js'

export interface BotDeps {
  db: Db
  accounts: AccountsService
  messages: MessagesService
  logger: Logger
  /** What starts a command; default "!". */
  commandPrefix?: string
  /** Conversation flows: an active flow, or one a keyword starts, answers before the rules. */
  flows?: FlowRuntime & FlowTriggers
  /** Commands other modules add (e.g. `!remind` from schedules). */
  commands?: readonly Command[]
}

/** How long the rule list is trusted before it is read again (other processes may edit it). */
const RULES_TTL_MS = 5_000

export const greetingRule: CreateRuleInput = {
  name: 'Greeting',
  accountId: null,
  match: { type: 'keyword', value: ['hi', 'hello'] },
  actions: [{ type: 'reply', text: 'Hello! How can I help? Send !help to see what I can do.' }],
  priority: 0,
  enabled: true,
}

/** What the bot decided for one message. */
export type BotDecision =
  | { kind: 'command'; command: string; replies: string[] }
  | { kind: 'rule'; ruleId: string; replies: string[] }
  | { kind: 'none'; reason: string }

/**
 * The bot: for each inbound message, a command (`!help`, `!ping`, …) or else the first
 * auto-reply rule that matches; replies go out through the message pipeline.
 */
export class BotService {
  private readonly commands: Command[]
  private rules: { at: number; list: Rule[] } | undefined
  private readonly prefix: string

  constructor(private readonly deps: BotDeps) {
    this.prefix = deps.commandPrefix ?? '!'
    this.commands = [
      ...builtinCommands,
      ...accountCommands(deps.accounts),
      ...(deps.commands ?? []),
    ]
  }

  // ---- rules ----

  async createRule(input: CreateRuleInput): Promise<Rule> {
    if (input.accountId !== null) await this.deps.accounts.get(input.accountId)
    const rule = await repo.insertRule(this.deps.db, newId(), input)
    this.rules = undefined
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
    const rule = await repo.updateRule(this.deps.db, id, change)
    if (!rule) throw new AppError('RULE_NOT_FOUND', `No rule has the id ${id}`)
    this.rules = undefined
    return rule
  }

  async deleteRule(id: string): Promise<void> {
    if (!(await repo.deleteRule(this.deps.db, id))) {
      throw new AppError('RULE_NOT_FOUND', `No rule has the id ${id}`)
    }
    this.rules = undefined
  }

  // ---- dispatch ----

  /** The `message.process` job: decide and send the bot's answer to one inbound message. */
  async process(job: Job<'message.process'>): Promise<void> {
    const message = await this.deps.messages.get(job.data.messageId).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'MESSAGE_NOT_FOUND') return undefined
      throw err
    })
    if (!message || message.direction !== 'in') return
    if (await repo.isBotPaused(this.deps.db, message.conversationId)) return
    if (await this.flowAnswers(message)) return
    const decision = await this.decide(message)
    if (decision.kind === 'none') return
    this.deps.logger.debug({ messageId: message.id, decision }, 'bot answers')
    // Each reply's idempotency key ties it to this message, so a retried job never
    // answers twice.
    for (const [i, text] of decision.replies.entries()) {
      await this.deps.messages.send(
        { accountId: message.accountId, to: message.phone, type: 'text', text },
        { idempotencyKey: `bot:${message.id}:${i}` },
      )
    }
  }

  /**
   * Conversation flows, after commands and before the rules: the conversation's active flow
   * handles the message, else a flow whose keyword it contains starts. (The flow engine
   * sends its own messages.) Whether a flow took the message.
   */
  private async flowAnswers(message: Message): Promise<boolean> {
    const flows = this.deps.flows
    if (!flows || message.text?.trim().startsWith(this.prefix)) return false
    if (await flows.handle(message)) return true
    const trigger = await flows.matchTrigger(message)
    if (!trigger) return false
    await flows.start(message, trigger.flowId)
    return true
  }

  /** What the bot would answer to a message, without sending anything. */
  async decide(
    message: Pick<Message, 'accountId' | 'phone' | 'text' | 'createdAt'>,
  ): Promise<BotDecision> {
    const text = message.text?.trim()
    if (!text) return { kind: 'none', reason: 'no text' }
    if (text.startsWith(this.prefix)) {
      const [name = '', ...args] = parseArgs(text.slice(this.prefix.length))
      const command = this.commands.find((c) => c.name === name.toLowerCase())
      if (!command) {
        return {
          kind: 'command',
          command: name,
          replies: [
            `I don't know the command ${this.prefix}${name}. Send ${this.prefix}help to see what I can do.`,
          ],
        }
      }
      const account =
        this.deps.accounts.live(message.accountId) ??
        (await this.deps.accounts.get(message.accountId))
      const isAdmin = account.settings.adminNumbers.includes(message.phone)
      if (command.permission === 'admin' && !isAdmin) {
        return {
          kind: 'command',
          command: command.name,
          replies: [
            `Only this account's admins can use ${this.prefix}${command.name}. Send ${this.prefix}help to see what you can do.`,
          ],
        }
      }
      const reply = await command.run({
        args,
        from: message.phone,
        accountId: message.accountId,
        receivedAt: message.createdAt,
        commands: this.commands.filter((c) => c.permission !== 'admin' || isAdmin),
        prefix: this.prefix,
      })
      return { kind: 'command', command: command.name, replies: [reply] }
    }
    for (const rule of await this.activeRules()) {
      if (rule.accountId !== null && rule.accountId !== message.accountId) continue
      if (!matches(rule.match, text)) continue
      return {
        kind: 'rule',
        ruleId: rule.id,
        replies: rule.actions.filter((a) => a.type === 'reply').map((a) => a.text),
      }
    }
    return { kind: 'none', reason: 'no command or rule matched' }
  }

  private async activeRules(): Promise<Rule[]> {
    if (this.rules && Date.now() - this.rules.at < RULES_TTL_MS) return this.rules.list
    const list = await repo.listRules(this.deps.db, { enabledOnly: true })
    this.rules = { at: Date.now(), list }
    return list
  }
}
