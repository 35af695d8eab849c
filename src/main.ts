import { Command, Option } from 'commander'
import { z } from 'zod'
import { createLinda } from './app.js'
import { ensureDashboardBuilt } from './cli/web.js'
import { ConfigError, ensureDataDir, loadConfig, type Config, type ConfigFlags } from './config.js'
import { migrateToLatest, openDb, type DbHandle } from './platform/db/index.js'
import {
  ApiKeysService,
  linkLifetimesMs,
  roles,
  SERVICE_USER_ID,
  UsersService,
  type IssuedLink,
  type Role,
} from './users/index.js'
import { LocalEventBus } from './platform/events/index.js'
import { createLogger } from './platform/logging.js'
import { version } from './version.js'

const out = process.stdout
const say = (line: string) => out.write(`${line}\n`)

/** The options every command takes, so that a command beside a running Linda sees its data. */
function withConfigOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (env LINDA_DATA_DIR, default ./data)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env LINDA_LOG_LEVEL)')
}

function flagsOf(options: Record<string, unknown>): ConfigFlags {
  return {
    dataDir: options.dataDir as string | undefined,
    logLevel: options.logLevel as string | undefined,
    port: options.port as string | undefined,
    host: options.host as string | undefined,
  }
}

async function start(options: Record<string, unknown>): Promise<void> {
  const config = loadConfig(flagsOf(options))
  if (!ensureDashboardBuilt(say)) say('The dashboard could not be built; the API runs without it.')
  const linda = await createLinda(config)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) {
      linda.logger.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    stopping = true
    linda.logger.info({ signal }, 'shutting down: draining work in flight')
    linda.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        linda.logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))

  await linda.start()
  await linda.http.listen({ port: config.port, host: config.host })
  const address = linda.http.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  const url = baseUrl(config, port)
  say('')
  say(`  Linda ${version} is running (${config.dialect}, data in ${config.dataDir})`)
  say(`  Dashboard  ${url}/`)
  say(`  API docs   ${url}/docs`)
  if (linda.ownerSetupLink) {
    say('')
    say('  Nobody can sign in yet. Open this link to create the owner (you choose the email')
    say(`  and password; it works once, for ${hours(linda.ownerSetupLink)}):`)
    say(`    ${setupUrl(url, linda.ownerSetupLink)}`)
  }
  if (linda.generatedApiKey) {
    say('')
    say('  An owner API key for scripts and curl (shown once; the dashboard does not use it):')
    say(`    ${linda.generatedApiKey}`)
    say(`  Lost it? Create another: npx linda api-key create --data-dir ${config.dataDir}`)
  }
  say('')
}

/** Where people reach Linda: LINDA_PUBLIC_URL, else the address it listens on. */
function baseUrl(config: Config, port: number = config.port): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '')
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  return `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`
}

function setupUrl(base: string, link: IssuedLink): string {
  return `${base}/setup?token=${encodeURIComponent(link.token)}`
}

function hours(link: IssuedLink): string {
  const h = Math.round(linkLifetimesMs[link.kind] / 3_600_000)
  return h >= 48 ? `${Math.round(h / 24)} days` : h === 1 ? '1 hour' : `${h} hours`
}

/** Opens the configured database (creating the data dir for SQLite), runs `fn`, closes it. */
async function withDatabase<T>(
  options: Record<string, unknown>,
  fn: (db: DbHandle) => Promise<T>,
): Promise<T> {
  const config = loadConfig(flagsOf(options))
  if (config.dialect === 'sqlite') ensureDataDir(config)
  const db = await openDb({
    databaseUrl: config.databaseUrl,
    sqlitePath: config.sqlitePath,
    poolSize: 1,
  })
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

async function migrate(options: Record<string, unknown>): Promise<void> {
  await withDatabase(options, async (db) => {
    const applied = (await migrateToLatest(db.db)).results ?? []
    if (applied.length === 0) say('The database is up to date.')
    for (const r of applied) say(`applied ${r.migrationName}`)
  })
}

async function createApiKey(options: Record<string, unknown>): Promise<void> {
  await withDatabase(options, async (db) => {
    await migrateToLatest(db.db)
    const { record, key } = await new ApiKeysService(db.db).create({
      name: options.name as string,
      role: options.role as Role,
      userId: SERVICE_USER_ID,
    })
    say(`Created API key "${record.name}" (${record.role}). It is shown this once:`)
    say(key)
  })
}

/** The users service on the configured database, for the `user` commands. */
async function withUsers<T>(
  options: Record<string, unknown>,
  fn: (users: UsersService, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig(flagsOf(options))
  return withDatabase(options, async (db) => {
    await migrateToLatest(db.db)
    const events = new LocalEventBus(createLogger('silent'))
    return fn(new UsersService({ db: db.db, events }), config)
  })
}

/** The `--email` and `--name` of `user create`, checked like the API's invite. */
const userOptions = z.object({
  email: z.email('must be an email address').max(254).optional(),
  name: z.string().trim().min(1, 'must not be empty').max(100).optional(),
})

async function createUser(options: Record<string, unknown>): Promise<void> {
  const role = options.role as Role
  const checked = userOptions.safeParse({ email: options.email, name: options.name })
  if (!checked.success) {
    const issue = checked.error.issues[0]
    throw new Error(`--${String(issue?.path[0])}: ${issue?.message ?? 'is not valid'}`)
  }
  await withUsers(options, async (users, config) => {
    const { email } = checked.data
    if (email) {
      const name = checked.data.name ?? email.split('@')[0] ?? email
      const { user, link } = await users.invite('cli', { email, name, role })
      say(`Invited ${user.email} (${user.role}). They set their password at this link`)
      say(`(it works once, for ${hours(link)}):`)
      say(setupUrl(baseUrl(config), link))
      return
    }
    const link = await users.setupLink(role)
    say(`A link to create a new ${role}: whoever opens it chooses the email, name and password`)
    say(`(it works once, for ${hours(link)}):`)
    say(setupUrl(baseUrl(config), link))
  })
}

async function resetPassword(email: string, options: Record<string, unknown>): Promise<void> {
  await withUsers(options, async (users, config) => {
    const { user, link } = await users.resetLinkByEmail(email)
    const what =
      link.kind === 'invite' ? 'set a password (they have none yet)' : 'choose a new password'
    say(`${user.email} can ${what} at this link (it works once, for ${hours(link)}):`)
    say(setupUrl(baseUrl(config), link))
  })
}

async function listUsers(options: Record<string, unknown>): Promise<void> {
  await withUsers(options, async (users) => {
    for (const user of await users.list({ limit: 1000 })) {
      if (user.kind === 'service') continue
      say(
        `${(user.email ?? '').padEnd(32)} ${user.role.padEnd(6)} ${user.status.padEnd(8)} ${user.name}`,
      )
    }
  })
}

async function runDoctor(options: Record<string, unknown>): Promise<void> {
  const { doctor } = await import('./cli/doctor.js')
  const findings = await doctor(flagsOf(options))
  for (const f of findings) {
    const mark = f.ok === true ? 'ok  ' : f.ok === 'warn' ? 'warn' : 'FAIL'
    say(`${mark}  ${f.check.padEnd(11)} ${f.detail}`)
    if (f.fix && f.ok !== true) say(`      ${''.padEnd(11)} → ${f.fix}`)
  }
  const failed = findings.filter((f) => f.ok === false).length
  say(failed === 0 ? '\nAll good.' : `\n${failed} problem(s) to fix.`)
  if (failed > 0) process.exitCode = 1
}

const program = new Command()
  .name('linda')
  .description('Self-hosted WhatsApp automation for teams')
  .version(version)
  .showHelpAfterError()

withConfigOptions(
  program
    .command('start')
    .description('Run Linda: the API, the dashboard, the bot and the workers')
    .option('--port <port>', 'HTTP port (env LINDA_PORT, default 3000)')
    .option('--host <host>', 'address to listen on (env LINDA_HOST, default 127.0.0.1)'),
).action(start)

withConfigOptions(
  program.command('migrate').description('Bring the database schema up to date'),
).action(migrate)

withConfigOptions(
  program
    .command('doctor')
    .description('Check the configuration, database, data dir and port, and say what to fix')
    .option('--port <port>', 'HTTP port to check')
    .option('--host <host>', 'address to check'),
).action(runDoctor)

withConfigOptions(
  program
    .command('backup')
    .description('Copy the SQLite database to FILE (safe while Linda runs)')
    .argument('<file>', 'where to write the backup'),
).action(async (file: string, options: Record<string, unknown>) => {
  const { backup } = await import('./cli/backup.js')
  await backup(loadConfig(flagsOf(options)), file, out)
})

withConfigOptions(
  program
    .command('restore')
    .description('Replace the SQLite database with a backup (Linda must be stopped)')
    .argument('<file>', 'a file written by `linda backup`'),
).action(async (file: string, options: Record<string, unknown>) => {
  const { restore } = await import('./cli/backup.js')
  restore(loadConfig(flagsOf(options)), file, out)
})

withConfigOptions(
  program
    .command('rotate-key')
    .description('Re-encrypt the stored credentials under a new secret key (stop Linda first)')
    .option('--new-key <hex>', 'the new key, 64 hex characters (default: a generated one)'),
).action(async (options: Record<string, unknown>) => {
  const { rotateKey } = await import('./cli/rotate-key.js')
  await rotateKey(loadConfig(flagsOf(options)), {
    newKey: options.newKey as string | undefined,
    out,
  })
})

const apiKey = program.command('api-key').description('Manage API keys')
withConfigOptions(
  apiKey
    .command('create')
    .description('Create an API key and print it once')
    .option('--name <name>', 'what the key is for', 'cli')
    .addOption(new Option('--role <role>', 'role of the key').choices(roles).default('owner')),
).action(createApiKey)

const user = program.command('user').description('Manage the people who sign in')
withConfigOptions(
  user
    .command('create')
    .description('Print a one-time link that creates a user (an owner on a new install)')
    .addOption(new Option('--role <role>', 'their role').choices(roles).makeOptionMandatory())
    .option('--email <email>', 'invite this address (else whoever opens the link chooses)')
    .option('--name <name>', 'their name, with --email'),
).action(createUser)
withConfigOptions(
  user
    .command('reset-password')
    .description('Print a one-time link where the user chooses a new password')
    .argument('<email>', 'the user'),
).action(resetPassword)
withConfigOptions(user.command('list').description('List the users')).action(listUsers)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`)
  } else {
    process.stderr.write(`linda: ${err instanceof Error ? err.message : String(err)}\n`)
  }
  process.exit(1)
}
