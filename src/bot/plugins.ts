import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { z } from 'zod'
import type { Message } from '../messages/index.js'
import type { Logger } from '../platform/logging.js'
import type { Command } from './commands.js'
import type { Decision, FlowRegistry } from './dispatcher.js'
import type { ReplyContent } from './rules.schemas.js'

/** What a plugin's rule action is given when its rule fires. */
export interface PluginActionContext {
  message: Message
  rule: { id: string; name: string }
  logger: Logger
}

/** A rule action type a plugin adds; rules call it as `{ type: 'plugin', name: '<plugin>.<name>', params }`. */
export interface PluginAction<S extends z.ZodType = z.ZodType> {
  /** Lower case letters, digits and dashes; the rule names it `<plugin>.<name>`. */
  name: string
  /** Checks the action's `params` when a rule is written. */
  params: S
  /** Does the action; may answer with replies, which go out like a rule's replies. */
  run(
    params: z.output<S>,
    ctx: PluginActionContext,
  ): void | ReplyContent[] | Promise<void | ReplyContent[]>
}

/** Before the dispatcher decides: return `'stop'` to leave the message unanswered. */
export type BeforeDispatchHook = (event: {
  message: Message
  dryRun: boolean
}) => void | 'stop' | Promise<void | 'stop'>

/** After the dispatcher decided (and, unless a dry run, acted). */
export type AfterDispatchHook = (event: {
  message: Message
  decision: Decision
  dryRun: boolean
}) => void | Promise<void>

/** What a plugin's `setup` may do. */
export interface PluginApi {
  /** The plugin's name. */
  readonly name: string
  /** A logger naming the plugin. */
  readonly logger: Logger
  addCommand(command: Command): void
  addAction<S extends z.ZodType>(action: PluginAction<S>): void
  beforeDispatch(hook: BeforeDispatchHook): void
  afterDispatch(hook: AfterDispatchHook): void
  /**
   * Registers a conversation flow defined in code (the flows module's `defineFlow`
   * shape). Throws when this Linda has no flow registry.
   */
  addFlow(definition: unknown): void
}

export interface Plugin {
  /** Lower case letters, digits and dashes; names its actions and its log lines. */
  name: string
  setup(api: PluginApi): void | Promise<void>
}

/** Types a plugin: `export default definePlugin({ name: 'crm', setup(api) { … } })`. */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin
}

const pluginShape = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lower case letters, digits and dashes'),
  setup: z.custom<Plugin['setup']>((v) => typeof v === 'function', 'must be a function'),
})

/** How long a plugin's setup, hook or action may take before it is given up on. */
export const PLUGIN_TIMEOUT_MS = 2_000

/** Runs `work`, rejecting when it takes longer than `ms` (the work itself cannot be stopped). */
export function withTimeout<T>(work: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)
    Promise.resolve()
      .then(work)
      .then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (err: unknown) => {
          clearTimeout(timer)
          reject(err instanceof Error ? err : new Error(String(err)))
        },
      )
  })
}

interface Registered<T> {
  plugin: string
  value: T
}

/**
 * What plugins added, and the isolation around them: a plugin that throws or hangs in a
 * hook or action is logged and skipped, and the pipeline goes on.
 */
export class PluginHost {
  readonly loaded: string[] = []
  readonly failed: Array<{ file: string; error: string }> = []
  private readonly actions = new Map<string, Registered<PluginAction>>()
  private readonly before: Array<Registered<BeforeDispatchHook>> = []
  private readonly after: Array<Registered<AfterDispatchHook>> = []

  constructor(
    private readonly deps: {
      logger: Logger
      /** Where plugins' commands go (it refuses a name already taken). */
      addCommand(command: Command): void
      flows?: FlowRegistry
      timeoutMs?: number
    },
  ) {}

  private get timeoutMs(): number {
    return this.deps.timeoutMs ?? PLUGIN_TIMEOUT_MS
  }

  /** Sets a plugin up; what it registered counts only if its setup succeeds. */
  async install(plugin: Plugin): Promise<void> {
    const checked = pluginShape.safeParse(plugin)
    if (!checked.success) {
      const issue = checked.error.issues[0]
      throw new Error(`not a plugin: ${issue?.path.join('.') || 'export'} ${issue?.message ?? ''}`)
    }
    if (this.loaded.includes(plugin.name)) {
      throw new Error(`a plugin named "${plugin.name}" is already loaded`)
    }
    const logger = this.deps.logger.child({ plugin: plugin.name })
    const staged = {
      commands: [] as Command[],
      actions: [] as PluginAction[],
      before: [] as BeforeDispatchHook[],
      after: [] as AfterDispatchHook[],
      flows: [] as unknown[],
    }
    const api: PluginApi = {
      name: plugin.name,
      logger,
      addCommand: (command) => void staged.commands.push(command),
      addAction: (action) => {
        if (!/^[a-z][a-z0-9-]{0,31}$/.test(action.name)) {
          throw new Error(
            `the action name "${action.name}" must be lower case letters, digits and dashes`,
          )
        }
        staged.actions.push(action as unknown as PluginAction)
      },
      beforeDispatch: (hook) => void staged.before.push(hook),
      afterDispatch: (hook) => void staged.after.push(hook),
      addFlow: (definition) => {
        if (!this.deps.flows) throw new Error('this Linda has no flow registry')
        staged.flows.push(definition)
      },
    }
    await withTimeout(() => plugin.setup(api), this.timeoutMs * 2, `plugin ${plugin.name} setup`)
    for (const command of staged.commands) this.deps.addCommand(command)
    for (const definition of staged.flows) this.deps.flows?.register(definition)
    for (const action of staged.actions) {
      this.actions.set(`${plugin.name}.${action.name}`, { plugin: plugin.name, value: action })
    }
    for (const hook of staged.before) this.before.push({ plugin: plugin.name, value: hook })
    for (const hook of staged.after) this.after.push({ plugin: plugin.name, value: hook })
    this.loaded.push(plugin.name)
    logger.info(
      { commands: staged.commands.length, actions: staged.actions.length },
      'plugin loaded',
    )
  }

  /** Loads every plugin module (`.js`, `.mjs`, `.ts`, `.mts`) of a directory; a missing directory is none. */
  async loadDir(dir: string): Promise<void> {
    let files: string[]
    try {
      files = (await readdir(dir)).filter((f) => /\.(m?js|m?ts)$/.test(f) && !f.endsWith('.d.ts'))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    for (const file of files.sort()) {
      const path = join(dir, file)
      try {
        await this.install(pluginOf(await importModule(path)))
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err)
        this.failed.push({ file: path, error })
        this.deps.logger.error(
          { err, file: path },
          'plugin failed to load; Linda goes on without it',
        )
      }
    }
  }

  /** The schema of a plugin action's params, or undefined when no plugin adds it. */
  action(name: string): PluginAction | undefined {
    return this.actions.get(name)?.value
  }

  actionNames(): string[] {
    return [...this.actions.keys()]
  }

  /** Runs a plugin action within the timeout; throws what it threw. */
  async runAction(
    name: string,
    params: unknown,
    ctx: PluginActionContext,
  ): Promise<ReplyContent[]> {
    const action = this.actions.get(name)
    if (!action) throw new Error(`no plugin adds the action ${name}`)
    const parsed = action.value.params.parse(params)
    const result = await withTimeout(
      () => action.value.run(parsed, ctx),
      this.timeoutMs,
      `plugin action ${name}`,
    )
    return Array.isArray(result) ? result : []
  }

  /** Runs the before hooks; the name of the plugin that stopped the message, if one did. */
  async runBefore(message: Message, dryRun: boolean): Promise<string | undefined> {
    for (const hook of this.before) {
      try {
        const result = await withTimeout(
          () => hook.value({ message, dryRun }),
          this.timeoutMs,
          `plugin ${hook.plugin} beforeDispatch`,
        )
        if (result === 'stop') return hook.plugin
      } catch (err) {
        this.deps.logger.error({ err, plugin: hook.plugin }, 'plugin hook failed; skipped')
      }
    }
    return undefined
  }

  async runAfter(message: Message, decision: Decision, dryRun: boolean): Promise<void> {
    for (const hook of this.after) {
      try {
        await withTimeout(
          () => hook.value({ message, decision, dryRun }),
          this.timeoutMs,
          `plugin ${hook.plugin} afterDispatch`,
        )
      } catch (err) {
        this.deps.logger.error({ err, plugin: hook.plugin }, 'plugin hook failed; skipped')
      }
    }
  }
}

type Exports = { default?: unknown; plugin?: unknown } | undefined

/**
 * The plugin a module exports (`export default` or `export const plugin`). A TypeScript
 * file outside an ESM package is loaded as CommonJS, which wraps its exports once more.
 */
function pluginOf(module: unknown): Plugin {
  const exports = module as Exports
  let candidate = exports?.default ?? exports?.plugin
  const inner = candidate as Exports & { setup?: unknown }
  if (inner && typeof inner === 'object' && !('setup' in inner)) {
    candidate = inner.default ?? inner.plugin ?? candidate
  }
  return candidate as Plugin
}

async function importModule(path: string): Promise<unknown> {
  if (/\.m?ts$/.test(path)) {
    // TypeScript plugins are compiled on the fly by tsx (a dependency already).
    const { tsImport } = await import('tsx/esm/api')
    return tsImport(pathToFileURL(path).href, import.meta.url)
  }
  return import(pathToFileURL(path).href)
}
