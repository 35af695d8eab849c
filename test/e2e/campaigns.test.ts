/**
 * Campaigns and schedules from the dashboard, end to end: estimate a campaign to a list of
 * numbers, start it and watch its progress bar fill; see a schedule and its next run, pause
 * and resume it.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  launchChromium,
  seriousA11yViolations,
  setUpOwnerInBrowser,
  startLindaProcess,
  type RunningLinda,
} from '../helpers/e2e.js'

let linda: RunningLinda | undefined
let browser: Browser | undefined
let page: Page | undefined

describe('dashboard campaigns and schedules', () => {
  beforeAll(async () => {
    linda = await startLindaProcess()
    browser = await launchChromium()
    // A context of its own: axe-core checks pages made from one.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await linda?.stop()
  }, 30_000)

  it('estimates and starts a campaign, then shows a schedule and pauses it', async () => {
    if (!page || !linda) throw new Error('the browser did not start')
    page.setDefaultTimeout(15_000)
    await setUpOwnerInBrowser(page, linda)

    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Campaigns' })
      .click()
    await page.getByRole('heading', { level: 1, name: 'Campaigns' }).waitFor()
    await page.getByRole('button', { name: 'New campaign' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Launch')
    await page.getByLabel('A list of numbers').check()
    await page
      .getByLabel('Phone numbers')
      .fill('+15550002001\n+15550002002\n+15550002002\nnot a number')
    await page.getByRole('button', { name: 'Estimate' }).click()
    await page.getByText(/2 recipients of 4/).waitFor()
    await expect(page.getByText(/1 duplicate/).count()).resolves.toBe(1)
    await page.getByRole('button', { name: 'Create and start' }).click()

    const campaign = page
      .getByRole('listitem')
      .filter({ has: page.getByRole('heading', { name: 'Launch' }) })
    await campaign.getByText('Completed').waitFor({ timeout: 20_000 })
    // Two sent and the invalid number skipped: progress comes live from the event stream.
    await campaign.getByText('3 of 3 (100 %)').waitFor({ timeout: 20_000 })
    const bar = campaign.getByRole('progressbar', { name: 'Launch: progress' })
    await expect(bar.getAttribute('value')).resolves.toBe('100')
    await campaign.getByRole('button', { name: 'Download report (CSV)' }).waitFor()
    expect(await seriousA11yViolations(page)).toEqual([])

    const created = await fetch(`${linda.baseUrl}/api/v1/schedules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${linda.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Morning note',
        accountId: (
          (await (
            await fetch(`${linda.baseUrl}/api/v1/accounts`, {
              headers: { authorization: `Bearer ${linda.apiKey}` },
            })
          ).json()) as { items: Array<{ id: string }> }
        ).items[0]!.id,
        target: { type: 'phone', phone: '+15550002003' },
        message: { type: 'text', text: 'Good morning' },
        cron: '0 9 * * *',
        timezone: 'Europe/Berlin',
      }),
    })
    expect(created.status).toBe(201)

    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Schedules' })
      .click()
    await page.getByRole('heading', { level: 1, name: 'Schedules' }).waitFor()
    const upcoming = page.getByRole('region', { name: 'Upcoming' })
    await upcoming.getByText('Morning note').first().waitFor()
    await page.getByRole('button', { name: 'Pause Morning note' }).click()
    await page.getByRole('button', { name: 'Resume Morning note' }).click()
    await page.getByRole('button', { name: 'Pause Morning note' }).waitFor()
    expect(await seriousA11yViolations(page)).toEqual([])
  }, 90_000)
})
