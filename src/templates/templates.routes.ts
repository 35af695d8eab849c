import { z } from 'zod'
import {
  commonErrors,
  decodeCursor,
  idParams,
  pageOf,
  problemSchema,
  toPage,
  type App,
} from '../http/types.js'
import type { TemplatesService } from './templates.service.js'
import {
  createTemplateBody,
  listTemplatesQuery,
  previewBody,
  renderedSchema,
  templateSchema,
  updateTemplateBody,
  type Template,
} from './templates.schemas.js'
import { textDirection } from '../languages/index.js'

/** A template as the API shows it: each variant says which way its text runs. */
function shown(t: Template) {
  return { ...t, variants: t.variants.map((v) => ({ ...v, direction: textDirection(v.language) })) }
}

export function templatesRoutes(templates: TemplatesService) {
  return async function register(app: App): Promise<void> {
    const tags = ['templates']

    app.get(
      '/templates',
      {
        schema: {
          tags,
          summary: 'List message templates (oldest first)',
          querystring: listTemplatesQuery,
          response: { 200: pageOf(templateSchema), ...commonErrors },
        },
      },
      async (req) => {
        const { limit, cursor, category } = req.query
        const rows = await templates.list({
          limit: limit + 1,
          after: decodeCursor(cursor),
          ...(category ? { category } : {}),
        })
        const page = toPage(rows, limit)
        return { items: page.items.map(shown), nextCursor: page.nextCursor }
      },
    )

    app.post(
      '/templates',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Create a message template',
          description:
            'Each variant is checked: its ICU text parses, uses only declared variables in ways their types allow, and its Cloud mapping fills its parameters from declared variables. A refusal names each failing field (`body.variants.1.text`).',
          body: createTemplateBody,
          response: { 201: templateSchema, ...commonErrors, 409: problemSchema },
        },
      },
      async (req, reply) => reply.code(201).send(shown(await templates.create(req.body))),
    )

    app.get(
      '/templates/:id',
      {
        schema: {
          tags,
          summary: 'Get a template',
          params: idParams,
          response: { 200: templateSchema, ...commonErrors },
        },
      },
      async (req) => shown(await templates.get(req.params.id)),
    )

    app.patch(
      '/templates/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Change a template (the fields given; `variants` replaces them all)',
          params: idParams,
          body: updateTemplateBody,
          response: { 200: templateSchema, ...commonErrors, 409: problemSchema },
        },
      },
      async (req) => shown(await templates.update(req.params.id, req.body)),
    )

    app.delete(
      '/templates/:id',
      {
        config: { minRole: 'admin' },
        schema: {
          tags,
          summary: 'Delete a template',
          params: idParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        await templates.delete(req.params.id)
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/templates/:id/preview',
      {
        // Renders only: nothing is sent or stored, so a read-only key may call it.
        config: { minRole: 'viewer', scope: 'read' },
        schema: {
          tags,
          summary:
            "Render a template with a contact's data or given values, and say which variant was used",
          params: idParams,
          body: previewBody,
          response: { 200: renderedSchema, ...commonErrors, 422: problemSchema },
        },
      },
      async (req) => templates.preview(req.params.id, req.body),
    )
  }
}
