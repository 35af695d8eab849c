import { join } from 'node:path'
import { AccountsService, accountsRoutes, cloudWebhookRoutes } from './accounts/index.js'
import { BotService, botRoutes, greetingRule, rulesRoutes } from './bot/index.js'
import { FlowsService, flowsRoutes, type CodeFlowInput } from './bot/flows/index.js'
import {
  CampaignsService,
  campaignsRoutes,
  ContactsAudience,
  TextRenderer,
} from './campaigns/index.js'
import { ensureDataDir, ensureSecretKey, type Config } from './config.js'
import {
  attributesRoutes,
  ContactsService,
  contactsRoutes,
  segmentsRoutes,
} from './contacts/index.js'
import { eventsRoutes } from './http/events.routes.js'
import { buildHttpServer } from './http/server.js'
import type { App } from './http/types.js'
import {
  LanguageDetector,
  LanguagesService,
  languagesRoutes,
  LibreTranslate,
} from './languages/index.js'
import { MediaStore, mediaRoutes } from './media/index.js'
import {
  MessagesService,
  messagesRoutes,
  sandboxRoutes,
  type SenderOptions,
} from './messages/index.js'
import { remindCommand, SchedulesService, schedulesRoutes } from './schedules/index.js'
import { healthRoutes, Metrics } from './monitoring/index.js'
import { migrateToLatest, nowIso, openDb, toJson, type DbHandle } from './platform/db/index.js'
import { LocalEventBus, type EventBus } from './platform/events/index.js'
import { lockDataDir } from './platform/instance-lock.js'
import { createLogger, type Logger } from './platform/logging.js'
import { SqlJobQueue, type JobQueue } from './platform/queue/index.js'
import {
  baileysCapabilities,
  BaileysSupervisor,
  DbAuthStore,
  LazyBaileysTransport,
  type BaileysSupervisorOptions,
  type MakeSocket,
} from './transports/baileys/light.js'
import { CloudTransport, cloudCapabilities } from './transports/cloud/index.js'
import { SandboxTransport, sandboxCapabilities } from './transports/sandbox/index.js'
import { TemplatesService, templatesRoutes } from './templates/index.js'
import {
  ApiKeysService,
  apiKeysRoutes,
  AuthService,
  authRoutes,
  UsersService,
  usersRoutes,
  type IssuedLink,
} from './users/index.js'
import { packageRoot } from './paths.js'
import { version } from './version.js'

export interface AppOptions {
  logger?: Logger
  /** Where the built dashboard is; default dist/web beside the sources. */
  webRoot?: string
  /** Queue tuning, for tests. */
  queue?: { pollIntervalMs?: number; retryBaseMs?: number }
  /** Concurrency of the sender and the bot workers. */
  concurrency?: { send?: number; process?: number }
  /** Sender timing (retry backoff, how often waiting sends look again), for tests. */
  sender?: SenderOptions
  /** Scheduler tuning, for tests: tick interval, and how late a run counts as missed. */
  schedules?: { tickMs?: number; missedAfterMs?: number }
  /** How WhatsApp Web sessions run; default each in a supervised worker, on Baileys' socket. */
  baileys?: BaileysOptions
}

/**
 * WhatsApp Web sessions: each in a worker thread of its own (the default), or in process
 * (`inline`: no isolation; tests of the transport itself). Tests give a fake socket — a
 * function in process, a module URL for workers — so that nothing reaches WhatsApp.
 */
export type BaileysOptions =
  | {
      isolation: 'inline'
      makeSocket?: MakeSocket
    }
  | ({
      isolation?: 'worker'
      /** A module exporting `makeSocket`, loaded in each worker instead of Baileys' socket. */
      socketModule?: URL
    } & Pick<
      BaileysSupervisorOptions,
      'heartbeat' | 'startTimeoutMs' | 'sendTimeoutMs' | 'restart' | 'reconnect'
    >)

/** Everything a running Linda is made of, built by hand from the config. */
export interface Linda {
  config: Config
  logger: Logger
  db: DbHandle
  queue: JobQueue
  events: EventBus
  metrics: Metrics
  http: App
  accounts: AccountsService
  messages: MessagesService
  bot: BotService
  flows: FlowsService
  templates: TemplatesService
  languages: LanguagesService
  contacts: ContactsService
  campaigns: CampaignsService
  schedules: SchedulesService
  apiKeys: ApiKeysService
  users: UsersService
  auth: AuthService
  /** Set on the first start when no API key was configured: the owner key, shown once. */
  generatedApiKey?: string
  /**
   * Set on a start while no owner can sign in: the one-time link (its token) through which
   * the first owner chooses their email and password. `main` prints it with the real port.
   */
  ownerSetupLink?: IssuedLink
  /** Connects the accounts and starts the workers (not the HTTP listener). */
  start(): Promise<void>
  /** Stops taking requests, drains running jobs, closes connections and the database. */
  stop(): Promise<void>
}

const defaultWebRoot = join(packageRoot, 'dist', 'web')

/** The composition root: builds every module from the config. Nothing else wires modules. */
export async function createLinda(config: Config, options: AppOptions = {}): Promise<Linda> {
  const logger = options.logger ?? createLogger(config.logLevel, undefined, config.logFormat)
  ensureDataDir(config)
  const secretKey = ensureSecretKey(config)
  const releaseLock = config.dialect === 'sqlite' ? lockDataDir(config.dataDir) : () => {}
  let db: DbHandle | undefined
  try {
    db = await openDb({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath })
    await migrateToLatest(db.db)
  } catch (err) {
    await db?.close()
    releaseLock()
    throw err
  }
  const metrics = new Metrics()
  const events = new LocalEventBus(logger)
  const queue = new SqlJobQueue({
    db: db.db,
    dialect: db.dialect,
    logger: logger.child({ component: 'queue' }),
    exclusive: db.dialect === 'sqlite',
    ...options.queue,
    onSettled: (name, outcome, ms) => {
      metrics.jobs.inc({ queue: name, outcome })
      metrics.jobDuration.observe({ queue: name }, ms / 1000)
    },
  })

  const media = new MediaStore({ db: db.db, dir: join(config.dataDir, 'media') })

  // Accounts hand inbound messages and receipts to the message pipeline, which is built
  // after them (it sends through their transports): the late binding is this closure.
  const late: { messages?: MessagesService } = {}
  const pipeline = () => {
    if (!late.messages) throw new Error('the message pipeline is not ready')
    return late.messages
  }
  // WhatsApp Web sessions (auth state, sent messages, LIDs) live in the db, sealed; each
  // runs in a supervised worker thread unless asked to run in process.
  const sessions = db.db
  const baileysOptions = options.baileys ?? {}
  const supervisor =
    baileysOptions.isolation === 'inline'
      ? undefined
      : new BaileysSupervisor({
          ...baileysOptions,
          maxHeapMb: config.baileysMaxHeapMb,
          logger: logger.child({ component: 'baileys' }),
          observer: {
            restarted: (kind) => metrics.baileysRestarts.inc({ reason: kind }),
            memory: (account, usage) => {
              if (!usage) {
                metrics.baileysWorkerMemory.remove({ account, kind: 'heap' })
                metrics.baileysWorkerMemory.remove({ account, kind: 'buffers' })
                return
              }
              metrics.baileysWorkerMemory.set({ account, kind: 'heap' }, usage.heapUsed)
              metrics.baileysWorkerMemory.set({ account, kind: 'buffers' }, usage.external)
            },
            workers: (count) => metrics.baileysWorkers.set(count),
          },
        })
  const accounts = new AccountsService({
    db: db.db,
    events,
    logger: logger.child({ component: 'accounts' }),
    inbox: {
      inbound: (account, message) => pipeline().ingest(account, message),
      statuses: (account, updates) => pipeline().applyStatuses(account, updates),
    },
    sendingHealth: { sendingHealth: (account) => pipeline().sendingHealth(account) },
    secretKey,
    // The transports this version runs; accounts of the other kinds stay in `error`.
    transportFactories: {
      sandbox: (account, _credentials, listener) =>
        new SandboxTransport(listener, account.settings.sandbox),
      cloud: (_account, { cloud }, listener) => new CloudTransport(listener, cloud, { media }),
      baileys: (account, { baileys }, listener) => {
        const session = {
          accountId: account.id,
          phone: baileys.phone,
          store: new DbAuthStore(sessions, secretKey, account.id),
        }
        if (supervisor) return supervisor.session(listener, session)
        const makeSocket = baileysOptions.isolation === 'inline' && baileysOptions.makeSocket
        return new LazyBaileysTransport(listener, {
          ...session,
          logger,
          ...(makeSocket ? { makeSocket } : {}),
        })
      },
    },
  })
  const languages = new LanguagesService({
    db: db.db,
    detector: new LanguageDetector(
      config.detectLanguages ? { languages: config.detectLanguages } : {},
    ),
    // Translation is off unless a provider is configured; it calls that URL only.
    ...(config.translateUrl
      ? {
          translator: new LibreTranslate({
            url: config.translateUrl,
            ...(config.translateApiKey ? { apiKey: config.translateApiKey } : {}),
          }),
        }
      : {}),
    logger: logger.child({ component: 'languages' }),
  })
  const capabilities = {
    sandbox: sandboxCapabilities,
    cloud: cloudCapabilities,
    baileys: baileysCapabilities,
  }
  const messages = (late.messages = new MessagesService({
    db: db.db,
    queue,
    events,
    accounts,
    logger: logger.child({ component: 'messages' }),
    media,
    capabilities,
    languages,
    sender: options.sender,
  }))
  const templates = new TemplatesService({ db: db.db, accounts, capabilities })

  const flows = new FlowsService({
    db: db.db,
    queue,
    messages,
    accounts,
    logger: logger.child({ component: 'flows' }),
    allowLoopbackWebhooks: config.webhooksAllowLoopback,
  })
  const contacts = new ContactsService({
    db: db.db,
    dialect: db.dialect,
    logger: logger.child({ component: 'contacts' }),
    defaultCountryOf: async (accountId) => (await accounts.get(accountId)).settings.defaultCountry,
    numberChecker: (accountId) => {
      const { transport } = accounts.transport(accountId)
      return transport.checkNumbers ? (phones) => transport.checkNumbers!(phones) : undefined
    },
  })
  const campaigns = new CampaignsService({
    db: db.db,
    queue,
    events,
    accounts,
    sender: messages,
    audience: new ContactsAudience(db.db, contacts),
    renderer: new TextRenderer(),
    logger: logger.child({ component: 'campaigns' }),
    capabilities,
  })
  const schedules = new SchedulesService({
    db: db.db,
    dialect: db.dialect,
    queue,
    accounts,
    campaigns,
    sender: messages,
    audience: new ContactsAudience(db.db, contacts),
    renderer: new TextRenderer(),
    logger: logger.child({ component: 'schedules' }),
    ...options.schedules,
  })
  const bot = new BotService({
    db: db.db,
    accounts,
    messages,
    logger: logger.child({ component: 'bot' }),
    flows,
    // Plugins' flows defined in code (`api.addFlow`) are checked and registered by the engine.
    flowRegistry: { register: (definition) => flows.registerFlow(definition as CodeFlowInput) },
    webhooksAllowLoopback: config.webhooksAllowLoopback,
  })
  // `!remind` for the team: a one-off schedule back to whoever asked.
  bot.commands.add(remindCommand(schedules, accounts))
  // Plugins load before the routes, so that `GET /commands` lists theirs; one that fails
  // is logged and left out.
  await bot.plugins.loadDir(config.pluginsDir)
  const apiKeys = new ApiKeysService(db.db)
  const users = new UsersService({ db: db.db, events })
  const auth = new AuthService({
    db: db.db,
    events,
    users,
    apiKeys,
    lifetimes: {
      idleMs: config.sessionIdleMinutes * 60_000,
      absoluteMs: config.sessionMaxDays * 24 * 60 * 60_000,
    },
  })

  events.subscribe('message.received', (e) =>
    metrics.messages.inc({ direction: 'in', status: e.data.status }),
  )
  events.subscribe('message.created', (e) =>
    metrics.messages.inc({ direction: 'out', status: e.data.status }),
  )
  events.subscribe('message.status', (e) =>
    metrics.messages.inc({ direction: 'out', status: e.data.status }),
  )

  queue.work('message.send', (job, signal) => messages.deliver(job, signal), {
    concurrency: options.concurrency?.send ?? 32,
  })
  queue.work('media.download', (job, signal) => messages.downloadMedia(job, signal), {
    concurrency: 4,
  })
  queue.work('message.process', (job) => bot.process(job), {
    concurrency: options.concurrency?.process ?? 8,
  })
  queue.work('flow.idle', (job) => flows.idle(job), { concurrency: 2 })
  queue.work('campaign.build', (job, signal) => campaigns.build(job, signal), { concurrency: 2 })
  queue.work('schedule.fire', (job) => schedules.fire(job), { concurrency: 8 })
  queue.work('campaign.dispatch', (job, signal) => campaigns.dispatch(job, signal), {
    concurrency: 8,
  })

  const http = await buildHttpServer({
    logger,
    metrics,
    auth,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    rateLimit: config.rateLimit,
    version,
    webRoot: options.webRoot ?? defaultWebRoot,
    root: [
      healthRoutes({ db, queue, accounts, metrics, version, sending: messages }),
      cloudWebhookRoutes({
        accounts,
        logger: logger.child({ component: 'cloud-webhooks' }),
        bodyLimit: config.bodyLimit,
        count: (outcome) => metrics.cloudWebhooks.inc({ outcome }),
      }),
    ],
    api: [
      accountsRoutes(accounts),
      messagesRoutes(messages, accounts),
      sandboxRoutes(accounts, messages),
      mediaRoutes(media, accounts),
      rulesRoutes(bot),
      botRoutes(bot),
      flowsRoutes(flows),
      templatesRoutes(templates),
      languagesRoutes(languages),
      authRoutes(auth, users),
      usersRoutes(users, { publicUrl: config.publicUrl }),
      contactsRoutes(contacts),
      attributesRoutes(contacts),
      segmentsRoutes(contacts),
      campaignsRoutes(campaigns),
      schedulesRoutes(schedules),
      apiKeysRoutes(apiKeys),
      eventsRoutes(events, auth),
    ],
  })

  const boot = await bootstrap({ db, accounts, bot, apiKeys, users, config, logger })

  // Ended sessions and stale sign-in failure counts are forgotten on start and every hour.
  let sweeper: ReturnType<typeof setInterval> | undefined
  const sweep = () =>
    auth.sweep().catch((err: unknown) => logger.warn({ err }, 'could not sweep sessions'))

  const handle = db
  return {
    config,
    logger,
    db,
    queue,
    events,
    metrics,
    http,
    accounts,
    messages,
    bot,
    flows,
    templates,
    languages,
    contacts,
    campaigns,
    schedules,
    apiKeys,
    users,
    auth,
    generatedApiKey: boot.generatedApiKey,
    ownerSetupLink: boot.ownerSetupLink,
    async start() {
      await accounts.startAll()
      await campaigns.attach()
      await queue.start()
      await sweep()
      sweeper = setInterval(() => void sweep(), 60 * 60_000)
      sweeper.unref()
      schedules.start()
    },
    async stop() {
      clearInterval(sweeper)
      await http.close()
      await schedules.stop()
      campaigns.halt()
      await queue.stop(15_000)
      await campaigns.detach()
      await accounts.stopAll()
      // Every session worker ended with its account; any left (a failed stop) end here.
      await supervisor?.close()
      await handle.close()
      releaseLock()
    },
  }
}

/**
 * First start: an owner API key for scripts (LINDA_BOOTSTRAP_API_KEY, or a generated one
 * shown once), a sandbox account to talk to, and the greeting rule. Each happens once per
 * database. And on every start while no owner can sign in, a setup link for the first one.
 */
async function bootstrap(deps: {
  db: DbHandle
  accounts: AccountsService
  bot: BotService
  apiKeys: ApiKeysService
  users: UsersService
  config: Config
  logger: Logger
}): Promise<{ generatedApiKey?: string; ownerSetupLink?: IssuedLink }> {
  const { generated } = await deps.apiKeys.bootstrap(deps.config.bootstrapApiKey)
  const ownerSetupLink = await deps.users.firstOwnerLink()
  // Claiming the flag first means two processes starting at once bootstrap only once.
  const claimed = await deps.db.db
    .insertInto('instance_settings')
    .values({ key: 'bootstrapped_at', value: toJson(nowIso()), updated_at: nowIso() })
    .onConflict((oc) => oc.doNothing())
    .returning('key')
    .executeTakeFirst()
  if (claimed) {
    await deps.accounts.create({ name: 'Sandbox', transport: 'sandbox' })
    await deps.bot.createRule(greetingRule)
    deps.logger.info('first start: created the Sandbox account and the greeting rule')
  }
  return { generatedApiKey: generated, ownerSetupLink }
}
