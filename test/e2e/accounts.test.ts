/**
 * Accounts from the dashboard, end to end: sign in, add a sandbox account, watch it connect,
 * disconnect and connect it again, then delete it.
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
let baseUrl = ''
let apiKey = ''

describe('dashboard accounts', () => {
  beforeAll(async () => {
    // The e2e global setup has built the dashboard and checked that Chromium launches.
    linda = await startLindaProcess()
    baseUrl = linda.baseUrl
    apiKey = linda.apiKey
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await linda?.stop()
  }, 30_000)

  it('adds a sandbox account, disconnects and connects it, and deletes it', async () => {
    if (!page || !linda) throw new Error('the browser did not start')
    page.setDefaultTimeout(15_000)

    await setUpOwnerInBrowser(page, linda)

    const accounts = page.getByRole('navigation', { name: 'Accounts' })
    await accounts.getByRole('button', { name: 'Add account' }).click()

    const dialog = page.getByRole('dialog', { name: 'Add an account' })
    await dialog.getByRole('radio', { name: /^Sandbox/ }).check()
    await dialog.getByLabel('Name', { exact: true }).fill('Support')
    await dialog.getByRole('button', { name: 'Add account' }).click()
    await dialog.waitFor({ state: 'detached' })

    // The new account is selected, and the list shows it connected.
    await page.getByRole('heading', { level: 1, name: 'Support' }).waitFor()
    const listed = accounts.getByRole('link', { name: /^Support\b/ })
    await accounts.getByRole('link', { name: /^Support .*\bConnected$/ }).waitFor()
    expect(await listed.getAttribute('aria-current')).toBe('page')

    const state = page.getByRole('status', { name: 'Account state' })
    await page.getByRole('button', { name: 'Disconnect', exact: true }).click()
    await state.filter({ hasText: 'Disconnected' }).waitFor()
    await accounts.getByRole('link', { name: /^Support .*\bDisconnected$/ }).waitFor()

    await page.getByRole('button', { name: 'Connect', exact: true }).click()
    await state.filter({ hasText: /^Connected$/ }).waitFor()
    await accounts.getByRole('link', { name: /^Support .*\bConnected$/ }).waitFor()

    await page.getByRole('button', { name: 'Delete', exact: true }).click()
    const confirm = page.getByRole('alertdialog', { name: 'Delete Support?' })
    await confirm.getByLabel('Also delete its messages and conversations').check()
    await saveScreenshot(page, 'accounts-delete-confirmation')
    await confirm.getByRole('button', { name: 'Delete account' }).click()

    await listed.waitFor({ state: 'detached' })
    expect(page.url()).toBe(`${baseUrl}/#/`)
    const response = await fetch(`${baseUrl}/api/v1/accounts`, {
      headers: { Authorization: `Bearer ${apiKey}` },
    })
    const { items } = (await response.json()) as { items: { name: string }[] }
    expect(items.map((account) => account.name)).not.toContain('Support')
  }, 90_000)
})
