export { TemplatesService, type RenderRequest, type TemplatesDeps } from './templates.service.js'
export { templatesRoutes } from './templates.routes.js'
export {
  pickVariant,
  renderTemplate,
  type RenderContact,
  type Rendered,
  type RenderOptions,
} from './templates.render.js'
export {
  templateSchema,
  type Template,
  type TemplateVariable,
  type TemplateVariant,
  type VariantReason,
} from './templates.schemas.js'
