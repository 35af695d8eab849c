/**
 * The one-minute tour, end to end: start Linda as a user would, open the setup link it prints
 * and create the owner, open the sandbox account, say "hi" from the phone simulator and watch
 * the greeting rule's reply arrive and turn blue.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  launchChromium,
  saveScreenshot,
  setUpOwnerInBrowser,
  startLindaProcess,
  type RunningLinda,
} from '../helpers/e2e.js'

let linda: RunningLinda | undefined
let browser: Browser | undefined
let page: Page | undefined

describe('dashboard tour', () => {
  beforeAll(async () => {
    // The e2e global setup has built the dashboard and checked that Chromium launches.
    linda = await startLindaProcess()
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await linda?.stop()
  }, 30_000)

  it('sets up the owner, says hi from the simulator and sees the greeting read', async () => {
    if (!page || !linda) throw new Error('the browser did not start')
    page.setDefaultTimeout(15_000)

    await setUpOwnerInBrowser(page, linda)
    const accounts = page.getByRole('navigation', { name: 'Accounts' })
    await accounts.getByRole('link', { name: /^Sandbox\b/ }).click()
    await page.getByRole('heading', { level: 1, name: 'Sandbox' }).waitFor()

    expect(await page.getByLabel('Contact phone', { exact: true }).inputValue()).toBe(
      '+15550001111',
    )

    await page.getByLabel('Message', { exact: true }).fill('hi')
    await page.getByRole('button', { name: 'Send', exact: true }).click()

    const inbound = page
      .locator('[data-testid="message"][data-direction="in"]')
      .filter({ has: page.getByText('hi', { exact: true }) })
    await inbound.first().waitFor()
    expect(await inbound.count()).toBe(1)

    const reply = page
      .locator('[data-testid="message"][data-direction="out"]')
      .filter({ hasText: 'Hello' })
      .first()
    await reply.waitFor({ timeout: 20_000 })
    await reply.locator('[data-status="read"]').waitFor({ timeout: 20_000 })
    expect(await reply.locator('[data-status]').getAttribute('aria-label')).toBe('Status: read')

    // Oldest at the top: the greeting comes after the "hi" that caused it.
    const directions = await page
      .locator('[data-testid="message"]')
      .evaluateAll((bubbles) => bubbles.map((bubble) => bubble.getAttribute('data-direction')))
    expect(directions.indexOf('in')).toBeLessThan(directions.lastIndexOf('out'))
    await saveScreenshot(page, 'tour-sandbox-conversation')
  }, 90_000)
})
