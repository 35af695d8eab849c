import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { z } from 'zod'

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535')

const secretKey = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes), e.g. `openssl rand -hex 32`')

const configSchema = z.object({
  port: port.default(3000),
  host: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  dataDir: z.string().min(1, 'must not be empty').default('./data'),
  databaseUrl: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must start with postgres:// or postgresql://')
    .optional(),
  secretKey: secretKey.optional(),
  bootstrapApiKey: z
    .string()
    .regex(/^[A-Za-z0-9_-]{24,128}$/, 'must be 24 to 128 characters of letters, digits, "_" or "-"')
    .optional(),
  logLevel: z.enum(logLevels).default('info'),
  /** json: one JSON object a line; pretty: for people (the default on a terminal). */
  logFormat: z.enum(['json', 'pretty']).optional(),
  /** API requests a client (an API key, or an address without one) may make a minute; 0: no limit. */
  rateLimit: z.coerce.number().int().min(0).default(3000),
  /** Where people reach Linda (https://linda.example.com): the base of setup and invite links. */
  publicUrl: z
    .string()
    .refine(
      (v) => /^https?:\/\/[^/?#]+\/?$/.test(v),
      'must be an origin like https://linda.example.com',
    )
    .optional(),
  /**
   * Trust X-Forwarded-For/-Proto/-Host from a reverse proxy: `true` (any), or the proxy's
   * addresses or subnets, comma-separated (`127.0.0.1,10.0.0.0/8`). Off by default.
   */
  trustProxy: z
    .string()
    .transform((v): boolean | string[] =>
      v === 'true' ? true : v === 'false' ? false : v.split(',').map((a) => a.trim()),
    )
    .optional(),
  /** A session ends after this long without a request… */
  sessionIdleMinutes: z.coerce.number().int().min(5).max(525_600).default(720),
  /** …and this long after sign-in, whatever happens. */
  sessionMaxDays: z.coerce.number().int().min(1).max(365).default(7),
  /** Where bot plugins are loaded from; default `<dataDir>/plugins`. */
  pluginsDir: z.string().min(1, 'must not be empty').optional(),
  /** Largest accepted request body, in bytes. */
  bodyLimit: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /**
   * Webhook calls (flow steps, rule actions) may reach loopback addresses; private networks
   * stay refused.
   */
  webhooksAllowLoopback: z.stringbool({ error: 'must be true or false' }).default(false),
  /** Heap ceiling of each WhatsApp Web session's worker, in MB: past it the session restarts. */
  baileysMaxHeapMb: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(32, 'must be at least 32 (MB)')
    .max(16384, 'must be at most 16384 (MB)')
    .default(256),
  /**
   * A LibreTranslate-compatible API that translates messages for agents; unset: translation
   * is off. Linda calls this URL and nothing else.
   */
  translateUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://127.0.0.1:5000' })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  /** The translation API's key, when it needs one. */
  translateApiKey: z.string().max(512, 'must be at most 512 characters').optional(),
  /**
   * The languages (ISO 639-1) the detector chooses among; unset: all it knows (about 60).
   * Naming the few a business meets makes short texts detected more accurately.
   */
  detectLanguages: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((code) => code.trim().toLowerCase())
        .filter((code) => code !== ''),
    )
    .pipe(
      z
        .array(
          z
            .string()
            .regex(/^[a-z]{2}$/, 'must be ISO 639-1 codes separated by commas, e.g. en,es,ar'),
        )
        .min(1, 'must name at least one language'),
    )
    .optional(),
})

export type Config = Readonly<
  Omit<z.output<typeof configSchema>, 'dataDir' | 'pluginsDir'> & {
    dataDir: string
    /** Where bot plugins are loaded from. */
    pluginsDir: string
    /** sqlite (file in the data dir) or postgres (DATABASE_URL). */
    dialect: 'sqlite' | 'postgres'
    /** The SQLite file, when dialect is sqlite. */
    sqlitePath: string
  }
>

/** Settings given on the command line; they win over the environment. */
export interface ConfigFlags {
  port?: string | number
  host?: string
  dataDir?: string
  logLevel?: string
}

/** Environment variable of each setting, as documented in the README. */
export const envNames = {
  port: 'LINDA_PORT',
  host: 'LINDA_HOST',
  dataDir: 'LINDA_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  secretKey: 'LINDA_SECRET_KEY',
  bootstrapApiKey: 'LINDA_BOOTSTRAP_API_KEY',
  logLevel: 'LINDA_LOG_LEVEL',
  logFormat: 'LINDA_LOG_FORMAT',
  bodyLimit: 'LINDA_BODY_LIMIT',
  publicUrl: 'LINDA_PUBLIC_URL',
  trustProxy: 'LINDA_TRUST_PROXY',
  sessionIdleMinutes: 'LINDA_SESSION_IDLE_MINUTES',
  sessionMaxDays: 'LINDA_SESSION_MAX_DAYS',
  rateLimit: 'LINDA_RATE_LIMIT',
  pluginsDir: 'LINDA_PLUGINS_DIR',
  webhooksAllowLoopback: 'LINDA_WEBHOOKS_ALLOW_LOOPBACK',
  baileysMaxHeapMb: 'LINDA_BAILEYS_MAX_HEAP_MB',
  translateUrl: 'LINDA_TRANSLATE_URL',
  translateApiKey: 'LINDA_TRANSLATE_API_KEY',
  detectLanguages: 'LINDA_DETECT_LANGUAGES',
} as const satisfies Record<keyof z.input<typeof configSchema>, string>

const flagNames: Partial<Record<keyof typeof envNames, string>> = {
  port: '--port',
  host: '--host',
  dataDir: '--data-dir',
  logLevel: '--log-level',
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/**
 * Reads the configuration once from the environment and CLI flags (flags win), validates
 * it and returns it frozen. Throws ConfigError naming every bad setting.
 */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const [key, name] of Object.entries(envNames)) {
    const value = env[name]
    if (value !== undefined && value !== '') raw[key] = value
  }
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined) raw[key] = value
  }
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0]) as keyof typeof envNames
        const flag = flagNames[key]
        const where = flag && flags[key as keyof ConfigFlags] !== undefined ? flag : envNames[key]
        return `${where}: ${issue.message}`
      }),
    )
  }
  const dataDir = resolve(parsed.data.dataDir)
  return Object.freeze({
    ...parsed.data,
    dataDir,
    pluginsDir: resolve(parsed.data.pluginsDir ?? join(dataDir, 'plugins')),
    dialect: parsed.data.databaseUrl ? 'postgres' : 'sqlite',
    sqlitePath: join(dataDir, 'linda.db'),
  })
}

export const secretKeyFile = 'secret.key'

/**
 * The key that encrypts secrets at rest: LINDA_SECRET_KEY, or the one kept in the data
 * dir, generated there (mode 0600) on first start.
 */
export function ensureSecretKey(config: Config): Buffer {
  if (config.secretKey) return Buffer.from(config.secretKey, 'hex')
  const file = join(config.dataDir, secretKeyFile)
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim()
    const checked = secretKey.safeParse(text)
    if (!checked.success) {
      throw new ConfigError([`${file}: ${checked.error.issues[0]?.message ?? 'invalid key'}`])
    }
    return Buffer.from(text, 'hex')
  }
  ensureDataDir(config)
  const key = randomBytes(32)
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
  return key
}

export function ensureDataDir(config: Config): void {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
}
