import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  ConfigError,
  ensureSecretKey,
  loadConfig,
  secretKeyFile,
  type Config,
  type ConfigFlags,
} from './config.js'

/** The problems loadConfig reports for these settings, or fails the test when it accepts them. */
function problemsOf(flags: ConfigFlags, env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(flags, env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }
  throw new Error('expected loadConfig to reject the configuration')
}

const scratch = mkdtempSync(join(tmpdir(), 'linda-config-test-'))
let dirs = 0
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** A config whose data dir is a new, not yet created directory. */
function configWithFreshDataDir(env: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({ dataDir: join(scratch, `data-${++dirs}`, 'nested') }, env)
}

const validKey = 'ab'.repeat(32)

describe(loadConfig.name, () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({}, {})
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: resolve('./data'),
      logLevel: 'info',
      bodyLimit: 1024 * 1024,
      baileysMaxHeapMb: 256,
      dialect: 'sqlite',
      sqlitePath: join(resolve('./data'), 'linda.db'),
    })
    expect(config.databaseUrl).toBeUndefined()
    expect(config.secretKey).toBeUndefined()
  })

  it('returns a frozen object', () => {
    const config = loadConfig({}, {})
    expect(Object.isFrozen(config)).toBe(true)
    expect(() => {
      ;(config as { port: number }).port = 1
    }).toThrow(TypeError)
  })

  it('reads every setting from its environment variable', () => {
    const config = loadConfig(
      {},
      {
        LINDA_PORT: '8080',
        LINDA_HOST: '0.0.0.0',
        LINDA_DATA_DIR: '/var/lib/linda',
        DATABASE_URL: 'postgres://linda@db.internal:5432/linda',
        LINDA_SECRET_KEY: validKey,
        LINDA_BOOTSTRAP_API_KEY: 'a'.repeat(32),
        LINDA_LOG_LEVEL: 'debug',
        LINDA_BODY_LIMIT: '4096',
        LINDA_BAILEYS_MAX_HEAP_MB: '512',
      },
    )
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/linda',
      databaseUrl: 'postgres://linda@db.internal:5432/linda',
      secretKey: validKey,
      bootstrapApiKey: 'a'.repeat(32),
      logLevel: 'debug',
      bodyLimit: 4096,
      baileysMaxHeapMb: 512,
      dialect: 'postgres',
    })
  })

  it('treats an empty environment variable as unset', () => {
    const config = loadConfig({}, { LINDA_PORT: '', DATABASE_URL: '' })
    expect(config.port).toBe(3000)
    expect(config.dialect).toBe('sqlite')
  })

  it('resolves a relative data dir and keeps the SQLite file in it', () => {
    const config = loadConfig({ dataDir: 'somewhere/else' }, {})
    expect(config.dataDir).toBe(resolve('somewhere/else'))
    expect(config.sqlitePath).toBe(join(resolve('somewhere/else'), 'linda.db'))
  })

  it('lets command-line flags win over the environment', () => {
    const config = loadConfig(
      { port: '9090', host: '::1', dataDir: '/flag/dir', logLevel: 'warn' },
      {
        LINDA_PORT: '8080',
        LINDA_HOST: '0.0.0.0',
        LINDA_DATA_DIR: '/env/dir',
        LINDA_LOG_LEVEL: 'debug',
      },
    )
    expect(config).toMatchObject({
      port: 9090,
      host: '::1',
      dataDir: '/flag/dir',
      logLevel: 'warn',
    })
  })

  it('accepts a numeric port flag', () => {
    expect(loadConfig({ port: 4000 }, {}).port).toBe(4000)
  })

  it('ignores a bad environment value that a flag overrides', () => {
    expect(loadConfig({ port: '4000' }, { LINDA_PORT: 'abc' }).port).toBe(4000)
  })

  it('leaves translation off and detection on every language unless configured', () => {
    const config = loadConfig({}, {})
    expect(config.translateUrl).toBeUndefined()
    expect(config.detectLanguages).toBeUndefined()
    expect(
      loadConfig(
        {},
        {
          LINDA_TRANSLATE_URL: 'http://127.0.0.1:5000/',
          LINDA_TRANSLATE_API_KEY: 'k',
          LINDA_DETECT_LANGUAGES: ' EN, es,ar ',
        },
      ),
    ).toMatchObject({
      translateUrl: 'http://127.0.0.1:5000',
      translateApiKey: 'k',
      detectLanguages: ['en', 'es', 'ar'],
    })
    expect(
      problemsOf({}, { LINDA_TRANSLATE_URL: 'ftp://x', LINDA_DETECT_LANGUAGES: 'english' }),
    ).toEqual([
      'LINDA_TRANSLATE_URL: must be an http(s) URL, e.g. http://127.0.0.1:5000',
      'LINDA_DETECT_LANGUAGES: must be ISO 639-1 codes separated by commas, e.g. en,es,ar',
    ])
  })

  it('names the environment variable of a bad setting', () => {
    const problems = problemsOf({}, { LINDA_PORT: 'abc' })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^LINDA_PORT: /)
  })

  it('names the flag of a bad setting given on the command line', () => {
    const problems = problemsOf({ port: '70000' }, { LINDA_PORT: '8080' })
    expect(problems).toEqual(['--port: must be between 0 and 65535'])
  })

  it.each([
    ['LINDA_PORT', { LINDA_PORT: '80.5' }],
    ['LINDA_PORT', { LINDA_PORT: '-1' }],
    ['LINDA_LOG_LEVEL', { LINDA_LOG_LEVEL: 'loud' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://root@localhost/linda' }],
    ['DATABASE_URL', { DATABASE_URL: 'linda.db' }],
    ['LINDA_SECRET_KEY', { LINDA_SECRET_KEY: 'not-hex' }],
    ['LINDA_SECRET_KEY', { LINDA_SECRET_KEY: 'ab'.repeat(16) }],
    ['LINDA_BOOTSTRAP_API_KEY', { LINDA_BOOTSTRAP_API_KEY: 'short' }],
    ['LINDA_BOOTSTRAP_API_KEY', { LINDA_BOOTSTRAP_API_KEY: 'x'.repeat(30) + ' spaces' }],
    ['LINDA_BODY_LIMIT', { LINDA_BODY_LIMIT: '10' }],
    ['LINDA_BAILEYS_MAX_HEAP_MB', { LINDA_BAILEYS_MAX_HEAP_MB: '16' }],
    ['LINDA_BAILEYS_MAX_HEAP_MB', { LINDA_BAILEYS_MAX_HEAP_MB: 'lots' }],
  ] as const)('rejects a bad %s and names it', (name, env) => {
    const problems = problemsOf({}, env)
    expect(problems).toHaveLength(1)
    expect(problems[0]?.startsWith(`${name}: `)).toBe(true)
  })

  it.each([
    ['--port', { port: 'abc' }],
    ['--host', { host: '' }],
    ['--data-dir', { dataDir: '' }],
    ['--log-level', { logLevel: 'chatty' }],
  ] as const)('rejects a bad %s flag and names it', (flag, flags) => {
    const problems = problemsOf(flags, {})
    expect(problems).toHaveLength(1)
    expect(problems[0]?.startsWith(`${flag}: `)).toBe(true)
  })

  it('names every bad setting at once', () => {
    const problems = problemsOf(
      { logLevel: 'chatty' },
      { LINDA_PORT: 'abc', DATABASE_URL: 'mysql://x', LINDA_SECRET_KEY: 'nope' },
    )
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      '--log-level',
      'DATABASE_URL',
      'LINDA_PORT',
      'LINDA_SECRET_KEY',
    ])
  })

  it('puts every problem in the error message', () => {
    expect(() => loadConfig({}, { LINDA_PORT: 'abc', DATABASE_URL: 'mysql://x' })).toThrow(
      /Invalid configuration:\n {2}- (LINDA_PORT|DATABASE_URL): .*\n {2}- (LINDA_PORT|DATABASE_URL): /,
    )
  })

  it('accepts both postgres:// and postgresql:// URLs', () => {
    expect(loadConfig({}, { DATABASE_URL: 'postgres://h/db' }).dialect).toBe('postgres')
    expect(loadConfig({}, { DATABASE_URL: 'postgresql://h/db' }).dialect).toBe('postgres')
  })
})

describe(ensureSecretKey.name, () => {
  it('uses LINDA_SECRET_KEY when set and writes no key file', () => {
    const config = configWithFreshDataDir({ LINDA_SECRET_KEY: validKey })
    const key = ensureSecretKey(config)
    expect(key).toEqual(Buffer.from(validKey, 'hex'))
    expect(() => statSync(join(config.dataDir, secretKeyFile))).toThrow(/ENOENT/)
  })

  it('generates a 32-byte key in a 0600 file in a new data dir on first use', () => {
    const config = configWithFreshDataDir()
    const key = ensureSecretKey(config)
    const file = join(config.dataDir, secretKeyFile)
    expect(key).toHaveLength(32)
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/)
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'hex')).toEqual(key)
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('reads the same key back on later starts without rewriting the file', () => {
    const config = configWithFreshDataDir()
    const first = ensureSecretKey(config)
    const file = join(config.dataDir, secretKeyFile)
    const before = statSync(file)
    const second = ensureSecretKey(config)
    expect(second).toEqual(first)
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs)
    expect(statSync(file).ino).toBe(before.ino)
  })

  it('gives each new data dir its own key', () => {
    expect(ensureSecretKey(configWithFreshDataDir())).not.toEqual(
      ensureSecretKey(configWithFreshDataDir()),
    )
  })

  it('accepts a key file written by hand with surrounding whitespace', () => {
    const config = configWithFreshDataDir()
    ensureSecretKey(config)
    const file = join(config.dataDir, secretKeyFile)
    writeFileSync(file, `  ${validKey.toUpperCase()}\r\n`)
    expect(ensureSecretKey(config)).toEqual(Buffer.from(validKey, 'hex'))
  })

  it('rejects a corrupt key file with a ConfigError naming the file', () => {
    const config = configWithFreshDataDir()
    ensureSecretKey(config)
    const file = join(config.dataDir, secretKeyFile)
    writeFileSync(file, 'this is not a key\n')
    let error: unknown
    try {
      ensureSecretKey(config)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `)),
    ])
  })

  it('rejects a truncated key file', () => {
    const config = configWithFreshDataDir()
    ensureSecretKey(config)
    writeFileSync(join(config.dataDir, secretKeyFile), validKey.slice(0, 40))
    expect(() => ensureSecretKey(config)).toThrow(ConfigError)
  })
})
