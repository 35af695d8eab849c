// Small process/OS helpers shared by the vitest global setups (postgres.ts, chromium.ts).
// Not a global setup itself.
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Kill the command after this many ms (default: no limit). */
  timeoutMs?: number
}

/** Runs a command without a shell and collects its output. Never rejects on a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n[killed after ${opts.timeoutMs}ms]`
            child.kill('SIGKILL')
          }, opts.timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })
    })
  })
}

/** Like run(), but throws (with the command's output) when it exits non-zero. */
export async function runOrThrow(
  cmd: string,
  args: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const res = await run(cmd, args, opts)
  if (res.code !== 0) {
    throw new Error(
      `command failed (exit ${res.code}): ${[cmd, ...args].join(' ')}\n${tail(res.stdout + res.stderr)}`,
    )
  }
  return res
}

export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** First directory on PATH that contains an executable `name`, or null. */
export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name)
  }
  return null
}

export function elapsed(startMs: number): string {
  return `${((performance.now() - startMs) / 1000).toFixed(1)}s`
}

const APT_LOCK = '/tmp/linda-test-apt.lock'

/**
 * Installs Debian packages with apt-get (as root, or through passwordless `sudo -n`).
 * Concurrent callers (several test runs at once) are serialised with flock(1), and apt itself
 * waits for a dpkg lock held by someone else. Throws a message explaining how to install the
 * packages by hand when that is not possible.
 */
export async function aptInstall(packages: string[], why: string): Promise<void> {
  const manual = `sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`
  if (!findOnPath('apt-get')) {
    throw new Error(
      `${why}, and apt-get is not available to install it. Install ${packages.join(', ')} yourself.`,
    )
  }
  let prefix: string[] = []
  if (!isRoot()) {
    const sudoOk = findOnPath('sudo') !== null && (await run('sudo', ['-n', 'true'])).code === 0
    if (!sudoOk) {
      throw new Error(
        `${why}. Installing it needs root and passwordless sudo is not available.\n` +
          `Install it yourself with:\n  ${manual}`,
      )
    }
    prefix = ['sudo', '-n']
  }
  const aptOpts = '-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0'
  const script =
    `apt-get ${aptOpts} update -q && ` +
    `apt-get ${aptOpts} install -y -q --no-install-recommends ${packages.join(' ')}`
  const argv = [
    ...prefix,
    'env',
    'DEBIAN_FRONTEND=noninteractive',
    ...(findOnPath('flock') ? ['flock', APT_LOCK] : []),
    'sh',
    '-c',
    script,
  ]
  console.log(`[test setup] ${why}; installing ${packages.join(' ')} with apt-get ...`)
  const started = performance.now()
  const [cmd, ...args] = argv as [string, ...string[]]
  const res = await run(cmd, args)
  if (res.code !== 0) {
    throw new Error(
      `apt-get install ${packages.join(' ')} failed (exit ${res.code}):\n${tail(res.stdout + res.stderr)}\n` +
        `Install it yourself with:\n  ${manual}`,
    )
  }
  console.log(`[test setup] installed ${packages.join(' ')} in ${elapsed(started)}`)
}

/**
 * Starts a detached shell that outlives this process: once this (vitest) process is gone, even
 * after SIGKILL, it runs `cleanup` (sh code; `args` are its $1, $2, ...). Returns its pid; kill
 * its process group (process.kill(-pid)) to cancel it after a normal cleanup.
 */
export function startWatchdog(name: string, cleanup: string, args: string[]): number | undefined {
  const script = `parent=$1; shift\nwhile kill -0 "$parent" 2>/dev/null; do sleep 1; done\n${cleanup}`
  const child = spawn('sh', ['-c', script, name, String(process.pid), ...args], {
    detached: true,
    stdio: 'ignore',
  })
  child.unref()
  return child.pid
}

export function cancelWatchdog(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}
