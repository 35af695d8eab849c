// The `linda user` commands an operator runs on the server: a link to create the first owner
// (or anyone), a password-reset link, and the list.
import { spawn } from 'node:child_process'
import { beforeAll, describe, expect, it } from 'vitest'
import { freshDataDir } from '../helpers/databases.js'
import {
  completeLink,
  ensureCliBuilt,
  repoRoot,
  startTestLinda,
  testPassword,
  tokenOfLink,
} from '../helpers/linda.js'

function linda(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('LINDA_') && k !== 'DATABASE_URL'),
  )
  const child = spawn(process.execPath, ['bin/linda.js', ...args], {
    cwd: repoRoot,
    env: { ...clean, LINDA_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const linkIn = (text: string) => /^(http\S+\/setup\?token=\S+)$/m.exec(text)?.[1]

describe('linda user', () => {
  beforeAll(async () => {
    await ensureCliBuilt()
  }, 120_000)

  it('prints a link that creates an owner, and a reset link for them later', async () => {
    const dataDir = await freshDataDir()
    const created = await linda(['user', 'create', '--role', 'owner', '--data-dir', dataDir], {
      LINDA_PUBLIC_URL: 'https://linda.example.com',
    })
    expect(created.code, created.stderr).toBe(0)
    const url = linkIn(created.stdout)
    expect(url).toMatch(/^https:\/\/linda\.example\.com\/setup\?token=[\w-]{43}$/)

    const t = await startTestLinda('sqlite', { dataDir, start: false })
    try {
      const owner = await completeLink(t, tokenOfLink(url!), {
        email: 'root@example.com',
        name: 'Root',
      })
      expect(owner.user.role).toBe('owner')
    } finally {
      await t.stop()
    }

    const listed = await linda(['user', 'list', '--data-dir', dataDir])
    expect(listed.stdout).toMatch(/root@example\.com\s+owner\s+active\s+Root/)

    const reset = await linda(['user', 'reset-password', 'ROOT@example.com', '--data-dir', dataDir])
    expect(reset.code, reset.stderr).toBe(0)
    expect(reset.stdout).toContain('root@example.com can choose a new password')
    const resetUrl = linkIn(reset.stdout)
    expect(resetUrl).toMatch(/^http:\/\/127\.0\.0\.1:3000\/setup\?token=/)

    const again = await startTestLinda('sqlite', { dataDir, start: false })
    try {
      const done = await completeLink(again, tokenOfLink(resetUrl!), {
        password: 'another good passphrase',
      })
      expect(done.user.email).toBe('root@example.com')
      const old = await again.request(
        'POST',
        '/api/v1/auth/login',
        { email: 'root@example.com', password: testPassword },
        { authorization: '' },
      )
      expect(old.status).toBe(401)
    } finally {
      await again.stop()
    }
  })

  it('invites by email, and refuses bad input naming the option', async () => {
    const dataDir = await freshDataDir()
    const invited = await linda([
      'user',
      'create',
      '--role',
      'agent',
      '--email',
      'ana@example.com',
      '--name',
      'Ana',
      '--data-dir',
      dataDir,
    ])
    expect(invited.code, invited.stderr).toBe(0)
    expect(invited.stdout).toContain('Invited ana@example.com (agent)')
    expect(linkIn(invited.stdout)).toBeDefined()

    const badEmail = await linda([
      'user',
      'create',
      '--role',
      'agent',
      '--email',
      'nope',
      '--data-dir',
      dataDir,
    ])
    expect(badEmail.code).toBe(1)
    expect(badEmail.stderr).toContain('--email: must be an email address')
    const badRole = await linda(['user', 'create', '--role', 'boss', '--data-dir', dataDir])
    expect(badRole.code).not.toBe(0)
    expect(badRole.stderr).toContain('--role')
    const unknown = await linda([
      'user',
      'reset-password',
      'who@example.com',
      '--data-dir',
      dataDir,
    ])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('No user has the email who@example.com')
  })
})
