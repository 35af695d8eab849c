import { describe, expect, it, vi } from 'vitest'
import { proto } from '@whiskeysockets/baileys'
import {
  disconnect,
  fakeSockets,
  FakeBoom,
  ManualTimers,
  MemoryBaileysStore,
  textMessage,
} from '../../../test/fakes/baileys/index.js'
import type { ConnectionState, InboundMessage, StatusUpdate } from '../port.js'
import { BaileysError } from './baileys.errors.js'
import { BaileysTransport, type BaileysListener, type BaileysPairing } from './baileys.transport.js'

function recorder() {
  const inbound: InboundMessage[] = []
  const statuses: StatusUpdate[] = []
  const states: Array<[ConnectionState, string | undefined]> = []
  const pairings: Array<BaileysPairing | null> = []
  const listener: BaileysListener = {
    inbound: (m) => {
      inbound.push(m)
      return Promise.resolve({ messageId: `linda-${inbound.length}`, duplicate: false })
    },
    statuses: (updates) => {
      statuses.push(...updates)
      return Promise.resolve()
    },
    state: (state, reason) => {
      states.push([state, reason])
    },
    pairing: (info) => {
      pairings.push(info)
    },
  }
  return { listener, inbound, statuses, states, pairings }
}

function setup(options: { phone?: string; store?: MemoryBaileysStore } = {}) {
  const rec = recorder()
  const fakes = fakeSockets()
  const timers = new ManualTimers()
  const store = options.store ?? new MemoryBaileysStore()
  const transport = new BaileysTransport(rec.listener, {
    accountId: 'acc-1',
    ...(options.phone ? { phone: options.phone } : {}),
    store,
    makeSocket: fakes.makeSocket,
    timers,
    random: () => 0.5,
    reconnect: { baseMs: 1000, maxMs: 8000 },
    now: () => new Date('2026-11-25T10:00:00.000Z'),
  })
  return { ...rec, ...fakes, timers, store, transport }
}

/** Connects and links the device as a phone scanning the QR code would. */
async function linked(options: { phone?: string; store?: MemoryBaileysStore } = {}) {
  const t = setup(options)
  await t.transport.connect()
  t.latest().qr('2@qr')
  t.latest().paired('15551230000')
  t.latest().close(disconnect.restartRequired, 'restart required')
  await t.transport.settled()
  t.timers.fireAll()
  await vi.waitFor(() => expect(t.sockets).toHaveLength(2))
  t.latest().open()
  return t
}

describe(BaileysTransport.name, () => {
  it('declares QR-or-code pairing', () => {
    expect(setup().transport.capabilities.pairing).toBe('qr-or-code')
  })

  it('reports each QR code Baileys rotates while linking', async () => {
    const t = setup()
    await t.transport.connect()
    expect(t.states).toEqual([['linking', undefined]])
    t.latest().qr('2@first')
    t.latest().qr('2@second')
    expect(t.pairings).toEqual([{ qr: '2@first' }, { qr: '2@second' }])
    expect(t.latest().pairingRequests).toEqual([])
  })

  it('asks for a pairing code once the socket is ready when the account has a phone', async () => {
    const t = setup({ phone: '+15551230000' })
    await t.transport.connect()
    t.latest().qr('2@first')
    await vi.waitFor(() =>
      expect(t.pairings.at(-1)).toEqual({ qr: '2@first', pairingCode: 'ABCD-1234' }),
    )
    t.latest().qr('2@second')
    expect(t.pairings.at(-1)).toEqual({ qr: '2@second', pairingCode: 'ABCD-1234' })
    expect(t.latest().pairingRequests).toEqual(['15551230000'])
  })

  it('restarts after the link, then reports connected and clears the code', async () => {
    const t = await linked()
    expect(t.states).toEqual([
      ['linking', undefined],
      ['reconnecting', 'restart requested by WhatsApp'],
      ['connected', undefined],
    ])
    expect(t.timers.delays).toEqual([0])
    expect(t.pairings.at(-1)).toBeNull()
  })

  it('keeps the creds of the link and resumes without linking again', async () => {
    const t = await linked()
    await t.transport.disconnect()
    expect(t.latest().ended).toBe(true)
    const again = setup({ store: t.store })
    await again.transport.connect()
    expect(again.states).toEqual([])
    expect(again.latest().config.auth.creds.me?.id).toBe('15551230000:7@s.whatsapp.net')
    again.latest().open()
    expect(again.states).toEqual([['connected', undefined]])
  })

  it('reconnects with growing, capped delays after the connection drops', async () => {
    const t = await linked()
    for (let i = 0; i < 5; i++) {
      t.latest().close(disconnect.connectionLost, 'Connection Lost')
      t.timers.fireAll()
      await vi.waitFor(() => expect(t.sockets).toHaveLength(3 + i))
    }
    // random 0.5 → three quarters of min(8000, 1000·2^n)
    expect(t.timers.delays.slice(1)).toEqual([750, 1500, 3000, 6000, 6000])
    expect(t.states.at(-1)).toEqual(['reconnecting', 'Connection Lost (408)'])
    t.latest().open()
    expect(t.states.at(-1)).toEqual(['connected', undefined])
    // An open connection starts the backoff over.
    t.latest().close(disconnect.connectionClosed)
    expect(t.timers.delays.at(-1)).toBe(750)
  })

  it('goes logged_out and wipes the auth state when the phone unlinks the device', async () => {
    const t = await linked()
    expect(t.store.auth.size).toBeGreaterThan(0)
    t.latest().close(disconnect.loggedOut, 'Intentional Logout')
    await vi.waitFor(() =>
      expect(t.states.at(-1)).toEqual(['logged_out', 'the phone unlinked this device']),
    )
    expect(t.store.auth.size).toBe(0)
    expect(t.timers.count).toBe(0)
  })

  it('never reconnects after a clean disconnect', async () => {
    const t = await linked()
    await t.transport.disconnect()
    expect(t.states.at(-1)).toEqual(['disconnected', undefined])
    t.sockets[1]!.close(disconnect.connectionLost)
    expect(t.timers.count).toBe(0)
    expect(t.sockets).toHaveLength(2)
  })

  it('goes to error, without retrying, when another session replaces this one', async () => {
    const t = await linked()
    t.latest().close(disconnect.connectionReplaced)
    expect(t.states.at(-1)?.[0]).toBe('error')
    expect(t.timers.count).toBe(0)
  })

  it('goes to error when linking ends with no phone linked', async () => {
    const t = setup()
    await t.transport.connect()
    t.latest().qr('2@only')
    t.latest().close(disconnect.connectionLost, 'QR refs attempts ended')
    expect(t.states.at(-1)).toEqual([
      'error',
      'linking ended before a phone was linked (QR refs attempts ended); connect again',
    ])
    expect(t.pairings.at(-1)).toBeNull()
    expect(t.timers.count).toBe(0)
  })

  it('hands text from a contact to Linda with their number', async () => {
    const t = await linked()
    t.latest().upsert([
      textMessage({ from: '447700900123@s.whatsapp.net', id: 'ABC', text: 'hi', pushName: 'Ann' }),
    ])
    await t.transport.settled()
    expect(t.inbound).toEqual([
      {
        externalId: 'ABC',
        from: '+447700900123',
        type: 'text',
        text: 'hi',
        timestamp: new Date(1_764_000_000_000).toISOString(),
        profileName: 'Ann',
      },
    ])
  })

  it('reports a LID sender by their phone number and remembers the mapping', async () => {
    const t = await linked()
    t.latest().upsert([
      textMessage({
        from: '123456789012345@lid',
        alt: '447700900123@s.whatsapp.net',
        id: 'L1',
        text: 'by lid',
      }),
    ])
    // Later messages from the LID alone resolve through the remembered mapping.
    t.latest().upsert([textMessage({ from: '123456789012345@lid', id: 'L2', text: 'again' })])
    await t.transport.settled()
    expect(t.inbound.map((m) => [m.externalId, m.from])).toEqual([
      ['L1', '+447700900123'],
      ['L2', '+447700900123'],
    ])
    expect(t.store.lids.get('123456789012345@lid')).toBe('+447700900123')
  })

  it("asks Baileys' LID store, and drops a LID message whose number nobody knows", async () => {
    const t = await linked()
    t.latest().knownLids.set('999@lid', '15550009999@s.whatsapp.net')
    t.latest().upsert([
      textMessage({ from: '999@lid', id: 'K', text: 'known' }),
      textMessage({ from: '888@lid', id: 'U', text: 'unknown' }),
    ])
    await t.transport.settled()
    expect(t.inbound.map((m) => [m.externalId, m.from])).toEqual([['K', '+15550009999']])
  })

  it('ignores own messages, status broadcasts, groups, history appends and protocol messages', async () => {
    const t = await linked()
    const s = t.latest()
    s.upsert([
      textMessage({ from: '447700900123@s.whatsapp.net', id: 'me', text: 'x', fromMe: true }),
      textMessage({ from: 'status@broadcast', id: 'st', text: 'x' }),
      textMessage({ from: '120363000000000000@g.us', id: 'grp', text: 'x' }),
      textMessage({
        from: '447700900123@s.whatsapp.net',
        id: 'proto',
        text: '',
        message: { protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE } },
      }),
    ])
    s.upsert([textMessage({ from: '447700900123@s.whatsapp.net', id: 'old', text: 'x' })], 'append')
    await t.transport.settled()
    expect(t.inbound).toEqual([])
  })

  it('maps receipts of sent messages from messages.update and message-receipt.update', async () => {
    const t = await linked()
    const key = { remoteJid: '447700900123@s.whatsapp.net', fromMe: true, id: 'OUT1' }
    const Status = proto.WebMessageInfo.Status
    t.latest().updates([
      { key, update: { status: Status.SERVER_ACK } },
      { key, update: { status: Status.DELIVERY_ACK } },
      { key: { ...key, fromMe: false, id: 'IN' }, update: { status: Status.READ } },
      { key: { ...key, id: 'OUT2' }, update: { status: Status.ERROR } },
    ])
    t.latest().receipts([
      { key, receipt: { userJid: key.remoteJid, readTimestamp: 1_764_000_100 } },
      {
        key: { ...key, id: 'OUT3' },
        receipt: { userJid: key.remoteJid, receiptTimestamp: 1_764_000_050 },
      },
    ])
    await t.transport.settled()
    expect(t.statuses.map((s) => [s.externalId, s.status])).toEqual([
      ['OUT1', 'sent'],
      ['OUT1', 'delivered'],
      ['OUT2', 'failed'],
      ['OUT1', 'read'],
      ['OUT3', 'delivered'],
    ])
    expect(t.statuses[3]?.timestamp).toBe(new Date(1_764_000_100_000).toISOString())
    expect(t.statuses[2]?.error?.code).toBe('BAILEYS_MESSAGE_ERROR')
  })

  it('sends text to the JID of the number and keeps the message for retries', async () => {
    const t = await linked()
    const { externalId } = await t.transport.send(
      { messageId: 'm1', to: '+447700900123', type: 'text', text: 'hello' },
      new AbortController().signal,
    )
    expect(t.latest().sent).toEqual([
      { jid: '447700900123@s.whatsapp.net', content: { text: 'hello' } },
    ])
    expect(externalId).toMatch(/^3EB0FAKE/)
    const kept = await t.latest().config.getMessage({ id: externalId })
    expect(kept?.extendedTextMessage?.text).toBe('hello')
  })

  it('tells which numbers are on WhatsApp, with the LID it learns', async () => {
    const t = await linked()
    t.latest().registered.set('447700900123@s.whatsapp.net', '99887766@lid')
    const checks = await t.transport.checkNumbers(['+447700900123', '+447700900999'])
    expect(checks).toEqual([
      { phone: '+447700900123', onWhatsApp: true, lid: '99887766' },
      { phone: '+447700900999', onWhatsApp: false },
    ])
  })

  it('cannot check numbers while disconnected, and says a retry may help', async () => {
    const t = setup()
    const error = await t.transport.checkNumbers(['+447700900123']).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'BAILEYS_NOT_CONNECTED', retryable: true })
  })

  it('refuses a recipient that is not a phone number, without retry', async () => {
    const t = await linked()
    const error = await t.transport
      .send({ messageId: 'm', to: '12345', type: 'text', text: 'x' }, new AbortController().signal)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BaileysError)
    expect(error).toMatchObject({ code: 'BAILEYS_INVALID_RECIPIENT', retryable: false })
    expect(t.latest().sent).toEqual([])
  })

  it('says a send may be retried when the connection is closed or drops mid-send', async () => {
    const t = setup()
    await t.transport.connect()
    const msg = { messageId: 'm', to: '+447700900123', type: 'text' as const, text: 'x' }
    await expect(t.transport.send(msg, new AbortController().signal)).rejects.toMatchObject({
      code: 'BAILEYS_NOT_CONNECTED',
      retryable: true,
    })
    const l = await linked()
    l.latest().failNextSend = new FakeBoom('Connection Closed', disconnect.connectionClosed)
    await expect(l.transport.send(msg, new AbortController().signal)).rejects.toMatchObject({
      code: 'BAILEYS_CONNECTION_LOST',
      retryable: true,
    })
    l.latest().failNextSend = new FakeBoom('bad-request', 400)
    await expect(l.transport.send(msg, new AbortController().signal)).rejects.toMatchObject({
      code: 'BAILEYS_SEND_REJECTED',
      retryable: false,
    })
  })

  it('shows typing to the contact and marks their messages read', async () => {
    const t = await linked()
    await t.transport.typing('+447700900123')
    expect(t.latest().presences).toEqual([
      { type: 'composing', jid: '447700900123@s.whatsapp.net' },
    ])
    await t.transport.markRead('+447700900123', ['ID1', 'ID2'])
    expect(t.latest().reads).toEqual([
      [
        { remoteJid: '447700900123@s.whatsapp.net', id: 'ID1', fromMe: false },
        { remoteJid: '447700900123@s.whatsapp.net', id: 'ID2', fromMe: false },
      ],
    ])
  })

  it('pauses the number when WhatsApp throttles it (429, rate-overlimit)', async () => {
    const l = await linked()
    const msg = { messageId: 'm', to: '+447700900123', type: 'text' as const, text: 'x' }
    for (const failure of [new FakeBoom('rate-overlimit', 429), new Error('rate-overlimit')]) {
      l.latest().failNextSend = failure
      await expect(l.transport.send(msg, new AbortController().signal)).rejects.toMatchObject({
        code: 'BAILEYS_RATE_LIMITED',
        retryable: true,
        throttle: 'account',
        retryAfterMs: 15 * 60_000,
      })
    }
  })
})
