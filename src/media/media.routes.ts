import { z } from 'zod'
import type { AccountsService } from '../accounts/index.js'
import { commonErrors, idParams, problemSchema, type App } from '../http/types.js'
import { AppError } from '../platform/errors.js'
import { principalOf } from '../users/index.js'
import type { MediaStore } from './media.store.js'
import {
  mediaSchema,
  mediaUploadMaxBytes,
  mimeTypeSchema,
  uploadMediaQuery,
} from './media.schemas.js'

/** Types a browser may show in place; everything else is offered as a download. */
const INLINE = /^(image\/(jpeg|png|webp|gif)|audio\/[\w.+-]+|video\/[\w.+-]+)$/

/** `Content-Disposition` with the file name in both the plain and the RFC 5987 forms. */
function disposition(mime: string, filename: string | null, fallback: string): string {
  const kind = INLINE.test(mime) ? 'inline' : 'attachment'
  const name = filename ?? fallback
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

export function mediaRoutes(store: MediaStore, accounts: Pick<AccountsService, 'get'>) {
  return async function register(app: App): Promise<void> {
    const tags = ['media']
    // Uploads are the raw bytes, of any type: this scope reads every body as a buffer.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

    app.post(
      '/media',
      {
        config: { minRole: 'agent' },
        bodyLimit: mediaUploadMaxBytes,
        schema: {
          tags,
          summary: 'Upload media to send',
          description:
            'The body is the file itself, with its MIME type as `Content-Type` (e.g. `curl --data-binary @photo.jpg -H "content-type: image/jpeg"`). Send it with `POST /messages` as `media: { mediaId }`. The same bytes uploaded again for the same account answer with the first upload.',
          querystring: uploadMediaQuery,
          headers: z.object({ 'content-type': mimeTypeSchema }),
          response: { 201: mediaSchema, ...commonErrors, 413: problemSchema },
        },
      },
      async (req, reply) => {
        await accounts.get(req.query.accountId)
        if (!Buffer.isBuffer(req.body)) {
          throw new AppError('VALIDATION_FAILED', 'The body must be the file', [
            { path: 'body', message: 'must be the bytes of the file' },
          ])
        }
        const media = await store.put(req.query.accountId, req.body, {
          mimeType: req.headers['content-type'],
          filename: req.query.filename ?? null,
        })
        return reply.code(201).send(media)
      },
    )

    app.get(
      '/media/:id',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'Download media',
          description:
            'The bytes, with their MIME type. Media contacts sent is here once Linda has downloaded it: the message content then names it as `media.mediaId`.',
          params: idParams,
          response: {
            200: z.any().meta({ description: 'The file' }),
            ...commonErrors,
          },
        },
      },
      async (req, reply) => {
        const { media, stream } = await store.open(req.params.id)
        if (!principalOf(req).canAccessAccount(media.accountId)) {
          stream.destroy()
          throw new AppError('MEDIA_NOT_FOUND', `No media has the id ${req.params.id}`)
        }
        return reply
          .header('content-type', media.mimeType)
          .header('content-length', media.size)
          .header('content-disposition', disposition(media.mimeType, media.filename, media.id))
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'private, max-age=86400')
          .send(stream)
      },
    )
  }
}
