// The content of a message to send, as `POST /api/v1/messages` takes it: one object per type,
// each checked against WhatsApp's limits so that a refusal names the field before anything is
// queued. The outputs are the port's OutboundContent shapes (see transports/port.ts).
import { z } from 'zod'
import type { MessageContent, OutboundContent } from '../transports/index.js'

const text = (max: number, what = `${max} characters`) =>
  z.string().min(1, 'must not be empty').max(max, `must be at most ${what}`)

const link = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL the provider can fetch' })
  .max(2048, 'must be at most 2048 characters')

const mediaId = z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters')

const mediaSource = {
  link: link.optional().meta({ description: 'A public URL the provider fetches the media from' }),
  mediaId: mediaId
    .optional()
    .meta({ description: 'Media uploaded to Linda (`POST /api/v1/media`)' }),
}

/** Media by `link` or by `mediaId` (uploaded to Linda before), never both. */
function oneSource(m: { link?: string; mediaId?: string }, ctx: z.RefinementCtx): void {
  const given = Number(m.link !== undefined) + Number(m.mediaId !== undefined)
  if (given !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: given === 0 ? ['link'] : ['mediaId'],
      message: given === 0 ? 'give `link` or `mediaId`' : 'give `link` or `mediaId`, not both',
    })
  }
}

const caption = text(1024).optional()

export const captionedMediaSchema = z
  .strictObject({ ...mediaSource, caption })
  .superRefine(oneSource)
export const documentMediaSchema = z
  .strictObject({
    ...mediaSource,
    caption,
    filename: text(240).optional().meta({ description: 'The name the recipient sees' }),
  })
  .superRefine(oneSource)
/** Audio and stickers: WhatsApp shows no caption under them. */
export const bareMediaSchema = z.strictObject(mediaSource).superRefine(oneSource)

export const locationSchema = z.strictObject({
  latitude: z.number().min(-90, 'must be between -90 and 90').max(90, 'must be between -90 and 90'),
  longitude: z
    .number()
    .min(-180, 'must be between -180 and 180')
    .max(180, 'must be between -180 and 180'),
  name: text(1000).optional(),
  address: text(1000).optional(),
})

const typed = z.string().min(1).max(64).optional()

export const contactCardSchema = z.strictObject({
  name: z.strictObject({
    formatted: text(512),
    first: text(256).optional(),
    last: text(256).optional(),
    middle: text(256).optional(),
    prefix: text(64).optional(),
    suffix: text(64).optional(),
  }),
  phones: z
    .array(z.strictObject({ phone: text(64), type: typed, waId: z.string().max(32).optional() }))
    .max(20, 'must have at most 20 entries')
    .optional(),
  emails: z
    .array(z.strictObject({ email: text(320), type: typed }))
    .max(20, 'must have at most 20 entries')
    .optional(),
  urls: z
    .array(z.strictObject({ url: text(2048), type: typed }))
    .max(20, 'must have at most 20 entries')
    .optional(),
  addresses: z
    .array(
      z.strictObject({
        street: text(512).optional(),
        city: text(256).optional(),
        state: text(256).optional(),
        zip: text(64).optional(),
        country: text(256).optional(),
        countryCode: text(8).optional(),
        type: typed,
      }),
    )
    .max(20, 'must have at most 20 entries')
    .optional(),
  org: z
    .strictObject({
      company: text(256).optional(),
      department: text(256).optional(),
      title: text(256).optional(),
    })
    .optional(),
  birthday: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
    .optional(),
})

export const reactionSchema = z.strictObject({
  messageId: text(64).meta({ description: "Linda's id of the message reacted to" }),
  emoji: z
    .string()
    .max(16, 'must be one emoji')
    .meta({ description: 'One emoji; an empty string takes the reaction back' }),
})

const interactiveFrame = {
  body: text(1024),
  header: text(60).optional(),
  footer: text(60).optional(),
}

const buttonsSchema = z.strictObject({
  type: z.literal('buttons'),
  ...interactiveFrame,
  buttons: z
    .array(z.strictObject({ id: text(256), title: text(20) }))
    .min(1, 'must have at least 1 button')
    .max(3, 'must have at most 3 buttons (the WhatsApp limit)')
    .superRefine(uniqueIds('button')),
})

const listSchema = z.strictObject({
  type: z.literal('list'),
  ...interactiveFrame,
  button: text(20).meta({ description: 'The label of the button that opens the list' }),
  sections: z
    .array(
      z.strictObject({
        title: text(24).optional(),
        rows: z
          .array(
            z.strictObject({ id: text(200), title: text(24), description: text(72).optional() }),
          )
          .min(1, 'must have at least 1 row'),
      }),
    )
    .min(1, 'must have at least 1 section')
    .max(10, 'must have at most 10 sections')
    .superRefine((sections, ctx) => {
      const rows = sections.flatMap((s) => s.rows)
      if (rows.length > 10) {
        ctx.addIssue({ code: 'custom', message: 'must have at most 10 rows in all sections' })
      }
      if (sections.length > 1 && sections.some((s) => s.title === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: 'every section needs a title when there are several',
        })
      }
      uniqueIds('row')(rows, ctx)
    }),
})

function uniqueIds(what: string) {
  return (items: Array<{ id: string }>, ctx: z.RefinementCtx) => {
    const ids = items.map((i) => i.id)
    if (new Set(ids).size !== ids.length) {
      ctx.addIssue({ code: 'custom', message: `every ${what} needs a different id` })
    }
  }
}

export const interactiveSchema = z.discriminatedUnion('type', [buttonsSchema, listSchema], {
  error: 'must have `type` "buttons" or "list"',
})

const templateMediaRef = z.union([z.strictObject({ link }), z.strictObject({ mediaId })], {
  error: 'must be `{ link }` or `{ mediaId }`',
})

const parameterName = z
  .string()
  .regex(/^[a-z0-9_]{1,60}$/, 'must be a template parameter name (a-z, 0-9, _)')
  .optional()

const templateParameterSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('text'), text: text(32768), name: parameterName }),
    z.strictObject({
      type: z.literal('currency'),
      fallback: text(256),
      code: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
      amount1000: z.number().int('must be an integer (the amount × 1000)'),
      name: parameterName,
    }),
    z.strictObject({ type: z.literal('dateTime'), fallback: text(256), name: parameterName }),
    z.strictObject({ type: z.enum(['image', 'video']), media: templateMediaRef }),
    z.strictObject({
      type: z.literal('document'),
      media: templateMediaRef,
      filename: text(240).optional(),
    }),
  ],
  { error: 'must have `type` text, currency, dateTime, image, video or document' },
)

const buttonIndex = z.number().int().min(0).max(9, 'must be 0 to 9')

const templateComponentSchema = z.union(
  [
    z.strictObject({
      type: z.enum(['header', 'body']),
      parameters: z.array(templateParameterSchema).max(100),
    }),
    z.strictObject({
      type: z.literal('button'),
      subType: z.literal('quick_reply'),
      index: buttonIndex,
      payload: text(256),
    }),
    z.strictObject({
      type: z.literal('button'),
      subType: z.literal('url'),
      index: buttonIndex,
      text: text(2000),
    }),
    z.strictObject({
      type: z.literal('button'),
      subType: z.literal('copy_code'),
      index: buttonIndex,
      couponCode: text(15),
    }),
  ],
  {
    error:
      'must be a header or body with `parameters`, or a button with `subType` quick_reply, url or copy_code',
  },
)

export const templateSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9_]{1,512}$/, 'must be a template name (lower-case letters, digits, _)'),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'must be a language code such as en or en_US'),
  components: z.array(templateComponentSchema).max(20).optional(),
})

/** The first field of every send body, then one field per type (`text`, `media`, …). */
export const sendContentShapes = {
  text: { text: text(4096, '4096 characters (the WhatsApp limit)') },
  image: { media: captionedMediaSchema },
  video: { media: captionedMediaSchema },
  document: { media: documentMediaSchema },
  audio: { media: bareMediaSchema },
  sticker: { media: bareMediaSchema },
  location: { location: locationSchema },
  contacts: {
    contacts: z
      .array(contactCardSchema)
      .min(1, 'must have at least 1 contact')
      .max(20, 'must have at most 20 contacts'),
  },
  reaction: { reaction: reactionSchema },
  interactive: { interactive: interactiveSchema },
  template: { template: templateSchema },
} as const

/**
 * What a person reads as the message's text: the text, a caption, an interactive body, an
 * emoji, a place's name; null when nothing reads as text.
 */
export function readableText(c: MessageContent): string | null {
  switch (c.type) {
    case 'text':
      return c.text
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker':
      return c.media.caption ?? null
    case 'location':
      return c.location.name ?? null
    case 'contacts':
      return c.contacts.map((card) => card.name.formatted).join(', ')
    case 'interactive':
      return c.interactive.body
    case 'reaction':
      return c.reaction.emoji || null
    case 'template':
      return `[template ${c.template.name}]`
    case 'button_reply':
    case 'list_reply':
      return c.reply.title
    case 'button':
      return c.button.text
    case 'unsupported':
      return null
  }
}

/** The Linda media ids a message's content names (to check they exist before queueing). */
export function mediaIdsOf(c: OutboundContent): string[] {
  switch (c.type) {
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker':
      return c.media.mediaId === undefined ? [] : [c.media.mediaId]
    case 'template':
      return (c.template.components ?? []).flatMap((component) =>
        component.type === 'button'
          ? []
          : component.parameters.flatMap((p) =>
              'media' in p && 'mediaId' in p.media ? [p.media.mediaId] : [],
            ),
      )
    default:
      return []
  }
}
