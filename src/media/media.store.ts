import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, type ReadStream } from 'node:fs'
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Db } from '../platform/db/index.js'
import { AppError } from '../platform/errors.js'
import type { MediaSource, MediaType } from '../transports/index.js'
import * as repo from './media.repo.js'
import { mediaMaxBytes, mediaTypeOfMime, type Media } from './media.schemas.js'

export interface MediaStoreDeps {
  db: Db
  /** Where the files go: `<dir>/<first two hex digits of the sha256>/<sha256>`. */
  dir: string
}

/**
 * Linda's media: content-addressed files under the data dir (equal bytes are one file),
 * indexed by the `media` table (one row per account and content).
 */
export class MediaStore implements MediaSource {
  constructor(private readonly deps: MediaStoreDeps) {}

  /**
   * Stores bytes for an account and returns their record; storing the same bytes again
   * returns the first record. Refuses bytes over the limit of their type (`type`, default
   * the type the MIME type implies).
   */
  async put(
    accountId: string,
    data: Buffer,
    meta: { mimeType: string; filename?: string | null; type?: MediaType },
  ): Promise<Media> {
    const type = meta.type ?? mediaTypeOfMime(meta.mimeType)
    if (data.length > mediaMaxBytes[type]) {
      throw new AppError(
        'MEDIA_TOO_LARGE',
        `The ${type} is ${data.length} bytes, over the limit of ${mediaMaxBytes[type]}`,
      )
    }
    if (data.length === 0) {
      throw new AppError('VALIDATION_FAILED', 'The media is empty', [
        { path: 'body', message: 'must not be empty' },
      ])
    }
    const sha256 = createHash('sha256').update(data).digest('hex')
    await this.writeOnce(sha256, data)
    return repo.insertMedia(this.deps.db, {
      accountId,
      sha256,
      mime: meta.mimeType,
      size: data.length,
      filename: meta.filename ?? null,
    })
  }

  /** The record of media `id`; MEDIA_NOT_FOUND when there is none. */
  async get(id: string, path = 'params.id'): Promise<Media> {
    const media = await repo.findMedia(this.deps.db, id)
    if (!media) {
      throw new AppError('MEDIA_NOT_FOUND', `No media has the id ${id}`, [
        { path, message: 'names no media' },
      ])
    }
    return media
  }

  /** The bytes of media `id`, to stream to a client. */
  async open(id: string): Promise<{ media: Media; stream: ReadStream }> {
    const media = await this.get(id)
    return { media, stream: createReadStream(this.fileOf(media.sha256)) }
  }

  async read(
    mediaId: string,
  ): Promise<{ data: Buffer; mimeType: string; filename: string | null; sha256: string }> {
    const media = await this.get(mediaId)
    const data = await readFile(this.fileOf(media.sha256))
    return { data, mimeType: media.mimeType, filename: media.filename, sha256: media.sha256 }
  }

  /** The file holding content `sha256`. */
  fileOf(sha256: string): string {
    return join(this.deps.dir, sha256.slice(0, 2), sha256)
  }

  /** Writes the file unless it exists; a temporary name and a rename keep it whole. */
  private async writeOnce(sha256: string, data: Buffer): Promise<void> {
    const file = this.fileOf(sha256)
    const exists = await access(file).then(
      () => true,
      () => false,
    )
    if (exists) return
    await mkdir(join(this.deps.dir, sha256.slice(0, 2)), { recursive: true })
    const temp = `${file}.${randomUUID()}.tmp`
    try {
      await writeFile(temp, data, { flag: 'wx' })
      await rename(temp, file)
    } catch (err) {
      await rm(temp, { force: true })
      throw err
    }
  }
}
