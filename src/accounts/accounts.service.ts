import { transaction, type Db } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import type { EventBus } from '../platform/events/index.js'
import { newId } from '../platform/ids.js'
import type { Logger } from '../platform/logging.js'
import type {
  ConnectionState,
  InboundMessage,
  StatusUpdate,
  Transport,
  TransportKind,
  TransportListener,
} from '../transports/index.js'
import { SandboxTransport } from '../transports/sandbox/index.js'
import { canTransition, refusedTransition } from './account-state.js'
import {
  CredentialsKeyError,
  readCredentials,
  toColumns,
  type AccountCredentials,
  type CloudCredentials,
  type CredentialsOf,
} from './accounts.credentials.js'
import * as repo from './accounts.repo.js'
import {
  accountSettingsSchema,
  type Account,
  type AccountSettings,
  type AccountSettingsInput,
  type CreateAccountInput,
  type Pairing,
  type UpdateAccountInput,
} from './accounts.schemas.js'

/** A code to link a device with, while an account is `linking`. */
export interface PairingInfo {
  /** The QR code's content, to render as a QR code. */
  qr?: string
  /** A pairing code to type on the phone. */
  pairingCode?: string
}

declare module '../platform/events/port.js' {
  interface EventRegistry {
    'account.state': Account
    /** A new QR code or pairing code for an account that is linking. */
    'account.pairing': { accountId: string } & PairingInfo
  }
}

/** Where a running transport hands what it hears; `app.ts` wires it to the message pipeline. */
export interface AccountInbox {
  inbound(account: Account, message: InboundMessage): ReturnType<TransportListener['inbound']>
  statuses(account: Account, updates: readonly StatusUpdate[]): Promise<void>
}

/**
 * What a transport built by the accounts layer may report: the port's listener, and the
 * codes to link a device with. (Linking is the accounts layer's business, so it is not on
 * the Transport port; a transport that links takes this wider listener.)
 */
export interface AccountTransportListener extends TransportListener {
  /**
   * Each new QR code or pairing code while the account is `linking` (WhatsApp rotates
   * them), or null when there is none to show any more. The latest one is what
   * `GET /accounts/{id}/pairing` answers and what the `account.pairing` event carries.
   */
  pairing(info: PairingInfo | null): void
}

/** Builds the transport of one account from its credentials. */
export type TransportFactory<K extends TransportKind> = (
  account: Account,
  credentials: CredentialsOf<K>,
  listener: AccountTransportListener,
) => Transport

/** The transports this build can run; an account of a kind without one cannot connect. */
export type TransportFactories = { readonly [K in TransportKind]?: TransportFactory<K> }

export interface AccountsDeps {
  db: Db
  events: EventBus
  logger: Logger
  inbox: AccountInbox
  /** The instance key (32 bytes) that seals transport credentials at rest. */
  secretKey: Buffer
  transportFactories: TransportFactories
}

/** How a state change went: applied, already so, refused by the lifecycle, or no account. */
type StateOutcome =
  | { outcome: 'changed' | 'unchanged'; account: Account }
  | { outcome: 'refused'; account: Account; why: string }
  | { outcome: 'gone' }

const PURGE_BATCH = 1000

/**
 * Owns the accounts and their running transports: creates them, keeps their credentials
 * sealed, starts and stops their connections, and moves them through their lifecycle
 * (account-state.ts), persisting and publishing each state change.
 */
export class AccountsService {
  private readonly running = new Map<string, { account: Account; transport: Transport }>()
  /** The latest pairing code of each linking account. */
  private readonly pairings = new Map<string, PairingInfo>()
  /** State changes of each account, applied one after another in the order they came. */
  private readonly stateQueues = new Map<string, Promise<unknown>>()

  constructor(private readonly deps: AccountsDeps) {}

  async create(input: CreateAccountInput): Promise<Account> {
    const credentials = credentialsFromInput(input)
    let account: Account
    try {
      account = await repo.insertAccount(this.deps.db, {
        id: newId(),
        name: input.name,
        transport: input.transport,
        settings: mergeSettings(undefined, input.settings),
        ...toColumns(this.deps.secretKey, credentials),
      })
    } catch (err) {
      throw takenOr(err, credentials)
    }
    this.deps.logger.info(
      { accountId: account.id, transport: account.transport },
      'account created',
    )
    return this.connect(account.id)
  }

  /** Accounts in id order; `ids` narrows them to those (an agent's accounts). */
  list(page: { limit: number; after?: string; ids?: readonly string[] }): Promise<Account[]> {
    return repo.listAccounts(this.deps.db, page)
  }

  async get(id: string): Promise<Account> {
    const account = await repo.findAccount(this.deps.db, id)
    if (!account) throw notFound(id)
    return account
  }

  /** The account whose id on its provider is `externalId` (e.g. a Cloud API phone number id). */
  findByExternalId(transport: TransportKind, externalId: string): Promise<Account | undefined> {
    return repo.findAccountByExternalId(this.deps.db, transport, externalId)
  }

  /**
   * The account's credentials, secrets included, for its transport. Throws
   * ACCOUNT_NOT_FOUND, or CredentialsKeyError when the instance key does not open them.
   */
  async credentialsOf(id: string): Promise<AccountCredentials> {
    const credentials = await readCredentials(this.deps.db, this.deps.secretKey, id)
    if (!credentials) throw notFound(id)
    return credentials
  }

  async update(id: string, change: UpdateAccountInput): Promise<Account> {
    const current = await this.get(id)
    const settings =
      change.settings === undefined ? undefined : mergeSettings(current.settings, change.settings)
    const credentials =
      change.cloud === undefined ? undefined : await this.changedCloud(current, change.cloud)
    let updated: Account | undefined
    try {
      updated = await repo.updateAccount(this.deps.db, id, {
        name: change.name,
        settings,
        credentials: credentials && toColumns(this.deps.secretKey, credentials),
      })
    } catch (err) {
      throw credentials ? takenOr(err, credentials) : err
    }
    if (!updated) throw notFound(id)
    if (credentials) this.deps.logger.info({ accountId: id }, 'account credentials changed')
    const live = this.running.get(id)
    if (live && (settings || credentials)) {
      // Transports read their settings and credentials when they connect: reconnect.
      await this.stopTransport(id)
      return this.connect(id)
    }
    if (live) live.account = updated
    return updated
  }

  /**
   * Deletes the account. Its conversations and messages are kept unless `purge` is set;
   * then they are deleted too (contacts stay: they are shared by every account). A purge
   * also removes the history of an account deleted earlier without one.
   */
  async remove(id: string, options: { purge?: boolean } = {}): Promise<void> {
    const account = await repo.findAccount(this.deps.db, id, { includeDeleted: options.purge })
    if (!account) throw notFound(id)
    await this.stopTransport(id)
    this.pairings.delete(id)
    // Deleted first: the account leaves the API at once, and a purge cut short (a crash
    // between batches) is finished by asking again.
    await repo.softDeleteAccount(this.deps.db, id)
    if (!options.purge) {
      this.deps.logger.info({ accountId: id }, 'account deleted; its history is kept')
      return
    }
    let messages = 0
    for (;;) {
      const deleted = await repo.deleteMessagesBatch(this.deps.db, id, PURGE_BATCH)
      messages += deleted
      if (deleted < PURGE_BATCH) break
    }
    await transaction(this.deps.db, (trx) => repo.deleteAccountRow(trx, id))
    this.deps.logger.info({ accountId: id, messages }, 'account purged with its history')
  }

  /**
   * Connects the account. A transport that cannot start (no factory in this build,
   * credentials that do not open, a failing `connect`) leaves the account in `error` with
   * the reason; that is an outcome, not an exception.
   */
  async connect(id: string): Promise<Account> {
    let account = await this.get(id)
    if (this.running.has(id)) {
      if (account.state !== 'error') return account
      // Its transport gave up (a crash loop, a link that ran out): start a fresh one.
      await this.stopTransport(id)
      account = await this.get(id)
    }
    if (!this.deps.transportFactories[account.transport]) {
      const reason = `the ${account.transport} transport is not available in this version`
      this.deps.logger.warn({ accountId: id, transport: account.transport }, reason)
      await this.recordState(id, 'error', reason)
      return this.get(id)
    }
    let transport: Transport
    try {
      transport = this.buildTransport(account, await this.credentialsOf(id))
    } catch (err) {
      return this.failed(id, err, 'account transport could not be built')
    }
    this.running.set(id, { account, transport })
    if (
      transport.capabilities.pairing !== 'none' &&
      (account.state === 'created' || account.state === 'logged_out')
    ) {
      await this.recordState(id, 'linking', null)
    }
    try {
      await transport.connect()
    } catch (err) {
      this.running.delete(id)
      await transport.disconnect().catch(() => {})
      return this.failed(id, err, 'account failed to connect')
    }
    // The states the transport reported while connecting are recorded before answering.
    await this.stateQueues.get(id)
    return this.get(id)
  }

  async disconnect(id: string): Promise<Account> {
    await this.get(id)
    await this.stopTransport(id)
    return this.get(id)
  }

  /**
   * Unlinks the account: it stops and becomes `logged_out`, and needs a new link (`connect`
   * links again where the transport pairs, or just connects where it does not).
   */
  async logout(id: string): Promise<Account> {
    await this.get(id)
    const live = this.running.get(id)
    if (live) {
      this.running.delete(id)
      await live.transport.disconnect()
    }
    await this.recordState(id, 'logged_out', null)
    return this.get(id)
  }

  /** The account's state, and the code to link it with while it is `linking`. */
  async pairing(id: string): Promise<Pairing> {
    const { state } = await this.get(id)
    return { state, ...(state === 'linking' ? this.pairings.get(id) : {}) }
  }

  /** Connects every account that was not left disconnected or logged out. */
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
    await Promise.allSettled([...this.stateQueues.values()])
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

  /** Stops the transport, if it runs, and records `disconnected` (a logged-out account stays so). */
  private async stopTransport(id: string): Promise<void> {
    const live = this.running.get(id)
    if (live) {
      this.running.delete(id)
      await live.transport.disconnect()
    }
    await this.recordState(id, 'disconnected', null)
  }

  private async failed(id: string, err: unknown, message: string): Promise<Account> {
    // The reason is the error's message only: never the credentials the transport was given.
    const reason = err instanceof Error ? err.message : String(err)
    this.deps.logger.error({ err, accountId: id }, message)
    await this.recordState(id, 'error', reason)
    return this.get(id)
  }

  private buildTransport(account: Account, credentials: AccountCredentials): Transport {
    let transport: Transport | undefined
    const isCurrent = () =>
      transport !== undefined && this.running.get(account.id)?.transport === transport
    const listener: AccountTransportListener = {
      inbound: (message) => this.deps.inbox.inbound(this.current(account), message),
      statuses: (updates) => this.deps.inbox.statuses(this.current(account), updates),
      state: (state, reason) => {
        // A transport that was stopped is no longer the running one: its "disconnected" is
        // not recorded, so stopAll() leaves each account's state for the next start (and
        // stopTransport() records the state itself).
        if (!isCurrent()) return
        this.recordState(account.id, state, reason ?? null).then(
          (result) => {
            if (result.outcome !== 'refused') return
            this.deps.logger.warn(
              { accountId: account.id, transport: account.transport },
              `transport reported a state change the lifecycle refuses, ignored: ${result.why}`,
            )
          },
          (err: unknown) => {
            this.deps.logger.error({ err, accountId: account.id }, 'recording account state failed')
          },
        )
      },
      pairing: (info) => {
        if (isCurrent()) this.setPairing(account.id, info)
      },
    }
    const factories = this.deps.transportFactories
    // Each branch hands a factory the credentials of its own kind.
    switch (credentials.transport) {
      case 'sandbox':
        transport = factories.sandbox?.(account, credentials, listener)
        break
      case 'cloud':
        transport = factories.cloud?.(account, credentials, listener)
        break
      case 'baileys':
        transport = factories.baileys?.(account, credentials, listener)
        break
    }
    if (!transport) {
      throw new Error(`the ${account.transport} transport is not available in this version`)
    }
    return transport
  }

  private setPairing(id: string, info: PairingInfo | null): void {
    if (!info || (info.qr === undefined && info.pairingCode === undefined)) {
      this.pairings.delete(id)
      return
    }
    const kept = {
      ...(info.qr !== undefined ? { qr: info.qr } : {}),
      ...(info.pairingCode !== undefined ? { pairingCode: info.pairingCode } : {}),
    }
    this.pairings.set(id, kept)
    this.deps.events.publish('account.pairing', { accountId: id, ...kept })
  }

  private current(account: Account): Account {
    return this.running.get(account.id)?.account ?? account
  }

  /** New Cloud API credentials: the current ones with the keys given changed. */
  private async changedCloud(
    account: Account,
    change: NonNullable<UpdateAccountInput['cloud']>,
  ): Promise<AccountCredentials> {
    if (account.transport !== 'cloud' || !account.cloud) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Account ${account.id} uses the ${account.transport} transport, which has no cloud credentials`,
        [{ path: 'body.cloud', message: 'only a cloud account has cloud credentials' }],
      )
    }
    let current: CloudCredentials
    try {
      const stored = await this.credentialsOf(account.id)
      if (stored.transport !== 'cloud') throw notFound(account.id)
      current = stored.cloud
    } catch (err) {
      const allSecrets =
        change.accessToken !== undefined &&
        change.appSecret !== undefined &&
        change.verifyToken !== undefined
      if (!(err instanceof CredentialsKeyError) || !allSecrets) throw unreadable(err)
      // The secrets no longer open, but every one of them is being replaced.
      const {
        hasAccessToken: _a,
        hasAppSecret: _b,
        hasVerifyToken: _c,
        wabaId,
        ...rest
      } = account.cloud
      current = {
        ...rest,
        ...(wabaId ? { wabaId } : {}),
        accessToken: '',
        appSecret: '',
        verifyToken: '',
      }
    }
    const { wabaId, ...given } = change
    const merged: CloudCredentials = { ...current }
    for (const [key, value] of Object.entries(given)) {
      if (value !== undefined) (merged as unknown as Record<string, string>)[key] = value
    }
    if (wabaId === null) delete merged.wabaId
    else if (wabaId !== undefined) merged.wabaId = wabaId
    return { transport: 'cloud', cloud: merged }
  }

  /**
   * Moves the account to `to` if the lifecycle allows it from where it is now. Changes of
   * one account apply one at a time, in the order they were asked for.
   */
  private recordState(
    id: string,
    to: ConnectionState,
    reason: string | null,
  ): Promise<StateOutcome> {
    const previous = this.stateQueues.get(id) ?? Promise.resolve()
    const next = previous.then(() => this.applyState(id, to, reason))
    const settled = next.catch(() => {})
    this.stateQueues.set(id, settled)
    void settled.then(() => {
      if (this.stateQueues.get(id) === settled) this.stateQueues.delete(id)
    })
    return next
  }

  private async applyState(
    id: string,
    to: ConnectionState,
    reason: string | null,
  ): Promise<StateOutcome> {
    for (;;) {
      const current = await repo.findAccount(this.deps.db, id, { includeDeleted: true })
      if (!current) return { outcome: 'gone' }
      if (current.state === to && current.stateReason === reason) {
        return { outcome: 'unchanged', account: current }
      }
      if (current.state !== to && !canTransition(current.state, to)) {
        return { outcome: 'refused', account: current, why: refusedTransition(current.state, to) }
      }
      // Only if no one changed the state meanwhile (another process): else look again.
      const account = await repo.compareAndSetState(this.deps.db, id, current.state, to, reason)
      if (!account) continue
      const live = this.running.get(id)
      if (live) live.account = account
      if (to !== 'linking') this.pairings.delete(id)
      this.deps.logger.info(
        { accountId: id, from: current.state, state: to, reason },
        'account state changed',
      )
      this.deps.events.publish('account.state', account)
      return { outcome: 'changed', account }
    }
  }
}

function notFound(id: string): AppError {
  return new AppError('ACCOUNT_NOT_FOUND', `No account has the id ${id}`)
}

function unreadable(err: unknown): unknown {
  if (!(err instanceof CredentialsKeyError)) return err
  return new AppError(
    'ACCOUNT_CREDENTIALS_UNREADABLE',
    `${err.message}. Give all of accessToken, appSecret and verifyToken to replace them.`,
  )
}

/** Settings with `change` applied over `current` (or over the defaults). */
function mergeSettings(
  current: AccountSettings | undefined,
  change: AccountSettingsInput | undefined,
): AccountSettings {
  const { sandbox, ...rest } = change ?? {}
  return accountSettingsSchema.parse({
    ...current,
    ...rest,
    sandbox: { ...current?.sandbox, ...sandbox },
  })
}

function credentialsFromInput(input: CreateAccountInput): AccountCredentials {
  switch (input.transport) {
    case 'sandbox':
      return { transport: 'sandbox' }
    case 'cloud':
      return { transport: 'cloud', cloud: input.cloud }
    case 'baileys':
      return { transport: 'baileys', baileys: input.baileys }
  }
}

/** A duplicate provider id as the conflict it is; any other error as it was. */
function takenOr(err: unknown, credentials: AccountCredentials): unknown {
  if (!repo.isUniqueViolation(err)) return err
  switch (credentials.transport) {
    case 'cloud':
      return new AppError(
        'ACCOUNT_PHONE_NUMBER_ID_TAKEN',
        `Another account already uses the Cloud API phone number id ${credentials.cloud.phoneNumberId}`,
        [{ path: 'body.cloud.phoneNumberId', message: 'is used by another account' }],
      )
    case 'baileys':
      return new AppError(
        'ACCOUNT_PHONE_TAKEN',
        `Another account already links the phone number ${credentials.baileys.phone}`,
        [{ path: 'body.baileys.phone', message: 'is used by another account' }],
      )
    case 'sandbox':
      return err
  }
}
