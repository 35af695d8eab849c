import { commonErrors, idParams, problemSchema, type App } from '../http/types.js'
import type { LanguagesService } from './languages.service.js'
import { translationQuery, translationSchema } from './languages.schemas.js'

export function languagesRoutes(languages: LanguagesService) {
  return async function register(app: App): Promise<void> {
    app.get(
      '/messages/:id/translation',
      {
        // A translation may cost a call to a paid provider: agents and up.
        config: { minRole: 'agent' },
        schema: {
          tags: ['messages'],
          summary: "Translate a message's text (for agents)",
          description:
            'Translates through the configured LibreTranslate-compatible provider (off by default: 409 TRANSLATION_OFF); each text is translated once per language pair and then served from the cache.',
          params: idParams,
          querystring: translationQuery,
          response: {
            200: translationSchema,
            ...commonErrors,
            409: problemSchema,
            422: problemSchema,
            502: problemSchema,
          },
        },
      },
      async (req) => languages.translateMessage(req.params.id, req.query.to),
    )
  }
}
