import { z } from 'zod'
import type { MediaType } from '../transports/index.js'

/**
 * The largest media WhatsApp carries, by type ("Supported media types" in Meta's Cloud API
 * reference); Linda keeps to the same limits for what it stores and sends.
 */
export const mediaMaxBytes: Readonly<Record<MediaType, number>> = {
  audio: 16 * 1024 * 1024,
  document: 100 * 1024 * 1024,
  image: 5 * 1024 * 1024,
  sticker: 500 * 1024,
  video: 16 * 1024 * 1024,
}

/** The largest upload of any type. */
export const mediaUploadMaxBytes = Math.max(...Object.values(mediaMaxBytes))

/** The media type a MIME type implies (anything but image, audio and video is a document). */
export function mediaTypeOfMime(mime: string): MediaType {
  const top = mime.split('/')[0]?.toLowerCase()
  if (top === 'image' || top === 'audio' || top === 'video') return top
  return 'document'
}

/** A MIME type as `type/subtype`, without parameters. */
export const mimeTypeSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/,
    'must be a MIME type',
  )

export const mediaSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    sha256: z.string().meta({ description: 'Hex sha256 of the bytes' }),
    mimeType: z.string(),
    size: z.number().int().meta({ description: 'Bytes' }),
    filename: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Media' })

export type Media = z.output<typeof mediaSchema>

export const uploadMediaQuery = z.object({
  accountId: z.string().min(1).max(64),
  filename: z
    .string()
    .min(1)
    .max(240, 'must be at most 240 characters')
    .refine(
      (name) => ![...name].some((ch) => ch === '/' || ch === '\\' || ch.charCodeAt(0) < 0x20),
      'must be a file name without slashes or control characters',
    )
    .optional(),
})
