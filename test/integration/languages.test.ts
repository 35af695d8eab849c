// Languages: the language of each inbound text is stored on the message, a contact's language
// is inferred after a few consistent detections (never over one set explicitly), and agents
// get translations of messages from a LibreTranslate-compatible provider (off by default),
// each text translated once per language pair.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INFER_AFTER, LibreTranslate, TranslationError } from '../../src/languages/index.js'
import { startFakeLibreTranslate, type FakeLibreTranslate } from '../fakes/libretranslate/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  contactWrites,
  getMessage,
  startTestLinda,
  virtualPhone,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

interface Translation {
  messageId: string
  original: string
  from: string | null
  to: string
  text: string
  cached: boolean
}

describe.each(testDialects())('languages on %s', (dialect) => {
  let t: TestLinda
  let lt: FakeLibreTranslate

  beforeAll(async () => {
    lt = await startFakeLibreTranslate({
      apiKey: 'lt-secret',
      prefix: '/lt',
      dictionary: {
        'es>en': { 'quiero cancelar mi suscripción': 'I want to cancel my subscription' },
      },
      detect: { hola: 'es' },
    })
    t = await startTestLinda(dialect, {
      env: { LINDA_TRANSLATE_URL: `${lt.url}/`, LINDA_TRANSLATE_API_KEY: 'lt-secret' },
    })
  })

  afterAll(async () => {
    await t?.stop()
    await lt?.stop()
  })

  const languageOf = async (messageId: string) =>
    (
      await t.linda.db.db
        .selectFrom('messages')
        .select('language')
        .where('id', '=', messageId)
        .executeTakeFirstOrThrow()
    ).language

  /** The contact writes each text; returns the contact's id and the messages' ids. */
  async function writes(phone: string, texts: string[]) {
    const ids: string[] = []
    for (const text of texts) ids.push((await contactWrites(t, phone, text)).id)
    const { contactId } = await getMessage(t, ids[0]!)
    return { contactId, ids }
  }

  const translate = (id: string, to: string) =>
    t.request<Translation & Problem>('GET', `/api/v1/messages/${id}/translation?to=${to}`)

  it('stores the language of each inbound text when the detector is confident', async () => {
    const { ids } = await writes(virtualPhone(), [
      '¿dónde está mi pedido?',
      'أريد إلغاء اشتراكي',
      'hi',
      '👍',
    ])
    expect(await Promise.all(ids.map(languageOf))).toEqual(['es', 'ar', null, null])
  })

  it(`infers a contact's language after ${INFER_AFTER} consistent detections, and follows a change`, async () => {
    const phone = virtualPhone()
    const spanish = [
      'necesito ayuda por favor',
      'quiero cancelar mi suscripción',
      'la aplicación no funciona',
    ]
    const { contactId } = await writes(phone, spanish.slice(0, 2))
    expect(await t.linda.languages.contactLanguage(contactId)).toEqual({
      language: null,
      source: null,
    })
    // Undetected messages neither count nor break the streak.
    await writes(phone, ['ok', spanish[2]!])
    expect(await t.linda.languages.contactLanguage(contactId)).toEqual({
      language: 'es',
      source: 'detected',
    })

    await writes(phone, ['je veux annuler mon abonnement', "mon colis n'est pas encore arrivé"])
    expect((await t.linda.languages.contactLanguage(contactId)).language).toBe('es')
    await writes(phone, ['je dois changer mon adresse'])
    expect(await t.linda.languages.contactLanguage(contactId)).toEqual({
      language: 'fr',
      source: 'detected',
    })
  })

  it('never overwrites a language set explicitly, or set before sources were recorded', async () => {
    const phone = virtualPhone()
    const { contactId } = await writes(phone, ['ok'])
    await t.linda.languages.setContactLanguage(contactId, 'pt-BR')
    await writes(phone, [
      'where is my order?',
      'I need to change my address',
      'please call me back',
    ])
    expect(await t.linda.languages.contactLanguage(contactId)).toEqual({
      language: 'pt-BR',
      source: 'explicit',
    })

    const older = virtualPhone()
    const { contactId: olderId } = await writes(older, ['ok'])
    await t.linda.db.db
      .updateTable('contacts')
      .set({ language: 'ar' })
      .where('id', '=', olderId)
      .execute()
    await writes(older, [
      'where is my order?',
      'I need to change my address',
      'please call me back',
    ])
    expect(await t.linda.languages.contactLanguage(olderId)).toEqual({
      language: 'ar',
      source: 'explicit',
    })

    // Clearing it lets detection infer one again.
    await t.linda.languages.setContactLanguage(contactId, null)
    await writes(phone, [
      'send me the invoice please',
      'can I pay by card',
      'the app keeps crashing',
    ])
    expect(await t.linda.languages.contactLanguage(contactId)).toEqual({
      language: 'en',
      source: 'detected',
    })
  })

  it('translates a message through the provider once, then from the cache', async () => {
    const { ids } = await writes(virtualPhone(), ['quiero cancelar mi suscripción'])
    const calls = lt.requests.length
    const first = await translate(ids[0]!, 'en')
    expect(first.status, first.body).toBe(200)
    expect(first.json).toEqual({
      messageId: ids[0],
      original: 'quiero cancelar mi suscripción',
      from: 'es',
      to: 'en',
      text: 'I want to cancel my subscription',
      cached: false,
    })
    expect(lt.requests.slice(calls)).toEqual([
      {
        path: '/lt/translate',
        body: {
          q: 'quiero cancelar mi suscripción',
          source: 'es',
          target: 'en',
          format: 'text',
          api_key: 'lt-secret',
        },
      },
    ])
    // The same text in another message: no second call.
    const { ids: again } = await writes(virtualPhone(), ['quiero cancelar mi suscripción'])
    for (const id of [ids[0]!, again[0]!]) {
      const res = await translate(id, 'en-GB')
      expect(res.json).toMatchObject({
        text: 'I want to cancel my subscription',
        to: 'en',
        cached: true,
      })
    }
    expect(lt.requests).toHaveLength(calls + 1)
    // Already in that language: nothing to ask.
    expect((await translate(ids[0]!, 'es')).json).toMatchObject({
      text: 'quiero cancelar mi suscripción',
      cached: false,
    })
    expect(lt.requests).toHaveLength(calls + 1)
  })

  it('lets the provider detect what Linda could not, and caches that too', async () => {
    const { ids } = await writes(virtualPhone(), ['hola'])
    expect(await languageOf(ids[0]!)).toBeNull()
    const res = await translate(ids[0]!, 'fr')
    expect(res.json).toMatchObject({ from: 'es', text: '[es→fr] hola', cached: false })
    expect(lt.requests.at(-1)?.body).toMatchObject({ source: 'auto', target: 'fr' })
    expect((await translate(ids[0]!, 'fr')).json).toMatchObject({ from: 'es', cached: true })
  })

  it('says when the provider fails, caches nothing, and tries again next time', async () => {
    const { ids } = await writes(virtualPhone(), ['où est ma commande ?'])
    lt.failNext(1, 429)
    const failed = await translate(ids[0]!, 'en')
    expect(failed.status).toBe(502)
    expect(failed.json).toMatchObject({
      code: 'TRANSLATION_FAILED',
      detail: 'The translation provider answered 429: Injected failure 429',
    })
    const retried = await translate(ids[0]!, 'en')
    expect(retried.status).toBe(200)
    expect(retried.json).toMatchObject({
      from: 'fr',
      text: '[fr→en] où est ma commande ?',
      cached: false,
    })
  })

  it('refuses unknown messages, messages without text and bad languages', async () => {
    expect((await translate('0190aaaa-0000-7000-8000-00000000dead', 'en')).json.code).toBe(
      'MESSAGE_NOT_FOUND',
    )
    const sent = await t.request<{ id: string }>('POST', '/api/v1/messages', {
      accountId: t.accountId,
      to: virtualPhone(),
      type: 'location',
      location: { latitude: 25.2, longitude: 55.27 },
    })
    const none = await translate(sent.json.id, 'en')
    expect(none.status).toBe(422)
    expect(none.json.code).toBe('MESSAGE_HAS_NO_TEXT')
    const bad = await translate(sent.json.id, 'english!')
    expect(bad.status).toBe(400)
    expect(bad.json.errors?.[0]?.path).toBe('query.to')
  })
})

describe.each(testDialects())('translation on %s, by default', (dialect) => {
  let t: TestLinda

  beforeAll(async () => {
    t = await startTestLinda(dialect)
  })

  afterAll(async () => {
    await t?.stop()
  })

  it('is off, and says how to turn it on', async () => {
    const { id } = await contactWrites(t, virtualPhone(), 'quiero cancelar mi suscripción')
    const res = await t.request<Problem>('GET', `/api/v1/messages/${id}/translation?to=en`)
    expect(res.status).toBe(409)
    expect(res.json.code).toBe('TRANSLATION_OFF')
    expect(res.json.detail).toContain('LINDA_TRANSLATE_URL')
    expect(t.linda.languages.translationEnabled).toBe(false)
  })
})

describe(LibreTranslate.name, () => {
  let lt: FakeLibreTranslate

  beforeAll(async () => {
    lt = await startFakeLibreTranslate({ apiKey: 'k' })
  })

  afterAll(async () => {
    await lt?.stop()
  })

  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(TranslationError)
    return (err as Error).message
  }

  it('says when the key is wrong, the provider is slow, or nobody answers', async () => {
    expect(
      await failure(
        new LibreTranslate({ url: lt.url, apiKey: 'wrong' }).translate('hi', { to: 'es' }),
      ),
    ).toBe('The translation provider answered 403: Invalid API key')
    lt.delayNext(1, 500)
    expect(
      await failure(
        new LibreTranslate({ url: lt.url, apiKey: 'k', timeoutMs: 50 }).translate('hi', {
          to: 'es',
        }),
      ),
    ).toBe('The translation provider did not answer in time')
    const stopped = await startFakeLibreTranslate()
    await stopped.stop()
    expect(
      await failure(new LibreTranslate({ url: stopped.url }).translate('hi', { to: 'es' })),
    ).toMatch(/^The translation provider could not be reached: /)
  })
})
