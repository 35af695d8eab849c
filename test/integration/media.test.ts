// The media store: inbound Cloud media downloaded by a job after ingest and stored once per
// content, served with its type and safe headers behind the API key; uploads sent by id
// through Meta's media endpoint.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Account } from '../../src/accounts/index.js'
import type { Media } from '../../src/media/index.js'
import type { Message } from '../../src/messages/index.js'
import { startFakeCloudApi, type FakeCloudApi } from '../fakes/cloud-api/index.js'
import { testDialects } from '../helpers/databases.js'
import {
  getMessage,
  listAllMessages,
  connectCloudAccount,
  startTestLinda,
  virtualPhone,
  waitFor,
  type Problem,
  type TestLinda,
} from '../helpers/linda.js'

/** A tiny PNG: the signature, then bytes that make each image distinct. */
const png = (tag: string) =>
  Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(`image:${tag}`)])

describe.each(testDialects())('media on %s', (dialect) => {
  let t: TestLinda
  let meta: FakeCloudApi
  let cloud: Account

  beforeAll(async () => {
    meta = await startFakeCloudApi()
    t = await startTestLinda(dialect)
    cloud = (await connectCloudAccount(t, meta)).account
  })

  afterAll(async () => {
    await t?.stop()
    await meta?.stop()
  })

  /** A contact sends an image; resolves with the stored message once its media is stored. */
  async function contactSendsImage(from: string, data: Buffer, caption: string): Promise<Message> {
    const { id, sha256 } = meta.addMedia({ data, mimeType: 'image/png' })
    const webhook = meta.inboundWebhook({
      from,
      message: { type: 'image', image: { id, mime_type: 'image/png', sha256, caption } },
    })
    expect(await meta.deliver(webhook)).toBe(200)
    return waitFor(async () => {
      const [message] = await listAllMessages(t, {
        accountId: cloud.id,
        phone: from,
        direction: 'in',
      })
      const content = message?.content
      if (content?.type !== 'image' || !content.media.mediaId) throw new Error('not stored yet')
      return message!
    })
  }

  const mediaFiles = async () => {
    const root = join(t.dataDir, 'media')
    const dirs = await readdir(root).catch(() => [] as string[])
    const files: string[] = []
    for (const dir of dirs) {
      for (const file of await readdir(join(root, dir))) files.push(join(dir, file))
    }
    return files
  }

  it('downloads an inbound image after ingest, stores it and serves it with safe headers', async () => {
    const data = png('first')
    const message = await contactSendsImage('+971502220001', data, 'Look')
    expect(message).toMatchObject({ type: 'image', text: 'Look' })
    const content = message.content
    if (content?.type !== 'image') throw new Error('expected an image')
    expect(content.media).toMatchObject({
      mimeType: 'image/png',
      caption: 'Look',
      size: data.length,
    })
    const res = await t.linda.http.inject({
      method: 'GET',
      url: `/api/v1/media/${content.media.mediaId}`,
      headers: { authorization: `Bearer ${t.apiKey}` },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('image/png')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['content-disposition']).toMatch(/^inline; filename="/)
    expect(res.rawPayload.equals(data)).toBe(true)
    const sha = content.media.sha256!
    expect(await mediaFiles()).toContain(join(sha.slice(0, 2), sha))
  })

  it('stores the same bytes once, under one media id', async () => {
    const data = png('twice')
    const first = await contactSendsImage('+971502220002', data, 'One')
    const before = await mediaFiles()
    const second = await contactSendsImage('+971502220003', data, 'Two')
    expect(first.id).not.toBe(second.id)
    const idOf = (m: Message) => (m.content?.type === 'image' ? m.content.media.mediaId : undefined)
    expect(idOf(second)).toBe(idOf(first))
    expect(await mediaFiles()).toEqual(before)
  })

  it('refuses media to a caller without a valid API key', async () => {
    const message = await contactSendsImage('+971502220004', png('auth'), 'Private')
    const mediaId = message.content?.type === 'image' ? message.content.media.mediaId : ''
    const anonymous = await t.request<Problem>('GET', `/api/v1/media/${mediaId}`, undefined, {
      authorization: '',
    })
    expect(anonymous.status).toBe(401)
    expect(anonymous.json.code).toBe('UNAUTHORIZED')
    const wrong = await t.request<Problem>('GET', `/api/v1/media/${mediaId}`, undefined, {
      authorization: 'Bearer linda_nope',
    })
    expect(wrong.status).toBe(401)
    const missing = await t.request<Problem>('GET', '/api/v1/media/no-such-media')
    expect(missing.status).toBe(404)
    expect(missing.json.code).toBe('MEDIA_NOT_FOUND')
  })

  it('offers a document as a download under its file name', async () => {
    const data = Buffer.from('%PDF-1.4 invoice')
    const upload = await t.request<Media>(
      'POST',
      `/api/v1/media?accountId=${t.accountId}&filename=${encodeURIComponent('Rechnung März.pdf')}`,
      data.toString('latin1'),
      { 'content-type': 'application/pdf' },
    )
    expect(upload.status).toBe(201)
    expect(upload.json).toMatchObject({ mimeType: 'application/pdf', size: data.length })
    const res = await t.request('GET', `/api/v1/media/${upload.json.id}`)
    expect(res.headers['content-type']).toBe('application/pdf')
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="Rechnung M_rz.pdf"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf`,
    )
  })

  it('uploads stored media to Meta and sends it by id', async () => {
    const to = '+971502220005'
    expect(await meta.deliver(meta.inboundWebhook({ from: to, text: 'send me the photo' }))).toBe(
      200,
    )
    await waitFor(async () => {
      expect(await listAllMessages(t, { accountId: cloud.id, phone: to })).not.toHaveLength(0)
    })
    const data = png('outbound')
    const upload = await t.linda.http.inject({
      method: 'POST',
      url: `/api/v1/media?accountId=${cloud.id}`,
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'image/png' },
      payload: data,
    })
    expect(upload.statusCode).toBe(201)
    const media = upload.json<Media>()
    const res = await t.request<{ id: string }>('POST', '/api/v1/messages', {
      accountId: cloud.id,
      to,
      type: 'image',
      media: { mediaId: media.id, caption: 'Here it is' },
    })
    expect(res.status).toBe(202)
    await waitFor(async () => {
      expect(['sent', 'delivered', 'read']).toContain((await getMessage(t, res.json.id)).status)
    })
    const sent = meta.sent.find((s) => s.to === to && s.type === 'image')
    const image = sent?.body.image as { id: string; caption: string }
    expect(image.caption).toBe('Here it is')
    expect(meta.uploads.get(image.id)?.data.equals(data)).toBe(true)
    expect(meta.uploads.get(image.id)?.mimeType).toBe('image/png')
  })

  it("refuses to send another account's media, and media too large for its type", async () => {
    const upload = await t.linda.http.inject({
      method: 'POST',
      url: `/api/v1/media?accountId=${t.accountId}`,
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'image/webp' },
      payload: Buffer.alloc(600 * 1024, 7),
    })
    expect(upload.statusCode).toBe(201)
    const media = upload.json<Media>()
    const foreign = await t.request<Problem>('POST', '/api/v1/messages', {
      accountId: cloud.id,
      to: '+971502220005',
      type: 'image',
      media: { mediaId: media.id },
    })
    expect(foreign.status).toBe(404)
    expect(foreign.json.code).toBe('MEDIA_NOT_FOUND')
    expect(foreign.json.errors?.[0]?.path).toBe('body.media.mediaId')
    const sticker = await t.request<Problem>('POST', '/api/v1/messages', {
      accountId: t.accountId,
      to: virtualPhone(),
      type: 'sticker',
      media: { mediaId: media.id },
    })
    expect(sticker.status).toBe(413)
    expect(sticker.json.code).toBe('MEDIA_TOO_LARGE')
  })

  it('refuses an upload over the limit of its type', async () => {
    const res = await t.linda.http.inject({
      method: 'POST',
      url: `/api/v1/media?accountId=${t.accountId}`,
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'image/jpeg' },
      payload: Buffer.alloc(5 * 1024 * 1024 + 1, 1),
    })
    expect(res.statusCode).toBe(413)
    expect(res.json<Problem>().code).toBe('MEDIA_TOO_LARGE')
  })
})
