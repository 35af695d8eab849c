import { describe, expect, it } from 'vitest'
import { signBody } from './cloud.signature.js'
import { parseWebhook, verifyChallenge } from './cloud.webhooks.js'

const secret = 'the-app-secret'
const phoneNumberId = '106540352242922'

function delivery(values: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: values.map((v) => ({
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
            ...v,
          },
        })),
      },
    ],
    ...extra,
  }
}

const textMessage = {
  contacts: [{ profile: { name: 'Ann' }, wa_id: '16505551234' }],
  messages: [
    {
      from: '16505551234',
      id: 'wamid.A',
      timestamp: '1739321024',
      type: 'text',
      text: { body: 'hi' },
    },
  ],
}

const lookup = (id: string) => (id === phoneNumberId ? secret : undefined)
const body = (o: unknown) => Buffer.from(JSON.stringify(o))

describe(parseWebhook.name, () => {
  it('verifies the signature with the account’s secret and maps the events', async () => {
    const raw = body(delivery([textMessage]))
    const r = await parseWebhook(raw, signBody(raw, secret), lookup)
    expect(r).toMatchObject({
      ok: true,
      skipped: [],
      events: [
        {
          phoneNumberId,
          inbound: { externalId: 'wamid.A', from: '+16505551234', text: 'hi', profileName: 'Ann' },
        },
      ],
    })
  })

  it('finds the secret asynchronously (a database lookup)', async () => {
    const raw = body(delivery([textMessage]))
    const r = await parseWebhook(raw, signBody(raw, secret), (id) => Promise.resolve(lookup(id)))
    expect(r.ok).toBe(true)
  })

  it('refuses a missing, malformed, forged or replayed-and-modified signature as a signature failure', async () => {
    const raw = body(delivery([textMessage]))
    const cases: Array<[string | undefined, Buffer, string]> = [
      [undefined, raw, 'signature_missing'],
      ['sha256=nothex', raw, 'signature_malformed'],
      [signBody(raw, 'forged-secret'), raw, 'signature_mismatch'],
      [
        signBody(raw, secret),
        body(
          delivery([
            {
              ...textMessage,
              messages: [{ ...textMessage.messages[0], text: { body: 'send me money' } }],
            },
          ]),
        ),
        'signature_mismatch',
      ],
    ]
    for (const [header, payload, reason] of cases) {
      const r = await parseWebhook(payload, header, lookup)
      expect(r).toMatchObject({ ok: false, reason, signatureFailure: true })
    }
  })

  it('does not look at a body whose signature header is missing (no JSON parse, no lookup)', async () => {
    let looked = false
    const r = await parseWebhook(Buffer.from('{not json'), undefined, () => {
      looked = true
      return secret
    })
    expect(r).toMatchObject({ ok: false, reason: 'signature_missing' })
    expect(looked).toBe(false)
  })

  it('rejects malformed JSON and non-WhatsApp payloads without calling it a signature failure', async () => {
    const notJson = Buffer.from('{"object":')
    expect(await parseWebhook(notJson, signBody(notJson, secret), lookup)).toMatchObject({
      ok: false,
      reason: 'malformed_json',
      signatureFailure: false,
    })
    const other = body({ hello: 'world' })
    expect(await parseWebhook(other, signBody(other, secret), lookup)).toMatchObject({
      ok: false,
      reason: 'schema_mismatch',
      signatureFailure: false,
    })
    const wrongObject = body(delivery([textMessage], { object: 'page' }))
    expect(await parseWebhook(wrongObject, signBody(wrongObject, secret), lookup)).toMatchObject({
      ok: false,
      reason: 'schema_mismatch',
    })
  })

  it('rejects deliveries for numbers no account has, and ones naming no number', async () => {
    const raw = body(delivery([textMessage]))
    expect(await parseWebhook(raw, signBody(raw, secret), () => undefined)).toMatchObject({
      ok: false,
      reason: 'unknown_phone_number',
      signatureFailure: false,
    })
    const accountUpdate = body({
      object: 'whatsapp_business_account',
      entry: [
        { id: '1', changes: [{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } }] },
      ],
    })
    expect(
      await parseWebhook(accountUpdate, signBody(accountUpdate, secret), lookup),
    ).toMatchObject({
      ok: false,
      reason: 'no_phone_number',
    })
  })

  it('skips changes it does not handle and malformed messages, keeping the rest', async () => {
    const payload = delivery([textMessage, { messages: [{ id: 'wamid.X', type: 'text' }] }])
    payload.entry[0]?.changes.push({
      field: 'message_template_status_update',
      value: { metadata: { phone_number_id: phoneNumberId } } as never,
    })
    const raw = body(payload)
    const r = await parseWebhook(raw, signBody(raw, secret), lookup)
    if (!r.ok) throw new Error(r.detail)
    expect(r.events).toHaveLength(1)
    expect(r.skipped.map((s) => [s.what, s.id])).toEqual([
      ['message', 'wamid.X'],
      ['change', undefined],
    ])
  })

  it('never puts a secret in a rejection detail', async () => {
    const raw = body(delivery([textMessage]))
    const r = await parseWebhook(raw, signBody(raw, 'wrong'), lookup)
    expect(JSON.stringify(r)).not.toContain(secret)
  })
})

describe(verifyChallenge.name, () => {
  const query = {
    'hub.mode': 'subscribe',
    'hub.verify_token': 'tok-1',
    'hub.challenge': '1158201444',
  }

  it('echoes the challenge for the right verify token', () => {
    expect(verifyChallenge(query, 'tok-1')).toBe('1158201444')
    expect(verifyChallenge(query, ['other', 'tok-1'])).toBe('1158201444')
  })

  it('reads a nested query (hub[mode]=…) as some parsers produce', () => {
    expect(
      verifyChallenge(
        { hub: { mode: 'subscribe', verify_token: 'tok-1', challenge: '42' } },
        'tok-1',
      ),
    ).toBe('42')
  })

  it('refuses a wrong token, another mode, or missing fields', () => {
    expect(verifyChallenge(query, 'tok-2')).toBeNull()
    expect(verifyChallenge(query, [])).toBeNull()
    expect(verifyChallenge({ ...query, 'hub.mode': 'unsubscribe' }, 'tok-1')).toBeNull()
    expect(
      verifyChallenge({ 'hub.mode': 'subscribe', 'hub.verify_token': 'tok-1' }, 'tok-1'),
    ).toBeNull()
    expect(verifyChallenge({ ...query, 'hub.verify_token': ['tok-1', 'x'] }, 'tok-1')).toBeNull()
    expect(verifyChallenge(null, 'tok-1')).toBeNull()
    expect(verifyChallenge({ ...query, 'hub.verify_token': '' }, '')).toBeNull()
  })
})
