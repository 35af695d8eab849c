import type { Account, AccountsService } from '../accounts/index.js'
import { normalizePhone } from '../contacts/index.js'
import { AppError } from '../platform/errors.js'
import { translate } from '../i18n/index.js'
import { catalogText, type Command } from './commands.js'

async function allAccounts(accounts: AccountsService): Promise<Account[]> {
  const found: Account[] = []
  let after: string | undefined
  for (;;) {
    const page = await accounts.list({ limit: 100, after })
    found.push(...page)
    if (page.length < 100) return found
    after = page[page.length - 1]?.id
  }
}

/** The number an account answers on, when it has one. */
function numberOf(account: Account): string | undefined {
  return account.baileys?.phone
}

function describe(account: Account): string {
  const reason = account.stateReason ? ` (${account.stateReason})` : ''
  const number = numberOf(account) ? ` ${numberOf(account)}` : ''
  return `• ${account.name}${number} — ${account.transport}, ${account.state}${reason}`
}

/** Managing accounts from WhatsApp itself: for the admin numbers of the account written to. */
export function accountCommands(accounts: AccountsService): Command[] {
  return [
    {
      name: 'status',
      summary: catalogText('command.status.summary'),
      permission: 'admin',
      pure: true,
      async run({ accountId, language }) {
        const here = await accounts.get(accountId)
        const all = await allAccounts(accounts)
        const connected = all.filter((a) => a.state === 'connected').length
        const summary = translate(language, 'accounts.connected', { connected, total: all.length })
        return `${describe(here).slice(2)}\n${summary}`
      },
    },
    {
      name: 'accounts',
      summary: catalogText('command.accounts.summary'),
      permission: 'admin',
      pure: true,
      async run({ language }) {
        const all = await allAccounts(accounts)
        return all.length === 0
          ? translate(language, 'accounts.none')
          : all.map(describe).join('\n')
      },
    },
    {
      name: 'add-account',
      summary: catalogText('command.add-account.summary'),
      usage: 'add-account <phone> [name]',
      permission: 'admin',
      async run({ args, prefix, language }) {
        const [raw, ...rest] = args
        if (!raw) {
          return translate(language, 'command.usage', {
            prefix,
            usage: 'add-account <phone> [name]',
          })
        }
        let phone: string
        try {
          phone = normalizePhone(raw, 'phone')
        } catch (err) {
          if (err instanceof AppError) return err.message
          throw err
        }
        const name = rest.join(' ') || phone
        let account: Account
        try {
          account = await accounts.create({
            name,
            transport: 'baileys',
            baileys: { phone },
          } as Parameters<AccountsService['create']>[0])
        } catch (err) {
          if (err instanceof AppError) return err.message
          throw err
        }
        // The pairing code comes once the transport has reached WhatsApp.
        for (let i = 0; i < 20; i++) {
          const pairing = await accounts.pairing(account.id)
          if (pairing.pairingCode) {
            return translate(language, 'accounts.created.code', {
              name,
              phone,
              code: pairing.pairingCode,
            })
          }
          if (pairing.state === 'error' || pairing.state === 'connected') break
          await new Promise((resolve) => setTimeout(resolve, 250))
        }
        const now = await accounts.get(account.id)
        const state = `${now.state}${now.stateReason ? `: ${now.stateReason}` : ''}`
        return translate(language, 'accounts.created.state', { name, state })
      },
    },
    {
      name: 'remove-account',
      summary: catalogText('command.remove-account.summary'),
      usage: 'remove-account <phone>',
      permission: 'admin',
      async run({ args, prefix, accountId, language }) {
        const raw = args[0]
        if (!raw)
          return translate(language, 'command.usage', { prefix, usage: 'remove-account <phone>' })
        let phone: string
        try {
          phone = normalizePhone(raw, 'phone')
        } catch (err) {
          if (err instanceof AppError) return err.message
          throw err
        }
        const account = (await allAccounts(accounts)).find((a) => numberOf(a) === phone)
        if (!account) return translate(language, 'accounts.unknownNumber', { phone })
        if (account.id === accountId) return translate(language, 'accounts.removeSelf')
        await accounts.remove(account.id)
        return translate(language, 'accounts.removed', { name: account.name, phone })
      },
    },
  ]
}
