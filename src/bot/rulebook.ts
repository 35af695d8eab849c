import type { Db } from '../platform/db/index.js'
import type { Logger } from '../platform/logging.js'
import * as botRepo from './bot.repo.js'
import {
  compileMatch,
  foldText,
  matchKeys,
  MatchIndex,
  type CompiledMatch,
  type MatchKeys,
} from './matcher.js'
import * as rulesRepo from './rules.repo.js'
import type { Rule } from './rules.schemas.js'
import { regexProblem } from './safe-regex.js'
import { effectiveSettings, type BotSettings, type StoredBotSettings } from './settings.schemas.js'

/** A rule ready to try: its match compiled once. */
export interface CompiledRule {
  rule: Rule
  match: CompiledMatch
  keys: MatchKeys
}

/** Opt-out and opt-in keywords, folded, with the language each belongs to. */
export interface OptKeywords {
  stop: Map<string, string>
  start: Map<string, string>
  /** The longest keyword's length: a longer message is no keyword (and need not be folded). */
  longest: number
}

/** The bot's rules and settings as one process sees them at one time. */
export class BotSnapshot {
  private readonly perAccount = new Map<string, MatchIndex<Rule>>()
  private readonly settings = new Map<string, BotSettings>()
  private readonly keywords = new WeakMap<BotSettings, OptKeywords>()

  constructor(
    readonly version: number,
    private readonly rules: readonly CompiledRule[],
    private readonly stored: ReadonlyMap<string, StoredBotSettings>,
  ) {}

  /** The enabled rules that apply to an account, in the order they are tried. */
  rulesFor(accountId: string): MatchIndex<Rule> {
    let index = this.perAccount.get(accountId)
    if (!index) {
      index = new MatchIndex(
        this.rules
          .filter((r) => r.rule.accountId === null || r.rule.accountId === accountId)
          .map((r) => ({ item: r.rule, match: r.match, keys: r.keys })),
      )
      this.perAccount.set(accountId, index)
    }
    return index
  }

  settingsFor(accountId: string): BotSettings {
    let settings = this.settings.get(accountId)
    if (!settings) {
      settings = effectiveSettings(
        this.stored.get('instance') ?? {},
        this.stored.get(accountId) ?? {},
      )
      this.settings.set(accountId, settings)
    }
    return settings
  }

  optKeywords(settings: BotSettings): OptKeywords {
    let keywords = this.keywords.get(settings)
    if (!keywords) {
      const fold = (byLanguage: Record<string, string[]>) => {
        const map = new Map<string, string>()
        for (const [language, words] of Object.entries(byLanguage)) {
          for (const word of words) if (!map.has(foldText(word))) map.set(foldText(word), language)
        }
        return map
      }
      const stop = fold(settings.optOut.stopKeywords)
      const start = fold(settings.optOut.startKeywords)
      // Folding shortens a text by its marks and repeated spaces only: a message over twice
      // the longest keyword (and some) cannot fold into one.
      const longest = 2 * Math.max(0, ...[...stop.keys(), ...start.keys()].map((k) => k.length)) + 8
      keywords = { stop, start, longest }
      this.keywords.set(settings, keywords)
    }
    return keywords
  }
}

/**
 * Keeps the compiled rules and the bot settings. Every change (in any process) bumps a
 * counter in the database; the snapshot is re-read when the counter moved, checked at most
 * once per `checkEveryMs`. Writes in this process are seen at once.
 */
export class Rulebook {
  private snapshot: BotSnapshot | undefined
  private checkedAt = 0
  private loading: Promise<BotSnapshot> | undefined
  /** Bumped by every write in this process. */
  private generation = 0

  constructor(private readonly deps: { db: Db; logger: Logger; checkEveryMs?: number }) {}

  async current(): Promise<BotSnapshot> {
    const now = Date.now()
    if (this.snapshot && now - this.checkedAt < (this.deps.checkEveryMs ?? 1000)) {
      return this.snapshot
    }
    if (!this.loading) {
      const loading = this.refresh().finally(() => {
        if (this.loading === loading) this.loading = undefined
      })
      this.loading = loading
    }
    return this.loading
  }

  /** Forgets the snapshot (after a write here): the next message reads the rules again. */
  invalidate(): void {
    this.generation++
    this.snapshot = undefined
    this.checkedAt = 0
    // A load already running may have read the rules before the write: not waited for.
    this.loading = undefined
  }

  private async refresh(): Promise<BotSnapshot> {
    const generation = this.generation
    const version = await botRepo.readVersion(this.deps.db)
    if (generation === this.generation) this.checkedAt = Date.now()
    if (this.snapshot && this.snapshot.version === version) return this.snapshot
    const [rules, stored] = await Promise.all([
      rulesRepo.listRules(this.deps.db, { enabledOnly: true }),
      botRepo.readSettings(this.deps.db),
    ])
    const compiled: CompiledRule[] = []
    for (const rule of rules) {
      try {
        // Written rules were checked; this guards rows that reached the table another way.
        const values = rule.match.type === 'regex' ? [rule.match.value ?? []].flat() : []
        const problem = values.map(regexProblem).find((p) => p !== undefined)
        if (problem) throw new Error(`its pattern ${problem}`)
        compiled.push({ rule, match: compileMatch(rule.match), keys: matchKeys(rule.match) })
      } catch (err) {
        this.deps.logger.warn({ err, ruleId: rule.id }, 'rule cannot be compiled; skipped')
      }
    }
    const snapshot = new BotSnapshot(version, compiled, stored)
    // Kept only if no write here happened meanwhile (else it may predate the write).
    if (generation === this.generation) this.snapshot = snapshot
    return snapshot
  }
}
