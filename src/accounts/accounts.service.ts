import type { Db } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import type { EventBus } from '../platform/events/index.js'
import { newId } from '../platform/ids.js'
import type { Logger } from '../platform/logging.js'
import type {
  ConnectionState,
  InboundMessage,
  StatusUpdate,
  Transport,
  TransportListener,
} from '../transports/index.js'
import { SandboxTransport } from '../transports/sandbox/index.js'
import * as repo from './accounts.repo.js'
import {
  accountSettingsSchema,
  type Account,
  type CreateAccountInput,
  type UpdateAccountInput,
} from './accounts.schemas.js'

declare module '../platform/events/port.js' {
  interface EventRegistry {
    'account.state': Account
  }
}

/** Where a running transport hands what it hears; `app.ts` wires it to the message pipeline. */
export interface AccountInbox {
  inbound(account: Account, message: InboundMessage): ReturnType<TransportListener['inbound']>
  statuses(account: Account, updates: readonly StatusUpdate[]): Promise<void>
}

export interface AccountsDeps {
  db: Db
  events: EventBus
  logger: Logger
  inbox: AccountInbox
}

/**
 * Owns the accounts and their running transports: creates them, starts and stops their
 * connections, persists and publishes each state change.
 */
export class AccountsService {
  private readonly running = new Map<string, { account: Account; transport: Transport }>()

  constructor(private readonly deps: AccountsDeps) {}

  async create(input: CreateAccountInput): Promise<Account> {
    const settings = accountSettingsSchema.parse(input.settings ?? {})
    const account = await repo.insertAccount(this.deps.db, {
      id: newId(),
      name: input.name,
      transport: input.transport,
      settings,
    })
    this.deps.logger.info(
      { accountId: account.id, transport: account.transport },
      'account created',
    )
    await this.connect(account.id)
    return (await repo.findAccount(this.deps.db, account.id)) ?? account
  }

  list(page: { limit: number; after?: string }): Promise<Account[]> {
    return repo.listAccounts(this.deps.db, page)
  }

  async get(id: string): Promise<Account> {
    const account = await repo.findAccount(this.deps.db, id)
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account has the id ${id}`)
    return account
  }

  async update(id: string, change: UpdateAccountInput): Promise<Account> {
    const current = await this.get(id)
    const settings =
      change.settings === undefined
        ? undefined
        : accountSettingsSchema.parse({
            ...current.settings,
            ...change.settings,
            sandbox: { ...current.settings.sandbox, ...change.settings.sandbox },
          })
    const updated = await repo.updateAccount(this.deps.db, id, { name: change.name, settings })
    if (!updated) throw new AppError('ACCOUNT_NOT_FOUND', `No account has the id ${id}`)
    const live = this.running.get(id)
    if (live && settings) {
      // Transports read their settings when they connect: reconnect to apply them.
      await this.disconnect(id)
      await this.connect(id)
    }
    return this.get(id)
  }

  /** Deletes the account; its conversations and messages are kept. */
  async remove(id: string): Promise<void> {
    await this.get(id)
    await this.stopTransport(id)
    await repo.softDeleteAccount(this.deps.db, id)
  }

  async connect(id: string): Promise<Account> {
    const account = await this.get(id)
    if (this.running.has(id)) return account
    const transport = this.buildTransport(account)
    this.running.set(id, { account, transport })
    try {
      await transport.connect()
    } catch (err) {
      this.running.delete(id)
      const reason = err instanceof Error ? err.message : String(err)
      await this.recordState(id, 'error', reason)
      throw err
    }
    return this.get(id)
  }

  async disconnect(id: string): Promise<Account> {
    await this.get(id)
    await this.stopTransport(id)
    return this.get(id)
  }

  /** Connects every account that was not left disconnected on purpose. */
  async startAll(): Promise<void> {
    let after: string | undefined
    for (;;) {
      const page = await repo.listAccounts(this.deps.db, { limit: 100, after })
      for (const account of page) {
        if (account.state === 'disconnected' || account.state === 'logged_out') continue
        await this.connect(account.id).catch((err: unknown) => {
          this.deps.logger.error({ err, accountId: account.id }, 'account failed to connect')
        })
      }
      if (page.length < 100) return
      after = page[page.length - 1]?.id
    }
  }

  /** Closes every connection; accounts keep their state for the next start. */
  async stopAll(): Promise<void> {
    await Promise.allSettled(
      [...this.running.entries()].map(async ([id, { transport }]) => {
        this.running.delete(id)
        await transport.disconnect()
      }),
    )
  }

  /** The running transport of an account, to send through. */
  transport(id: string): { account: Account; transport: Transport } {
    const live = this.running.get(id)
    if (!live) throw new AppError('ACCOUNT_NOT_CONNECTED', `Account ${id} is not connected`)
    return live
  }

  /** The account as its running transport knows it (kept current), without a query. */
  live(id: string): Account | undefined {
    return this.running.get(id)?.account
  }

  /** The simulated network of a sandbox account. */
  async sandbox(id: string): Promise<SandboxTransport> {
    const account = await this.get(id)
    if (account.transport !== 'sandbox') {
      throw new AppError(
        'ACCOUNT_NOT_SANDBOX',
        `Account ${id} uses the ${account.transport} transport`,
      )
    }
    const live = this.running.get(id)
    if (!live || !(live.transport instanceof SandboxTransport)) {
      throw new AppError('ACCOUNT_NOT_CONNECTED', `Account ${id} is not connected`)
    }
    return live.transport
  }

  /** Connection states of the running accounts, for health checks. */
  states(): Array<{ id: string; name: string; state: ConnectionState }> {
    return [...this.running.values()].map(({ account }) => ({
      id: account.id,
      name: account.name,
      state: account.state,
    }))
  }

  private async stopTransport(id: string): Promise<void> {
    const live = this.running.get(id)
    if (!live) {
      await this.recordState(id, 'disconnected', null)
      return
    }
    this.running.delete(id)
    await live.transport.disconnect()
    await this.recordState(id, 'disconnected', null)
  }

  private buildTransport(account: Account): Transport {
    let transport: Transport | undefined
    const listener: TransportListener = {
      inbound: (message) => this.deps.inbox.inbound(this.current(account), message),
      statuses: (updates) => this.deps.inbox.statuses(this.current(account), updates),
      state: (state, reason) => {
        // A transport that was stopped is no longer the running one: its "disconnected" is
        // not recorded, so stopAll() leaves each account's state for the next start (and
        // stopTransport() records the state itself).
        if (this.running.get(account.id)?.transport !== transport) return
        void this.recordState(account.id, state, reason ?? null).catch((err: unknown) => {
          this.deps.logger.error({ err, accountId: account.id }, 'recording account state failed')
        })
      },
    }
    switch (account.transport) {
      case 'sandbox':
        transport = new SandboxTransport(listener, account.settings.sandbox)
        return transport
      case 'cloud':
      case 'baileys':
        throw new AppError(
          'ACCOUNT_NOT_CONNECTED',
          `The ${account.transport} transport is not available in this version`,
        )
    }
  }

  private current(account: Account): Account {
    return this.running.get(account.id)?.account ?? account
  }

  private async recordState(
    id: string,
    state: ConnectionState,
    reason: string | null,
  ): Promise<void> {
    const live = this.running.get(id)
    if (live && live.account.state === state && live.account.stateReason === reason) return
    const account = await repo.setAccountState(this.deps.db, id, state, reason)
    if (!account) return
    if (live) live.account = account
    this.deps.logger.info({ accountId: id, state, reason }, 'account state changed')
    this.deps.events.publish('account.state', account)
  }
}
