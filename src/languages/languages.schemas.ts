import { z } from 'zod'
import { languageTag } from './language-tags.js'

export const translationQuery = z.object({
  to: languageTag.meta({
    description: 'The language to translate into (BCP 47; its base language is used)',
  }),
})

export const translationSchema = z
  .object({
    messageId: z.string(),
    original: z.string().meta({ description: "The message's text" }),
    from: z.string().nullable().meta({
      description:
        'The language translated from: detected by Linda when the message came in, else by the provider; null when neither could tell',
    }),
    to: z.string(),
    text: z
      .string()
      .meta({ description: 'The translation (the original when it is already in `to`)' }),
    cached: z.boolean().meta({ description: 'Whether the translation came from the cache' }),
  })
  .meta({ id: 'Translation' })

export type Translation = z.output<typeof translationSchema>
