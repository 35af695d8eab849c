// Signing in: the first owner's setup link, passwords, the session cookie and its CSRF
// token, the lockout after failed sign-ins, expiry, and signing out (here or everywhere).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { testDialects } from '../helpers/databases.js'
import {
  asKey,
  asSession,
  completeLink,
  createKey,
  sessionCookieOf,
  setUpOwner,
  signUp,
  startTestLinda,
  tableCounts,
  testPassword,
  tokenOfLink,
  type Problem,
  type TestLinda,
  type TestSession,
} from '../helpers/linda.js'

interface Me {
  user: { id: string; email: string; role: string }
  via: 'session' | 'apiKey'
  role: string
  scopes: string[]
  csrfToken: string | null
}

describe.each(testDialects())('sign-in on %s', (dialect) => {
  let t: TestLinda
  let owner: TestSession

  beforeAll(async () => {
    t = await startTestLinda(dialect)
  })

  afterAll(async () => {
    await t?.stop()
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  /** POST /auth/login from a given client address. */
  async function login(email: string, password: string, ip = '127.0.0.1', cookie?: string) {
    const res = await t.linda.http.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: ip,
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      payload: JSON.stringify({ email, password }),
    })
    return {
      status: res.statusCode,
      json: JSON.parse(res.body) as Problem & { csrfToken: string },
      headers: res.headers,
    }
  }

  it('starts with no owner, and a one-time setup link that creates one', async () => {
    const link = t.linda.ownerSetupLink
    expect(link?.kind).toBe('setup')
    const check = await t.request<{ kind: string; role: string }>(
      'POST',
      '/api/v1/auth/setup/check',
      { token: link!.token },
      { authorization: '' },
    )
    expect(check.json).toMatchObject({ kind: 'setup', role: 'owner' })

    // A weak password is refused naming the field, and the link still works afterwards.
    const before = await tableCounts(t)
    const weak = await t.request<Problem>(
      'POST',
      '/api/v1/auth/setup',
      { token: link!.token, email: 'olivia@example.com', name: 'Olivia', password: 'olivia1234' },
      { authorization: '' },
    )
    expect(weak.status).toBe(422)
    expect(weak.json.code).toBe('PASSWORD_TOO_WEAK')
    expect(weak.json.errors).toEqual([{ path: 'body.password', message: expect.any(String) }])
    expect(await tableCounts(t)).toEqual(before)

    const noEmail = await t.request<Problem>(
      'POST',
      '/api/v1/auth/setup',
      { token: link!.token, name: 'Olivia', password: testPassword },
      { authorization: '' },
    )
    expect(noEmail.status).toBe(400)
    expect(noEmail.json.errors?.[0]?.path).toBe('body.email')

    owner = await setUpOwner(t, 'Olivia@Example.com')
    expect(owner.user).toMatchObject({ email: 'olivia@example.com', role: 'owner' })

    const again = await t.request<Problem>(
      'POST',
      '/api/v1/auth/setup',
      { token: link!.token, email: 'mallory@example.com', name: 'M', password: testPassword },
      { authorization: '' },
    )
    expect(again.status).toBe(410)
    expect(again.json.code).toBe('LINK_INVALID')

    // A restart with an owner prints no setup link.
    const restarted = await startTestLinda(dialect, {
      dataDir: t.dataDir,
      databaseUrl: t.databaseUrl,
      apiKey: t.apiKey,
      start: false,
    })
    expect(restarted.linda.ownerSetupLink).toBeUndefined()
    await restarted.stop()
  })

  it('sets an httpOnly, SameSite=Strict session cookie, Secure behind HTTPS', async () => {
    const res = await login(owner.email, testPassword)
    expect(res.status).toBe(200)
    const cookie = String(res.headers['set-cookie'])
    expect(cookie).toMatch(/^linda_session=[A-Za-z0-9_-]{43};/)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).toContain('Path=/')
    expect(cookie).not.toContain('Secure')

    const proxied = await startTestLinda(dialect, {
      env: { LINDA_TRUST_PROXY: '127.0.0.1' },
    })
    try {
      const ownerThere = await setUpOwner(proxied)
      const behindHttps = await proxied.linda.http.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        payload: JSON.stringify({ email: ownerThere.email, password: testPassword }),
      })
      expect(behindHttps.statusCode).toBe(200)
      expect(String(behindHttps.headers['set-cookie'])).toContain('Secure')
    } finally {
      await proxied.stop()
    }
  })

  it('answers who is signed in, with the CSRF token for a session and none for a key', async () => {
    const me = await owner.request<Me>('GET', '/api/v1/auth/me')
    expect(me.json).toMatchObject({ via: 'session', role: 'owner' })
    expect(me.json.csrfToken).toBe(owner.csrfToken)
    const byKey = await t.request<Me>('GET', '/api/v1/auth/me')
    expect(byKey.json).toMatchObject({ via: 'apiKey', csrfToken: null })
  })

  it('refuses unsafe session requests without the CSRF token or from another site', async () => {
    const before = await tableCounts(t)
    const body = { name: 'Sneaky', transport: 'sandbox' }
    const bare = await t.request<Problem>('POST', '/api/v1/accounts', body, {
      authorization: '',
      cookie: owner.cookie,
    })
    expect(bare.status).toBe(403)
    expect(bare.json.code).toBe('CSRF_FAILED')
    const wrong = await t.request<Problem>('POST', '/api/v1/accounts', body, {
      authorization: '',
      cookie: owner.cookie,
      'x-csrf-token': 'x'.repeat(64),
    })
    expect(wrong.json.code).toBe('CSRF_FAILED')
    const crossSite = await owner.request<Problem>('POST', '/api/v1/accounts', body, {
      origin: 'https://evil.example',
    })
    expect(crossSite.json.code).toBe('CSRF_FAILED')
    const fetchSite = await owner.request<Problem>('POST', '/api/v1/accounts', body, {
      'sec-fetch-site': 'cross-site',
    })
    expect(fetchSite.json.code).toBe('CSRF_FAILED')
    expect(await tableCounts(t)).toEqual(before)

    // With the token and from Linda's own origin it goes through; keys need no token.
    const ok = await owner.request<{ id: string }>('POST', '/api/v1/accounts', body, {
      origin: 'http://localhost:80',
    })
    expect(ok.status).toBe(201)
    const byKey = await t.request('DELETE', `/api/v1/accounts/${ok.json.id}?purge=true`)
    expect(byKey.status).toBe(204)
  })

  it('gives a wrong email and a wrong password the same answer', async () => {
    const wrongPassword = await login(owner.email, 'not the password at all', '10.0.0.1')
    const wrongEmail = await login('nobody@example.com', testPassword, '10.0.0.1')
    for (const res of [wrongPassword, wrongEmail]) {
      expect(res.status).toBe(401)
      expect(res.json.code).toBe('LOGIN_FAILED')
    }
    expect(wrongPassword.json.detail).toBe(wrongEmail.json.detail)
  })

  it('locks an email out after 5 failures, with Retry-After, even for the right password', async () => {
    // Time stands still, so the lockouts stay in force however slow the machine is.
    vi.useFakeTimers({ toFake: ['Date'] })
    const person = await signUp(t, 'agent')
    for (let i = 0; i < 5; i++) {
      expect((await login(person.email, `wrong password ${i}`, '10.0.1.1')).status).toBe(401)
    }
    // The sixth failure starts the lockout (1 s, doubling with each further failure).
    expect((await login(person.email, 'wrong password 6', '10.0.1.2')).status).toBe(401)
    const locked = await login(person.email, testPassword, '10.0.1.3')
    expect(locked.status).toBe(429)
    expect(locked.json.code).toBe('LOGIN_THROTTLED')
    expect(locked.headers['retry-after']).toBe('1')

    vi.setSystemTime(Date.now() + 1_500)
    expect((await login(person.email, 'wrong password 7', '10.0.1.4')).status).toBe(401)
    const longer = await login(person.email, testPassword, '10.0.1.5')
    expect(longer.headers['retry-after']).toBe('2')

    vi.setSystemTime(Date.now() + 2_500)
    expect((await login(person.email, testPassword, '10.0.1.6')).status).toBe(200)
    // Success clears the count: the next mistake is a plain 401 again.
    expect((await login(person.email, 'oops', '10.0.1.7')).status).toBe(401)
    expect((await login(person.email, testPassword, '10.0.1.8')).status).toBe(200)
  })

  it('locks a client address out after 20 failures, whatever emails it tries', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const ip = '10.0.2.1'
    for (let i = 0; i < 21; i++) {
      expect((await login(`guess${i}@example.com`, 'password guess', ip)).status).toBe(401)
    }
    const locked = await login(owner.email, testPassword, ip)
    expect(locked.status).toBe(429)
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    // Another address is not affected.
    expect((await login(owner.email, testPassword, '10.0.2.2')).status).toBe(200)
  })

  it('gives every sign-in a new session and ends the one the browser held', async () => {
    const first = await login(owner.email, testPassword)
    const firstCookie = sessionCookieOf(first.headers)
    const second = await login(owner.email, testPassword, '127.0.0.1', firstCookie)
    const secondCookie = sessionCookieOf(second.headers)
    expect(secondCookie).not.toBe(firstCookie)
    const old = await asSession(
      t,
      firstCookie,
      first.json.csrfToken,
    )<Problem>('GET', '/api/v1/auth/me')
    expect(old.status).toBe(401)
    const fresh = await asSession(t, secondCookie, second.json.csrfToken)('GET', '/api/v1/auth/me')
    expect(fresh.status).toBe(200)
  })

  it('ends a session after its idle time and after its absolute lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const idle = await login(owner.email, testPassword)
    const session = asSession(t, sessionCookieOf(idle.headers), idle.json.csrfToken)
    // Active every 11 hours: the 12-hour idle limit never strikes…
    for (let i = 0; i < 3; i++) {
      vi.setSystemTime(Date.now() + 11 * 3_600_000)
      expect((await session('GET', '/api/v1/auth/me')).status).toBe(200)
    }
    // …but 13 hours without a request does.
    vi.setSystemTime(Date.now() + 13 * 3_600_000)
    expect((await session('GET', '/api/v1/auth/me')).status).toBe(401)

    const busy = await login(owner.email, testPassword)
    const busySession = asSession(t, sessionCookieOf(busy.headers), busy.json.csrfToken)
    // A request every 10 hours keeps it alive for 160 hours…
    for (let i = 0; i < 16; i++) {
      vi.setSystemTime(Date.now() + 10 * 3_600_000)
      expect((await busySession('GET', '/api/v1/auth/me')).status).toBe(200)
    }
    // …and at 170 hours it has ended: seven days after sign-in, however active it was.
    vi.setSystemTime(Date.now() + 10 * 3_600_000)
    const ended = await busySession<Problem>('GET', '/api/v1/auth/me')
    expect(ended.status).toBe(401)
    expect(ended.json.detail).toContain('sign in again')
  })

  it('signs out here, or everywhere; API keys keep working', async () => {
    const person = await signUp(t, 'admin')
    const { key } = await createKey(person)
    const other = await login(person.email, testPassword)
    const otherSession = asSession(t, sessionCookieOf(other.headers), other.json.csrfToken)

    const out = await person.request('POST', '/api/v1/auth/logout')
    expect(out.status).toBe(204)
    expect(String(out.headers['set-cookie'])).toMatch(/^linda_session=;/)
    expect((await person.request('GET', '/api/v1/auth/me')).status).toBe(401)
    expect((await otherSession('GET', '/api/v1/auth/me')).status).toBe(200)

    const third = await login(person.email, testPassword)
    const thirdSession = asSession(t, sessionCookieOf(third.headers), third.json.csrfToken)
    const everywhere = await thirdSession<{ revoked: number }>('POST', '/api/v1/auth/logout-all')
    expect(everywhere.json.revoked).toBe(2)
    expect((await otherSession('GET', '/api/v1/auth/me')).status).toBe(401)
    expect((await thirdSession('GET', '/api/v1/auth/me')).status).toBe(401)
    expect((await owner.request('GET', '/api/v1/auth/me')).status).toBe(200)
    expect((await asKey(t, key)('GET', '/api/v1/auth/me')).status).toBe(200)
  })

  it('lets an admin end the sessions of another user', async () => {
    const person = await signUp(t, 'agent')
    const res = await owner.request<{ revoked: number }>(
      'DELETE',
      `/api/v1/users/${person.user.id}/sessions`,
    )
    expect(res.json.revoked).toBe(1)
    expect((await person.request('GET', '/api/v1/auth/me')).status).toBe(401)
  })

  it('resets a password by link: the old password and the old sessions stop working', async () => {
    const person = await signUp(t, 'agent')
    const link = await owner.request<{ url: string; kind: string }>(
      'POST',
      `/api/v1/users/${person.user.id}/link`,
    )
    expect(link.status).toBe(201)
    expect(link.json.kind).toBe('reset')
    const newPassword = 'a completely new passphrase'
    await completeLink(t, tokenOfLink(link.json.url), { password: newPassword })
    expect((await person.request('GET', '/api/v1/auth/me')).status).toBe(401)
    expect((await login(person.email, testPassword, '10.0.3.1')).status).toBe(401)
    expect((await login(person.email, newPassword, '10.0.3.1')).status).toBe(200)
  })

  it('forgets ended sessions and stale failure counts a day later', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const ended = await login(owner.email, testPassword, '10.0.5.1')
    const session = asSession(t, sessionCookieOf(ended.headers), ended.json.csrfToken)
    expect((await session('POST', '/api/v1/auth/logout')).status).toBe(204)
    expect((await login(owner.email, 'a wrong one', '10.0.5.2')).status).toBe(401)
    const rows = async () => ({
      sessions: (await t.linda.db.db.selectFrom('sessions').select('id').execute()).length,
      throttles: (await t.linda.db.db.selectFrom('login_throttle').select('key').execute()).length,
    })
    const before = await rows()
    await t.linda.auth.sweep()
    expect(await rows()).toEqual(before)
    vi.setSystemTime(Date.now() + 49 * 3_600_000)
    await t.linda.auth.sweep()
    const after = await rows()
    expect(after.sessions).toBeLessThan(before.sessions)
    expect(after.throttles).toBe(0)
  })

  it('shuts a disabled user out: sign-in, sessions and keys', async () => {
    const person = await signUp(t, 'agent')
    const { key } = await createKey(person)
    const disabled = await owner.request<{ status: string }>(
      'POST',
      `/api/v1/users/${person.user.id}/disable`,
    )
    expect(disabled.json.status).toBe('disabled')
    expect((await person.request('GET', '/api/v1/auth/me')).status).toBe(401)
    expect((await asKey(t, key)('GET', '/api/v1/auth/me')).status).toBe(401)
    const refused = await login(person.email, testPassword, '10.0.4.1')
    expect(refused.status).toBe(401)
    expect(refused.json.detail).toContain('disabled')

    await owner.request('POST', `/api/v1/users/${person.user.id}/enable`)
    expect((await asKey(t, key)('GET', '/api/v1/auth/me')).status).toBe(200)
    expect((await login(person.email, testPassword, '10.0.4.1')).status).toBe(200)
  })
})
