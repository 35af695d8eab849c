import type { Account, AccountsService } from '../accounts/index.js'
import { pickLanguage, translate, type Language } from '../i18n/index.js'
import type { Message, MessagesService } from '../messages/index.js'
import type { Db } from '../platform/db/index.js'
import type { Logger } from '../platform/logging.js'
import type { OutboundContent } from '../transports/index.js'
import * as repo from './bot.repo.js'
import { parseArgs, type Command, type CommandRegistry } from './commands.js'
import { conditionsHold, type ConditionFacts } from './conditions.js'
import { foldText, prepareText, type MatchIndex } from './matcher.js'
import type { PluginHost } from './plugins.js'
import type { OptKeywords, Rulebook } from './rulebook.js'
import type { ReplyContent, Rule, RuleAction } from './rules.schemas.js'
import type { BotSettings } from './settings.schemas.js'
import { callWebhook } from './webhook.js'

// ---- the seam with conversation flows (src/bot/flows, built separately) ----

/** What a flow did (or, in a dry run, would do) with a message. */
export interface FlowOutcome {
  flowId: string
  /** The step the conversation is at after the message. */
  stepId: string
  /** The flow ended with this message. */
  ended: boolean
  /** What the flow sent (or would send). The flow engine sends them itself. */
  sends: OutboundContent[]
}

/**
 * Conversation flows, as the dispatcher calls them. The flow engine implements it; a Linda
 * without flows uses `noFlows`.
 */
export interface FlowRuntime {
  /** The conversation's active flow handles this inbound message; null when none is active. */
  handle(message: Message, options?: { dryRun?: boolean }): Promise<FlowOutcome | null>
  /** Starts a flow for the message's conversation (from a rule action, a command, the API). */
  start(
    message: Message,
    flowId: string,
    options?: { dryRun?: boolean; vars?: Record<string, unknown> },
  ): Promise<FlowOutcome>
  /** The flow whose trigger keywords this message matches, if any. */
  matchTrigger?(message: Message): Promise<{ flowId: string } | null>
}

/** Where plugins register flows defined in code (the flow engine provides it). */
export interface FlowRegistry {
  register(definition: unknown): void
}

/** The runtime of a Linda without conversation flows: no conversation is ever in one. */
export const noFlows: FlowRuntime = {
  handle: () => Promise.resolve(null),
  start: (_message, flowId) =>
    Promise.reject(new Error(`Cannot start flow ${flowId}: this Linda has no conversation flows`)),
}

// ---- decisions ----

export const handlers = [
  'ignored',
  'optOut',
  'optIn',
  'command',
  'flow',
  'rule',
  'fallback',
  'none',
] as const

/** What the bot decided for one message, and what it sent (or would send). */
export interface Decision {
  /** Which stage answered; `ignored`: the bot does not answer this message at all. */
  handledBy: (typeof handlers)[number]
  /** Why the message was ignored or nothing answered. */
  reason?: string
  /** The language of the bot's own texts for this contact. */
  language: Language
  command?: { name: string; known: boolean; allowed: boolean; ran: boolean; suggestion?: string }
  flow?: { flowId: string; stepId: string; ended: boolean; started: boolean }
  rule?: { id: string; name: string }
  /** Rules that matched but were cooling down for this contact. */
  cooledDown?: string[]
  /** Replies the dispatcher sends (flows' replies are in `flow` and sent by the flow engine). */
  sends: ReplyContent[]
  /** What else the bot did (or would do): tags, attributes, webhooks… */
  effects: Array<{ type: string; detail: string; error?: string }>
  /** A person took the conversation over: no automatic replies. */
  botPaused: boolean
  /** The conversation reached its cap of automatic replies this minute: nothing is sent. */
  loopGuard: boolean
}

/** An inbound message as the dispatcher gets it. */
export interface DispatchInput {
  message: Message
  /** Set for a message written in a group chat. */
  group?: { id: string; mentionsAccount: boolean }
}

export interface DispatcherDeps {
  db: Db
  accounts: AccountsService
  messages: MessagesService
  rulebook: Rulebook
  commands: CommandRegistry
  plugins: PluginHost
  flows: FlowRuntime
  logger: Logger
  /** Webhook actions may call loopback addresses (tests); default false. */
  webhooksAllowLoopback?: boolean
}

interface Context {
  input: DispatchInput
  message: Message
  account: Account
  settings: BotSettings
  contact: repo.ContactSnapshot | undefined
  conversation: repo.ConversationSnapshot | undefined
  decision: Decision
  dryRun: boolean
  text: string
  /** Automatic replies the conversation had this minute, before this message. */
  recentReplies: number
  /** Replies the flow engine sent for this message (they count for the loop guard). */
  flowSends?: number
}

const startsWithWord = /^[\p{L}\p{N}]/u

/**
 * The bot's decision for each inbound message, in order: opt-out and opt-in keywords,
 * commands, the conversation's flow (or a flow its trigger starts), auto-reply rules, the
 * fallback reply. In a dry run it reports what it would do and changes nothing.
 */
export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  async dispatch(input: DispatchInput, options: { dryRun: boolean }): Promise<Decision> {
    const { message } = input
    const dryRun = options.dryRun
    const snapshot = await this.deps.rulebook.current()
    const account =
      this.deps.accounts.live(message.accountId) ??
      (await this.deps.accounts.get(message.accountId))
    const settings = snapshot.settingsFor(account.id)
    const { db } = this.deps
    const { contact, conversation, recentReplies } = await repo.findParties(
      db,
      account.id,
      message.contactId ? { id: message.contactId } : { phone: message.phone },
    )
    const decision: Decision = {
      handledBy: 'none',
      language: pickLanguage(contact?.language, settings.defaultLanguage),
      sends: [],
      effects: [],
      botPaused: conversation?.botPaused ?? false,
      loopGuard: false,
    }
    const ctx: Context = {
      input,
      message,
      account,
      settings,
      contact,
      conversation,
      decision,
      dryRun,
      text: message.text?.trim() ?? '',
      recentReplies,
    }
    if (message.direction !== 'in' || message.phone === account.baileys?.phone) {
      return ignore(decision, "the account's own message")
    }
    const prefix = settings.commandPrefix
    const isCommand =
      ctx.text.startsWith(prefix) && startsWithWord.test(ctx.text.slice(prefix.length))
    if (input.group) {
      if (!settings.groups.enabled.includes(input.group.id)) {
        return ignore(decision, 'a group the bot is not enabled in')
      }
      if (settings.groups.replyWhen === 'mentioned' && !input.group.mentionsAccount && !isCommand) {
        return ignore(
          decision,
          'a group message that neither mentions the account nor is a command',
        )
      }
    }
    const stoppedBy = await this.deps.plugins.runBefore(message, dryRun)
    if (stoppedBy) return ignore(decision, `stopped by the plugin ${stoppedBy}`)

    if (await this.optOutOrIn(ctx, snapshot.optKeywords(settings))) {
      // Opting out or in is recorded even when the bot is paused or capped; the
      // confirmation is an automatic reply like any other.
    } else if (decision.botPaused) {
      decision.reason = 'the bot is paused in this conversation'
    } else if (recentReplies >= settings.maxAutoRepliesPerMinute) {
      decision.loopGuard = true
      decision.reason = `the conversation had ${settings.maxAutoRepliesPerMinute} automatic replies in the last minute`
    } else if (isCommand) {
      await this.command(ctx, ctx.text.slice(prefix.length))
    } else if (!(await this.flow(ctx))) {
      const fired = await this.rules(ctx, snapshot.rulesFor(account.id))
      if (!fired && settings.fallbackReply && !decision.cooledDown?.length) {
        decision.handledBy = 'fallback'
        decision.sends.push({ type: 'text', text: settings.fallbackReply })
      }
      if (decision.handledBy === 'none') decision.reason = 'no command, flow or rule matched'
    }
    await this.deliver(ctx)
    await this.deps.plugins.runAfter(message, decision, dryRun)
    return decision
  }

  // ---- stages ----

  private async optOutOrIn(ctx: Context, keywords: OptKeywords): Promise<boolean> {
    if (!ctx.settings.optOut.enabled || !ctx.text || ctx.text.length > keywords.longest) {
      return false
    }
    const folded = foldText(ctx.text)
    const stopLanguage = keywords.stop.get(folded)
    const startLanguage = stopLanguage === undefined ? keywords.start.get(folded) : undefined
    const keywordLanguage = stopLanguage ?? startLanguage
    if (keywordLanguage === undefined) return false
    const stop = stopLanguage !== undefined
    const { decision, contact } = ctx
    decision.handledBy = stop ? 'optOut' : 'optIn'
    decision.language = pickLanguage(
      contact?.language,
      keywordLanguage,
      ctx.settings.defaultLanguage,
    )
    let changed: boolean
    if (ctx.dryRun) changed = contact ? contact.optedOut !== stop : stop
    else
      changed = contact ? await repo.setOptedOut(this.deps.db, contact.id, stop, 'keyword') : false
    decision.effects.push({
      type: stop ? 'optOut' : 'optIn',
      detail: changed
        ? stop
          ? 'the contact is opted out of campaigns and schedules'
          : 'the contact is opted in again'
        : stop
          ? 'the contact was opted out already'
          : 'the contact was not opted out',
    })
    // One confirmation: a repeated STOP (or START) changes nothing and is not answered.
    if (changed && !decision.botPaused) {
      decision.sends.push({
        type: 'text',
        text: translate(decision.language, stop ? 'optout.confirmed' : 'optin.confirmed'),
      })
    }
    return true
  }

  private async command(ctx: Context, line: string): Promise<void> {
    const { decision, settings, account, message } = ctx
    const prefix = settings.commandPrefix
    const [rawName = '', ...args] = parseArgs(line)
    const name = rawName.toLowerCase()
    decision.handledBy = 'command'
    const isAdmin = account.settings.adminNumbers.includes(message.phone)
    const isTeam = isAdmin || settings.teamNumbers.includes(message.phone)
    const allowed = (c: Command) =>
      c.permission === 'admin' ? isAdmin : c.permission === 'team' ? isTeam : true
    const visible = this.deps.commands.list().filter(allowed)
    const command = this.deps.commands.get(name)
    const language = decision.language
    if (!command || !allowed(command)) {
      if (command && command.permission) {
        decision.command = { name, known: true, allowed: false, ran: false }
        decision.sends.push({
          type: 'text',
          text: translate(language, 'command.denied', {
            prefix,
            name: command.name,
            permission: command.permission,
          }),
        })
        return
      }
      const suggestion = this.deps.commands.closest(name, visible)
      decision.command = { name, known: false, allowed: true, ran: false, suggestion }
      decision.sends.push({
        type: 'text',
        text: translate(language, 'command.unknown', {
          prefix,
          name,
          suggestion: suggestion ?? 'none',
        }),
      })
      return
    }
    decision.command = { name: command.name, known: true, allowed: true, ran: false }
    if (ctx.dryRun && !command.pure) {
      decision.reason = 'the command changes things, so a simulation does not run it'
      return
    }
    let reply: string
    try {
      reply = await command.run({
        args,
        from: message.phone,
        accountId: account.id,
        contactId: ctx.contact?.id,
        receivedAt: message.createdAt,
        commands: visible,
        prefix,
        language,
        dryRun: ctx.dryRun,
        setLanguage: async (chosen) => {
          if (ctx.dryRun || !ctx.contact) return
          await repo.setLanguage(this.deps.db, ctx.contact.id, chosen)
          decision.effects.push({ type: 'setLanguage', detail: chosen })
        },
      })
      decision.command.ran = true
    } catch (err) {
      this.deps.logger.error(
        { err, command: command.name, messageId: message.id },
        'command failed',
      )
      reply = translate(language, 'command.failed', { prefix, name: command.name })
    }
    decision.sends.push({ type: 'text', text: reply })
  }

  private async flow(ctx: Context): Promise<boolean> {
    const { flows } = this.deps
    const options = { dryRun: ctx.dryRun }
    let outcome = await flows.handle(ctx.message, options)
    let started = false
    if (!outcome && flows.matchTrigger) {
      const trigger = await flows.matchTrigger(ctx.message)
      if (trigger) {
        outcome = await flows.start(ctx.message, trigger.flowId, options)
        started = true
      }
    }
    if (!outcome) return false
    this.recordFlow(ctx, outcome, started)
    ctx.decision.handledBy = 'flow'
    return true
  }

  private recordFlow(ctx: Context, outcome: FlowOutcome, started: boolean): void {
    ctx.decision.flow = {
      flowId: outcome.flowId,
      stepId: outcome.stepId,
      ended: outcome.ended,
      started,
    }
    ctx.flowSends = (ctx.flowSends ?? 0) + outcome.sends.length
  }

  private async rules(ctx: Context, rules: MatchIndex<Rule>): Promise<boolean> {
    if (rules.size === 0) return false
    const input = prepareText(ctx.text)
    const { contact, account, message, decision } = ctx
    let firstMessage: Promise<boolean> | undefined
    const facts: ConditionFacts = {
      timezone: account.settings.timezone,
      now: new Date(),
      contactLanguage: contact?.language ?? null,
      tags: contact?.tags ?? [],
      messageType: message.type,
      firstMessage: () =>
        (firstMessage ??=
          ctx.conversation && message.id
            ? repo
                .hasEarlierInbound(this.deps.db, ctx.conversation.id, message.id, message.createdAt)
                .then((earlier) => !earlier)
            : Promise.resolve(true)),
    }
    for (const rule of rules.matching(input)) {
      const holds = conditionsHold(rule.conditions, facts)
      if (!(typeof holds === 'boolean' ? holds : await holds)) continue
      if (rule.cooldownSeconds > 0 && contact && (await this.coolingDown(rule, contact.id))) {
        ;(decision.cooledDown ??= []).push(rule.id)
        continue
      }
      decision.handledBy = 'rule'
      decision.rule = { id: rule.id, name: rule.name }
      if (!ctx.dryRun && rule.cooldownSeconds > 0 && contact) {
        await repo.recordFire(this.deps.db, rule.id, contact.id)
      }
      for (const action of rule.actions) await this.act(ctx, rule, action)
      return true
    }
    return false
  }

  private async coolingDown(rule: Rule, contactId: string): Promise<boolean> {
    const last = (await repo.lastFires(this.deps.db, contactId, [rule.id])).get(rule.id)
    return last !== undefined && Date.now() - Date.parse(last) < rule.cooldownSeconds * 1000
  }

  /** One action of a rule; a failing action is recorded and the others still run. */
  private async act(ctx: Context, rule: Rule, action: RuleAction): Promise<void> {
    const { decision, dryRun, contact, conversation } = ctx
    const { db } = this.deps
    const effect = (detail: string) => {
      const entry: Decision['effects'][number] = { type: action.type, detail }
      decision.effects.push(entry)
      return entry
    }
    try {
      switch (action.type) {
        case 'reply':
          decision.sends.push(action.content ?? { type: 'text', text: action.text ?? '' })
          return
        case 'addTags':
        case 'removeTags': {
          effect(action.tags.join(', '))
          if (!contact) return
          const add = action.type === 'addTags'
          const change = (tags: string[]) =>
            add
              ? [...new Set([...tags, ...action.tags])]
              : tags.filter((t) => !action.tags.includes(t))
          // The snapshot follows, so that later actions (a webhook) see the contact as it is now.
          contact.tags = change(contact.tags)
          if (dryRun) return
          await repo.updateContactData(db, contact.id, (c) => ({ ...c, tags: change(c.tags) }))
          return
        }
        case 'setAttribute':
          effect(`${action.key} = ${JSON.stringify(action.value)}`)
          if (!contact) return
          contact.attributes = { ...contact.attributes, [action.key]: action.value }
          if (dryRun) return
          await repo.updateContactData(db, contact.id, (c) => ({
            ...c,
            attributes: { ...c.attributes, [action.key]: action.value },
          }))
          return
        case 'startFlow': {
          effect(action.flowId)
          const outcome = await this.deps.flows.start(ctx.message, action.flowId, { dryRun })
          this.recordFlow(ctx, outcome, true)
          return
        }
        case 'assign':
          effect(action.assigneeId)
          if (!dryRun && conversation) {
            await repo.assignConversation(db, conversation.id, action.assigneeId)
          }
          return
        case 'pauseBot':
          effect('a person takes the conversation over')
          if (!dryRun && conversation) await repo.setBotPaused(db, conversation.id, true)
          return
        case 'webhook': {
          const entry = effect(`POST ${action.url}`)
          if (dryRun) return
          try {
            await callWebhook({
              url: action.url,
              secret: action.secret,
              timeoutMs: action.timeoutMs,
              allowLoopback: this.deps.webhooksAllowLoopback,
              body: webhookBody(ctx, rule),
            })
          } catch (err) {
            entry.error = err instanceof Error ? err.message : String(err)
            this.deps.logger.warn({ err, ruleId: rule.id, url: action.url }, 'rule webhook failed')
          }
          return
        }
        case 'plugin': {
          const entry = effect(action.name)
          if (dryRun) return
          try {
            const replies = await this.deps.plugins.runAction(action.name, action.params, {
              message: ctx.message,
              rule: { id: rule.id, name: rule.name },
              logger: this.deps.logger.child({ pluginAction: action.name }),
            })
            decision.sends.push(...replies)
          } catch (err) {
            entry.error = err instanceof Error ? err.message : String(err)
            this.deps.logger.error(
              { err, ruleId: rule.id, action: action.name },
              'plugin action failed; skipped',
            )
          }
          return
        }
      }
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err)
      decision.effects.push({ type: action.type, detail: 'failed', error: detail })
      this.deps.logger.error({ err, ruleId: rule.id, action: action.type }, 'rule action failed')
    }
  }

  /** Sends the decision's replies (not in a dry run), within the loop guard, and counts them. */
  private async deliver(ctx: Context): Promise<void> {
    const { decision, message, conversation, settings } = ctx
    const flowSends = ctx.flowSends ?? 0
    if (ctx.dryRun || decision.sends.length + flowSends === 0) return
    if (decision.botPaused) {
      decision.sends = []
      return
    }
    let allowed = decision.sends.length
    if (conversation) {
      const used = ctx.recentReplies + flowSends
      allowed = Math.max(0, Math.min(allowed, settings.maxAutoRepliesPerMinute - used))
    }
    if (allowed < decision.sends.length) decision.loopGuard = true
    // Each reply's idempotency key ties it to this message, so a retried job never answers twice.
    for (const [i, content] of decision.sends.slice(0, allowed).entries()) {
      try {
        await this.deps.messages.send(
          { accountId: message.accountId, to: message.phone, ...content } as Parameters<
            MessagesService['send']
          >[0],
          { idempotencyKey: `bot:${message.id}:${i}` },
        )
      } catch (err) {
        decision.effects.push({
          type: 'send',
          detail: `reply ${i + 1}`,
          error: err instanceof Error ? err.message : String(err),
        })
        this.deps.logger.warn({ err, messageId: message.id }, 'bot reply refused')
      }
    }
    if (conversation) await repo.countReplies(this.deps.db, conversation.id, allowed + flowSends)
  }
}

function ignore(decision: Decision, reason: string): Decision {
  decision.handledBy = 'ignored'
  decision.reason = reason
  return decision
}

function webhookBody(ctx: Context, rule: Rule) {
  const { message, contact } = ctx
  return {
    event: 'rule.fired',
    rule: { id: rule.id, name: rule.name },
    message: {
      id: message.id,
      accountId: message.accountId,
      conversationId: message.conversationId,
      from: message.phone,
      type: message.type,
      text: message.text,
      createdAt: message.createdAt,
    },
    contact: contact && {
      id: contact.id,
      phone: contact.phone,
      name: contact.name,
      language: contact.language,
      tags: contact.tags,
      attributes: contact.attributes,
    },
  }
}
