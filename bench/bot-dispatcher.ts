// The bot dispatcher with 1,000 enabled rules and 50 flows: how many messages per second it
// evaluates in process, and how long matching one message against every rule takes (p99).
// Nothing is sent: the dispatcher runs as `POST /bot/simulate` does (dry run), reading
// contacts, conversations and flow sessions from SQLite and trying the flows' triggers.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createLinda } from '../src/app.js'
import { conditionsHold, type ConditionFacts } from '../src/bot/conditions.js'
import { compileMatch, matchKeys, MatchIndex, prepareText } from '../src/bot/matcher.js'
import * as rulesRepo from '../src/bot/rules.repo.js'
import type { CreateRuleInput } from '../src/bot/rules.schemas.js'
import { loadConfig } from '../src/config.js'
import type { Message } from '../src/messages/index.js'
import { createLogger } from '../src/platform/logging.js'

export interface BotDispatcherResult {
  rules: number
  flows: number
  /** Whole dispatcher (contact and conversation reads, commands, rules), dry run. */
  dispatchPerSecond: number
  dispatchP99Ms: number
  /** The rule scan alone: every rule's match and conditions against one message. */
  matchPerSecond: number
  matchP50Ms: number
  matchP99Ms: number
}

const vocabulary = [
  'price',
  'order',
  'refund',
  'delivery',
  'hours',
  'address',
  'menu',
  'table',
  'booking',
  'cancel',
  'invoice',
  'discount',
  'coupon',
  'size',
  'colour',
  'stock',
  'warranty',
  'repair',
  'pickup',
  'shipping',
  'tracking',
  'return',
  'exchange',
  'gift',
  'card',
  'payment',
  'cash',
  'promo',
  'offer',
  'sale',
  'hola',
  'olá',
  'bonjour',
  'مرحبا',
  'привет',
  'café',
  'crème',
]

function rulesFor(count: number, accountId: string): CreateRuleInput[] {
  const rules: CreateRuleInput[] = []
  for (let i = 0; i < count; i++) {
    const word = `${vocabulary[i % vocabulary.length]}${Math.floor(i / vocabulary.length)}`
    const kind = i % 10
    const match: CreateRuleInput['match'] =
      kind < 6
        ? { type: 'keyword', value: [word, `${word} please`] }
        : kind < 8
          ? { type: 'contains', value: word }
          : kind < 9
            ? { type: 'exact', value: word }
            : { type: 'regex', value: `^${word} #?\\d{3,6}$` }
    rules.push({
      name: `rule ${i}`,
      accountId: i % 3 === 0 ? null : accountId,
      match,
      conditions:
        i % 4 === 0
          ? {
              languages: ['en', 'es'],
              businessHours: { days: [1, 2, 3, 4, 5], from: '08:00', to: '20:00', inside: true },
            }
          : i % 4 === 1
            ? { tags: { none: ['blocked'] } }
            : {},
      actions: [{ type: 'reply', text: `answer ${i}` }],
      priority: i % 50,
      enabled: true,
      cooldownSeconds: 0,
    })
  }
  return rules
}

/** Messages people write: most match no rule (the slowest case: every rule is tried). */
function corpus(n: number): string[] {
  const texts: string[] = []
  for (let i = 0; i < n; i++) {
    const r = i % 20
    if (r === 0) texts.push(`I would like a refund${i % 37} please`)
    else if (r === 1) texts.push(`${vocabulary[i % vocabulary.length]}${i % 27}`)
    else
      texts.push(
        `Hello, I have a question about my ${vocabulary[(i * 7) % vocabulary.length]} from last week, can you help? (${i})`,
      )
  }
  return texts
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits

export async function benchBotDispatcher(options: {
  rules: number
  flows: number
  messages: number
  log: (line: string) => void
}): Promise<BotDispatcherResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'linda-bench-bot-'))
  const config = loadConfig({ dataDir, port: 0 }, { LINDA_LOG_LEVEL: 'silent' })
  const linda = await createLinda(config, { logger: createLogger('silent') })
  try {
    const account = (await linda.accounts.list({ limit: 10 }))[0]!
    options.log(`bot: creating ${options.rules} rules…`)
    for (const rule of rulesFor(options.rules, account.id)) await linda.bot.createRule(rule)
    // Flows whose keywords no message of the run contains: every message tries them all.
    for (let i = 0; i < options.flows; i++) {
      linda.flows.registerFlow({
        id: `flow-${i}`,
        name: `Flow ${i}`,
        keywords: [`keyword${i}`, `two words${i}`, `menu ${i}`],
        steps: [{ id: 'q', type: 'ask', text: 'Yes?', var: 'answer' }],
      })
    }

    // Known contacts with conversations, as a running Linda has them.
    const phones = Array.from({ length: 200 }, (_, i) => `+1555${String(2000000 + i)}`)
    for (const [i, from] of phones.entries()) {
      await linda.messages.ingest(account, {
        externalId: `bench-${i}`,
        from,
        type: 'text',
        text: 'first',
        timestamp: new Date().toISOString(),
      })
    }
    const texts = corpus(options.messages)
    const now = new Date().toISOString()
    const message = (i: number): Message => ({
      id: '',
      accountId: account.id,
      conversationId: '',
      contactId: '',
      phone: phones[i % phones.length]!,
      direction: 'in',
      type: 'text',
      text: texts[i]!,
      content: null,
      status: 'received',
      error: null,
      externalId: null,
      createdAt: now,
      updatedAt: now,
      sentAt: null,
      deliveredAt: null,
      readAt: null,
    })

    // ---- the rule scan alone ----
    const stored = await rulesRepo.listRules(linda.db.db, { enabledOnly: true })
    // The index the dispatcher tries rules through (keyword and exact rules by their words).
    const index = new MatchIndex(
      stored
        .filter((r) => r.accountId === null || r.accountId === account.id)
        .map((rule) => ({
          item: rule,
          match: compileMatch(rule.match),
          keys: matchKeys(rule.match),
        })),
    )
    const facts: ConditionFacts = {
      timezone: 'UTC',
      now: new Date(),
      contactLanguage: 'en',
      tags: ['vip'],
      messageType: 'text',
      firstMessage: () => Promise.resolve(false),
    }
    const scan = (text: string) => {
      const input = prepareText(text)
      for (const rule of index.matching(input)) {
        if (conditionsHold(rule.conditions, facts) === true) return rule
      }
      return undefined
    }
    for (let i = 0; i < Math.min(2000, texts.length); i++) scan(texts[i]!) // warm up
    const matchTimes: number[] = []
    const matchStart = performance.now()
    for (const text of texts) {
      const t0 = performance.now()
      scan(text)
      matchTimes.push(performance.now() - t0)
    }
    const matchSeconds = (performance.now() - matchStart) / 1000
    matchTimes.sort((a, b) => a - b)

    // ---- the whole dispatcher, dry run ----
    options.log(`bot: dispatching ${options.messages} messages (dry run)…`)
    for (let i = 0; i < 500; i++) {
      await linda.bot.dispatcher.dispatch({ message: message(i) }, { dryRun: true })
    }
    const dispatchTimes: number[] = []
    const dispatchStart = performance.now()
    for (let i = 0; i < options.messages; i++) {
      const t0 = performance.now()
      await linda.bot.dispatcher.dispatch({ message: message(i) }, { dryRun: true })
      dispatchTimes.push(performance.now() - t0)
    }
    const dispatchSeconds = (performance.now() - dispatchStart) / 1000
    dispatchTimes.sort((a, b) => a - b)

    return {
      rules: options.rules,
      flows: options.flows,
      dispatchPerSecond: Math.round(options.messages / dispatchSeconds),
      dispatchP99Ms: round(percentile(dispatchTimes, 99)),
      matchPerSecond: Math.round(texts.length / matchSeconds),
      matchP50Ms: round(percentile(matchTimes, 50)),
      matchP99Ms: round(percentile(matchTimes, 99)),
    }
  } finally {
    await linda.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
