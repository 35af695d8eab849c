// The WhatsApp Web transport against a scripted fake Baileys socket, with its session kept in
// a real database (SQLite and PostgreSQL): linking, the auth state sealed at rest and read
// back, logged-out wiping it, LID ⇄ phone mappings, and the sent-message store for retries.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { proto, type AuthenticationCreds } from '@whiskeysockets/baileys'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  migrateToLatest,
  nowIso,
  openDb,
  type Db,
  type DbHandle,
} from '../../src/platform/db/index.js'
import {
  BaileysTransport,
  DbAuthStore,
  type BaileysListener,
  type BaileysPairing,
} from '../../src/transports/baileys/index.js'
import { loadAuthState } from '../../src/transports/baileys/baileys.auth-state.js'
import type { ConnectionState, InboundMessage } from '../../src/transports/index.js'
import { disconnect, fakeSockets, ManualTimers, textMessage } from '../fakes/baileys/index.js'
import { freshDataDir, freshPostgresUrl, testDialects } from '../helpers/databases.js'

const handles: DbHandle[] = []
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()))
})

async function freshDb(dialect: string): Promise<Db> {
  const handle =
    dialect === 'postgres'
      ? await openDb({ databaseUrl: await freshPostgresUrl(), sqlitePath: '' })
      : await openDb({ sqlitePath: join(await freshDataDir(), 'linda.db') })
  handles.push(handle)
  await migrateToLatest(handle.db)
  return handle.db
}

async function insertAccount(db: Db, id: string): Promise<void> {
  const now = nowIso()
  await db
    .insertInto('accounts')
    .values({
      id,
      name: id,
      transport: 'baileys',
      state: 'created',
      settings: '{}',
      created_at: now,
      updated_at: now,
    })
    .execute()
}

function harness(db: Db, key: Buffer, accountId: string) {
  const inbound: InboundMessage[] = []
  const states: Array<[ConnectionState, string | undefined]> = []
  const pairings: Array<BaileysPairing | null> = []
  const listener: BaileysListener = {
    inbound: (m) => {
      inbound.push(m)
      return Promise.resolve({ messageId: `linda-${inbound.length}`, duplicate: false })
    },
    statuses: () => Promise.resolve(),
    state: (state, reason) => {
      states.push([state, reason])
    },
    pairing: (info) => {
      pairings.push(info)
    },
  }
  const fakes = fakeSockets()
  const timers = new ManualTimers()
  const store = new DbAuthStore(db, key, accountId)
  const transport = new BaileysTransport(listener, {
    accountId,
    phone: '+15551230000',
    store,
    makeSocket: fakes.makeSocket,
    timers,
  })
  return { transport, store, inbound, states, pairings, timers, ...fakes }
}

/** Connects, links by pairing code, restarts as WhatsApp asks, and opens. */
async function linkedTransport(db: Db, key: Buffer, accountId: string) {
  const h = harness(db, key, accountId)
  await h.transport.connect()
  h.latest().qr('2@qr-one')
  await vi.waitFor(() => expect(h.pairings.at(-1)).toMatchObject({ pairingCode: 'ABCD-1234' }))
  h.latest().paired('15551230000')
  h.latest().close(disconnect.restartRequired, 'restart required')
  await h.transport.settled()
  h.timers.fireAll()
  await vi.waitFor(() => expect(h.sockets).toHaveLength(2))
  h.latest().open()
  await h.transport.settled()
  return h
}

describe.each(testDialects())('BaileysTransport with its session on %s', (dialect) => {
  it('keeps the auth state sealed in the db and resumes the link from it', async () => {
    const db = await freshDb(dialect)
    const key = randomBytes(32)
    await insertAccount(db, 'acc-1')
    const first = await linkedTransport(db, key, 'acc-1')
    expect(first.states.map(([s]) => s)).toEqual(['linking', 'reconnecting', 'connected'])
    // A Signal key written through the socket's key store.
    await first.latest().config.auth.keys.set({
      'pre-key': { '7': { public: Buffer.from('pub-7'), private: Buffer.from('priv-7') } },
    })
    await first.transport.disconnect()

    const rows = await db
      .selectFrom('baileys_auth')
      .select(['key', 'value'])
      .where('account_id', '=', 'acc-1')
      .execute()
    expect(rows.map((r) => r.key).sort()).toEqual(['creds', 'pre-key:7'])
    for (const row of rows) {
      expect(row.value).toMatch(/^v1\./)
      expect(row.value).not.toContain('15551230000')
      expect(row.value).not.toContain('noiseKey')
    }

    const again = harness(db, key, 'acc-1')
    await again.transport.connect()
    expect(again.states).toEqual([])
    const creds: AuthenticationCreds = again.latest().config.auth.creds
    expect(creds.me?.id).toBe('15551230000:7@s.whatsapp.net')
    expect(Buffer.from(creds.account!.details!).toString('hex')).toBe('010203')
    const keys = await again.latest().config.auth.keys.get('pre-key', ['7', '8'])
    expect(Buffer.from(keys['7']!.private).toString()).toBe('priv-7')
    expect(keys['8']).toBeUndefined()
    await again.transport.disconnect()
  })

  it('round-trips app-state keys as protobuf objects and deletes keys set to null', async () => {
    const db = await freshDb(dialect)
    const key = randomBytes(32)
    await insertAccount(db, 'acc-1')
    const { state } = await loadAuthState(new DbAuthStore(db, key, 'acc-1'))
    await state.keys.set({
      'app-state-sync-key': { k1: { keyData: Buffer.from('secret'), timestamp: 5 } },
      session: { 's1@s.whatsapp.net': Buffer.from('session') },
    })
    const { state: reloaded } = await loadAuthState(new DbAuthStore(db, key, 'acc-1'))
    const got = await reloaded.keys.get('app-state-sync-key', ['k1'])
    expect(got['k1']).toBeInstanceOf(proto.Message.AppStateSyncKeyData)
    expect(Buffer.from(got['k1']!.keyData!).toString()).toBe('secret')
    await reloaded.keys.set({ session: { 's1@s.whatsapp.net': null } })
    expect(await reloaded.keys.get('session', ['s1@s.whatsapp.net'])).toEqual({})
  })

  it('refuses a session sealed under another key', async () => {
    const db = await freshDb(dialect)
    await insertAccount(db, 'acc-1')
    await new DbAuthStore(db, randomBytes(32), 'acc-1').write(new Map([['creds', '{}']]))
    await expect(new DbAuthStore(db, randomBytes(32), 'acc-1').read(['creds'])).rejects.toThrow(
      /cannot be decrypted/,
    )
  })

  it('wipes the auth state and sent messages, not the LIDs, when the phone unlinks', async () => {
    const db = await freshDb(dialect)
    const key = randomBytes(32)
    await insertAccount(db, 'acc-1')
    await insertAccount(db, 'acc-2')
    const other = await linkedTransport(db, key, 'acc-2')
    const h = await linkedTransport(db, key, 'acc-1')
    await h.transport.send(
      { messageId: 'm1', to: '+447700900123', type: 'text', text: 'hello' },
      new AbortController().signal,
    )
    h.latest().upsert([
      textMessage({ from: '42@lid', alt: '447700900123@s.whatsapp.net', id: 'IN1', text: 'hi' }),
    ])
    await h.transport.settled()
    h.latest().close(disconnect.loggedOut, 'Intentional Logout')
    await vi.waitFor(() => expect(h.states.at(-1)?.[0]).toBe('logged_out'))

    const count = async (table: 'baileys_auth' | 'baileys_messages' | 'baileys_lids', id: string) =>
      (await db.selectFrom(table).select('account_id').where('account_id', '=', id).execute())
        .length
    expect(await count('baileys_auth', 'acc-1')).toBe(0)
    expect(await count('baileys_messages', 'acc-1')).toBe(0)
    expect(await count('baileys_lids', 'acc-1')).toBe(1)
    // Another account's session is untouched.
    expect(await count('baileys_auth', 'acc-2')).toBeGreaterThan(0)
    await other.transport.disconnect()

    // The next connect links afresh.
    const again = harness(db, key, 'acc-1')
    await again.transport.connect()
    expect(again.states).toEqual([['linking', undefined]])
    expect(again.latest().config.auth.creds.me).toBeUndefined()
    await again.transport.disconnect()
  })

  it('records LID ⇄ phone mappings and reports LID senders by their number', async () => {
    const db = await freshDb(dialect)
    const key = randomBytes(32)
    await insertAccount(db, 'acc-1')
    const h = await linkedTransport(db, key, 'acc-1')
    h.latest().upsert([
      textMessage({ from: '777@lid', alt: '447700900123@s.whatsapp.net', id: 'A', text: 'one' }),
    ])
    h.latest().emit('lid-mapping.update', { lid: '888:2@lid', pn: '15550008888@s.whatsapp.net' })
    await h.transport.settled()
    h.latest().upsert([
      textMessage({ from: '777@lid', id: 'B', text: 'two' }),
      textMessage({ from: '888@lid', id: 'C', text: 'three' }),
      textMessage({ from: '999@lid', id: 'D', text: 'nobody knows' }),
    ])
    await h.transport.settled()
    expect(h.inbound.map((m) => [m.externalId, m.from])).toEqual([
      ['A', '+447700900123'],
      ['B', '+447700900123'],
      ['C', '+15550008888'],
    ])
    const lids = await db
      .selectFrom('baileys_lids')
      .select(['lid', 'phone'])
      .where('account_id', '=', 'acc-1')
      .orderBy('lid')
      .execute()
    expect(lids).toEqual([
      { lid: '777@lid', phone: '+447700900123' },
      { lid: '888@lid', phone: '+15550008888' },
    ])
    await h.transport.disconnect()
  })

  it('keeps sent messages for retries, sealed, and prunes them after the retention', async () => {
    const db = await freshDb(dialect)
    const key = randomBytes(32)
    await insertAccount(db, 'acc-1')
    let now = new Date('2026-11-25T10:00:00Z')
    const store = new DbAuthStore(db, key, 'acc-1', {
      messageRetentionMs: 60 * 60 * 1000,
      now: () => now,
    })
    await store.rememberMessage('OLD', '{"conversation":"old text"}')
    const [raw] = await db.selectFrom('baileys_messages').select('value').execute()
    expect(raw?.value).not.toContain('old text')
    expect(await store.recallMessage('OLD')).toBe('{"conversation":"old text"}')
    now = new Date('2026-11-25T12:00:00Z')
    await store.rememberMessage('NEW', '{"conversation":"new"}')
    expect(await store.recallMessage('OLD')).toBeUndefined()
    expect(await store.recallMessage('NEW')).toBe('{"conversation":"new"}')
  })
})
