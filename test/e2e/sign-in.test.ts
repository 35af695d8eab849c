/**
 * People and access in the dashboard, end to end: the first owner sets up through the link
 * the console printed, signs out and in again, invites an agent who joins through their own
 * link in another browser, makes and revokes an API key, and signs out everywhere. axe-core
 * checks every page on the way.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  e2eOwner,
  launchChromium,
  saveScreenshot,
  seriousA11yViolations,
  signInInBrowser,
  startLindaProcess,
  type RunningLinda,
} from '../helpers/e2e.js'

let linda: RunningLinda | undefined
let browser: Browser | undefined
let owner: BrowserContext | undefined
let page: Page | undefined

describe('signing in and the team', () => {
  beforeAll(async () => {
    linda = await startLindaProcess()
    browser = await launchChromium()
    owner = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    page = await owner.newPage()
    page.setDefaultTimeout(15_000)
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await linda?.stop()
  }, 30_000)

  it('sets up the first owner through the printed link, which then stops working', async () => {
    if (!page || !linda) throw new Error('the browser did not start')
    await page.goto(linda.setupUrl)
    await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor()
    expect(await seriousA11yViolations(page)).toEqual([])

    // A weak password is refused, and the reason is announced.
    await page.getByLabel('Email', { exact: true }).fill(e2eOwner.email)
    await page.getByLabel('Name', { exact: true }).fill(e2eOwner.name)
    await page.getByLabel('Password', { exact: true }).fill('1234567890')
    await page.getByLabel('Repeat the password', { exact: true }).fill('1234567890')
    await page.getByRole('button', { name: 'Create and sign in' }).click()
    await page.getByRole('alert').filter({ hasText: 'most common passwords' }).waitFor()
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    )
    await saveScreenshot(page, 'setup-weak-password')

    await page.getByLabel('Password', { exact: true }).fill(e2eOwner.password)
    await page.getByLabel('Repeat the password', { exact: true }).fill(e2eOwner.password)
    await page.getByRole('button', { name: 'Create and sign in' }).click()
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/')
    await page.getByText(e2eOwner.name).waitFor()

    // The link worked once.
    const again = await owner!.newPage()
    await again.goto(linda.setupUrl)
    await again.getByRole('heading', { name: 'This link does not work' }).waitFor()
    await again.close()
  }, 90_000)

  it('signs out, refuses a wrong password, and signs in again', async () => {
    if (!page) throw new Error('the browser did not start')
    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Sign in to your dashboard' }).waitFor()
    await page.getByRole('status').filter({ hasText: 'You have signed out.' }).waitFor()
    expect(await seriousA11yViolations(page)).toEqual([])

    await signInInBrowser(page, e2eOwner.email, 'not my password at all')
    await page
      .getByRole('alert')
      .filter({ hasText: 'That email and password do not match.' })
      .waitFor()
    await saveScreenshot(page, 'sign-in-wrong-password')

    // Keyboard alone: type the password and press Enter.
    await page.getByLabel('Password', { exact: true }).fill(e2eOwner.password)
    await page.getByLabel('Password', { exact: true }).press('Enter')
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
    // The session survives a reload (the cookie, not the page, holds it).
    await page.reload()
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
  }, 60_000)

  it('invites an agent, who joins through the link and sees only their account', async () => {
    if (!page || !browser) throw new Error('the browser did not start')
    await page.getByRole('link', { name: 'Team' }).click()
    await page.getByRole('heading', { level: 1, name: 'Team' }).waitFor()
    const invite = page.getByRole('region', { name: 'Invite someone' })
    await invite.getByLabel('Email', { exact: true }).fill('ana@example.com')
    await invite.getByLabel('Name', { exact: true }).fill('Ana Agent')
    await invite.getByLabel('Role').selectOption('agent')
    await invite.getByRole('checkbox', { name: 'Sandbox' }).check()
    await invite.getByRole('button', { name: 'Invite' }).click()
    const linkField = page.getByLabel('Invite link for Ana Agent')
    await linkField.waitFor()
    const inviteUrl = await linkField.inputValue()
    expect(inviteUrl).toMatch(/\/setup\?token=/)
    await page
      .getByRole('row', { name: /Ana Agent/ })
      .getByText('Invited')
      .waitFor()
    expect(await seriousA11yViolations(page)).toEqual([])
    await saveScreenshot(page, 'team-invited')

    const agentContext = await browser.newContext({ viewport: { width: 390, height: 844 } })
    try {
      const agent = await agentContext.newPage()
      agent.setDefaultTimeout(15_000)
      await agent.goto(inviteUrl)
      await agent.getByRole('heading', { level: 1, name: 'Join your team on Linda' }).waitFor()
      expect(await seriousA11yViolations(agent)).toEqual([])
      await agent.getByLabel('Password', { exact: true }).fill('a long and private phrase')
      await agent
        .getByLabel('Repeat the password', { exact: true })
        .fill('a long and private phrase')
      await agent.getByRole('button', { name: 'Create and sign in' }).click()
      await agent.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
      const accounts = agent.getByRole('navigation', { name: 'Accounts' })
      await accounts.getByRole('link', { name: /^Sandbox\b/ }).waitFor()
      expect(await agent.getByRole('link', { name: 'Team' }).count()).toBe(0)
      await saveScreenshot(agent, 'agent-signed-in-phone')
    } finally {
      await agentContext.close()
    }
    await page.reload()
    await page
      .getByRole('row', { name: /Ana Agent/ })
      .getByText('Active')
      .waitFor()
  }, 90_000)

  it('creates an API key shown once, lists it by prefix, and revokes it', async () => {
    if (!page || !linda) throw new Error('the browser did not start')
    await page.getByRole('link', { name: 'API keys' }).click()
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor()
    await page.getByLabel('Name', { exact: true }).fill('orders script')
    await page.getByRole('checkbox', { name: /^Write/ }).uncheck()
    await page.getByRole('checkbox', { name: /^Admin/ }).uncheck()
    await page.getByRole('button', { name: 'Create key' }).click()
    const shown = page.getByLabel('Key “orders script”')
    await shown.waitFor()
    const key = await shown.inputValue()
    expect(key).toMatch(/^linda_/)
    const row = page.getByRole('row', { name: /orders script/ })
    await row.getByText(`${key.slice(0, 12)}…`).waitFor()
    await row.getByText('read', { exact: true }).waitFor()
    expect(await seriousA11yViolations(page)).toEqual([])
    await saveScreenshot(page, 'api-keys')

    // The key reads, but it was made without the write scope.
    const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }
    expect((await fetch(`${linda.baseUrl}/api/v1/accounts`, { headers })).status).toBe(200)
    const write = await fetch(`${linda.baseUrl}/api/v1/accounts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'x', transport: 'sandbox' }),
    })
    expect(write.status).toBe(403)

    await page.getByRole('button', { name: 'Revoke orders script' }).click()
    await row.waitFor({ state: 'detached' })
    expect((await fetch(`${linda.baseUrl}/api/v1/accounts`, { headers })).status).toBe(401)
  }, 60_000)

  it('signs out everywhere: another browser of the same person is signed out too', async () => {
    if (!page || !browser || !linda) throw new Error('the browser did not start')
    const other = await browser.newContext()
    try {
      const second = await other.newPage()
      second.setDefaultTimeout(15_000)
      await second.goto(`${linda.baseUrl}/`)
      await signInInBrowser(second, e2eOwner.email, e2eOwner.password)
      await second.getByRole('button', { name: 'Sign out', exact: true }).waitFor()

      await page.getByRole('button', { name: 'Sign out everywhere' }).click()
      await page
        .getByRole('status')
        .filter({ hasText: 'You have signed out on every device.' })
        .waitFor()
      // The other browser's live connection is closed by Linda: it is sent to sign in.
      await second.getByRole('heading', { level: 1, name: 'Sign in to your dashboard' }).waitFor()
    } finally {
      await other.close()
    }
  }, 60_000)
})
