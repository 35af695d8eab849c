import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { migrateToLatest, openDb, type DbHandle } from '../platform/db/index.js'
import { LocalEventBus, type DomainEvent } from '../platform/events/index.js'
import { createLogger } from '../platform/logging.js'
import type {
  Transport,
  TransportCapabilities,
  TransportKind,
  TransportListener,
} from '../transports/index.js'
import type { CloudCredentials } from './accounts.credentials.js'
import type { Account } from './accounts.schemas.js'
import {
  AccountsService,
  type AccountTransportListener,
  type TransportFactories,
} from './accounts.service.js'

/** A transport of our own port that links by QR and does what the test tells it. */
class FakeTransport implements Transport {
  readonly capabilities: TransportCapabilities
  connects = 0
  failConnect?: Error

  constructor(
    readonly kind: TransportKind,
    readonly listener: AccountTransportListener,
    pairing: TransportCapabilities['pairing'],
  ) {
    this.capabilities = { send: ['text'], receipts: true, pairing, templatesRequired: false }
  }

  async connect(): Promise<void> {
    this.connects++
    if (this.failConnect) throw this.failConnect
  }

  async disconnect(): Promise<void> {
    this.listener.state('disconnected')
  }

  async send(): Promise<{ externalId: string }> {
    return { externalId: 'x' }
  }
}

const cloud: CloudCredentials = {
  phoneNumberId: '1234567890',
  accessToken: 'token-that-must-stay-secret',
  appSecret: 'app-secret',
  verifyToken: 'verify',
  graphBaseUrl: 'https://graph.facebook.com',
  apiVersion: 'v21.0',
}

describe(AccountsService.name, () => {
  let dir: string
  let handle: DbHandle
  let logs: string[]
  let stateEvents: Account[]
  let pairingEvents: Array<DomainEvent<'account.pairing'>['data']>
  let transports: FakeTransport[]
  let cloudCredentialsSeen: CloudCredentials[]
  let service: AccountsService

  const make = (factories: TransportFactories) => {
    const logger = createLogger(
      'debug',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(chunk.toString())
          done()
        },
      }),
      'json',
    )
    const bus = new LocalEventBus(logger)
    bus.subscribe('account.state', (e) => stateEvents.push(e.data))
    bus.subscribe('account.pairing', (e) => pairingEvents.push(e.data))
    const inbox = { inbound: vi.fn(), statuses: vi.fn() }
    return new AccountsService({
      db: handle.db,
      events: bus,
      logger,
      inbox,
      secretKey: randomBytes(32),
      transportFactories: factories,
    })
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'linda-accounts-'))
    handle = await openDb({ sqlitePath: join(dir, 'linda.db') })
    await migrateToLatest(handle.db)
    logs = []
    stateEvents = []
    pairingEvents = []
    transports = []
    cloudCredentialsSeen = []
    const fake =
      (pairing: TransportCapabilities['pairing']) =>
      (account: Account, _credentials: unknown, listener: AccountTransportListener) => {
        const transport = new FakeTransport(account.transport, listener, pairing)
        transports.push(transport)
        return transport
      }
    service = make({
      sandbox: fake('none'),
      baileys: fake('qr-or-code'),
      cloud: (account, credentials, listener) => {
        cloudCredentialsSeen.push(credentials.cloud)
        return fake('none')(account, credentials, listener)
      },
    })
  })

  afterEach(async () => {
    await service.stopAll()
    await handle.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const states = (id: string) => stateEvents.filter((a) => a.id === id).map((a) => a.state)
  const latest = () => transports[transports.length - 1]!
  const report = (...args: Parameters<TransportListener['state']>) =>
    latest().listener.state(...args)
  /** Waits until the account's published states are `expected`. */
  const expectStates = (id: string, expected: string[]) =>
    vi.waitFor(() => expect(states(id)).toEqual(expected))

  it('links an account through its pairing code, then forgets the code once connected', async () => {
    const account = await service.create({
      name: 'Branch',
      transport: 'baileys',
      baileys: { phone: '+971501234567' },
    })
    expect(account.state).toBe('linking')
    expect(await service.pairing(account.id)).toEqual({ state: 'linking' })

    latest().listener.pairing({ qr: '2@qr-one' })
    latest().listener.pairing({ qr: '2@qr-two', pairingCode: 'ABCD-EFGH' })
    expect(await service.pairing(account.id)).toEqual({
      state: 'linking',
      qr: '2@qr-two',
      pairingCode: 'ABCD-EFGH',
    })

    report('connected')
    await vi.waitFor(async () => expect((await service.get(account.id)).state).toBe('connected'))
    expect(await service.pairing(account.id)).toEqual({ state: 'connected' })
    await expectStates(account.id, ['linking', 'connected'])
    expect(pairingEvents).toEqual([
      { accountId: account.id, qr: '2@qr-one' },
      { accountId: account.id, qr: '2@qr-two', pairingCode: 'ABCD-EFGH' },
    ])
  })

  it('links again after a logout, where the transport pairs', async () => {
    const account = await service.create({
      name: 'Branch',
      transport: 'baileys',
      baileys: { phone: '+971501234567' },
    })
    report('connected')
    await vi.waitFor(async () => expect((await service.get(account.id)).state).toBe('connected'))
    expect((await service.logout(account.id)).state).toBe('logged_out')
    expect(service.live(account.id)).toBeUndefined()
    expect((await service.connect(account.id)).state).toBe('linking')
    await expectStates(account.id, ['linking', 'connected', 'logged_out', 'linking'])
  })

  it('follows the transport through reconnects, in the order it reported them', async () => {
    const account = await service.create({ name: 'Sandbox', transport: 'sandbox' })
    report('connected')
    report('reconnecting', 'socket closed')
    report('connected')
    report('reconnecting', 'socket closed')
    report('error', 'refused')
    await vi.waitFor(async () => expect((await service.get(account.id)).state).toBe('error'))
    expect(await service.get(account.id)).toMatchObject({ stateReason: 'refused' })
    await expectStates(account.id, [
      'connected',
      'reconnecting',
      'connected',
      'reconnecting',
      'error',
    ])
  })

  it('starts a fresh transport on connect when the running one gave up in error', async () => {
    const account = await service.create({ name: 'Sandbox', transport: 'sandbox' })
    report('connected')
    report('error', 'crash loop')
    await vi.waitFor(async () => expect((await service.get(account.id)).state).toBe('error'))
    const gaveUp = latest()
    await service.connect(account.id)
    expect(transports).toHaveLength(2)
    expect(latest()).not.toBe(gaveUp)
    report('connected')
    await vi.waitFor(async () => expect((await service.get(account.id)).state).toBe('connected'))
    // Connecting an account that runs does nothing.
    await service.connect(account.id)
    expect(transports).toHaveLength(2)
  })

  it('ignores, and logs, a state the lifecycle does not allow from where the account is', async () => {
    const account = await service.create({ name: 'Sandbox', transport: 'sandbox' })
    report('connected')
    await vi.waitFor(async () => expect((await service.get(account.id)).state).toBe('connected'))
    report('linking')
    report('created')
    await vi.waitFor(() =>
      expect(logs.join('')).toContain('an account cannot go from connected to created'),
    )
    expect(logs.join('')).toContain('an account cannot go from connected to linking')
    expect((await service.get(account.id)).state).toBe('connected')
  })

  it('ignores what a transport reports once it was stopped', async () => {
    const account = await service.create({ name: 'Sandbox', transport: 'sandbox' })
    report('connected')
    const stopped = latest()
    await service.disconnect(account.id)
    stopped.listener.state('connected')
    stopped.listener.pairing({ qr: 'late' })
    await expectStates(account.id, ['connected', 'disconnected'])
    expect((await service.get(account.id)).state).toBe('disconnected')
    expect(await service.pairing(account.id)).toEqual({ state: 'disconnected' })
  })

  it('puts an account whose transport fails to connect in error, without throwing', async () => {
    const broken = make({
      sandbox: (_account, _credentials, listener) => {
        const transport = new FakeTransport('sandbox', listener, 'none')
        transport.failConnect = new Error('the network is down')
        return transport
      },
    })
    const account = await broken.create({ name: 'Sandbox', transport: 'sandbox' })
    expect(account).toMatchObject({ state: 'error', stateReason: 'the network is down' })
    expect(broken.live(account.id)).toBeUndefined()
  })

  it('puts an account whose factory throws in error, without throwing', async () => {
    const broken = make({
      sandbox: () => {
        throw new Error('cannot build')
      },
    })
    const account = await broken.create({ name: 'Sandbox', transport: 'sandbox' })
    expect(account).toMatchObject({ state: 'error', stateReason: 'cannot build' })
  })

  it('hands a factory the decrypted credentials, and shows them nowhere else', async () => {
    const account = await service.create({ name: 'Sales', transport: 'cloud', cloud })
    expect(cloudCredentialsSeen).toEqual([cloud])
    expect(JSON.stringify(account)).not.toContain(cloud.accessToken)
    expect(await service.credentialsOf(account.id)).toEqual({ transport: 'cloud', cloud })
    expect(logs.join('')).not.toContain(cloud.accessToken)
    expect(await service.findByExternalId('cloud', cloud.phoneNumberId)).toMatchObject({
      id: account.id,
    })
  })

  it('replaces credentials that no longer open only when every secret is given', async () => {
    const account = await service.create({ name: 'Sales', transport: 'cloud', cloud })
    await service.stopAll()
    // The same database under another instance key, as after a key changed by hand.
    const rekeyed = make({})
    await expect(
      rekeyed.update(account.id, { cloud: { accessToken: 'new' } }),
    ).rejects.toMatchObject({ code: 'ACCOUNT_CREDENTIALS_UNREADABLE' })
    const secrets = { accessToken: 'a2', appSecret: 's2', verifyToken: 'v2' }
    await rekeyed.update(account.id, { cloud: secrets })
    expect(await rekeyed.credentialsOf(account.id)).toEqual({
      transport: 'cloud',
      cloud: { ...cloud, ...secrets },
    })
  })

  it('reports a kind without a factory as not available, in error', async () => {
    const bare = make({})
    const account = await bare.create({ name: 'Sandbox', transport: 'sandbox' })
    expect(account).toMatchObject({
      state: 'error',
      stateReason: 'the sandbox transport is not available in this version',
    })
  })
})
