export { normalizePhone, type NormalizeOptions } from './phone.js'
export { contactOptedOut, upsertContactByPhone, findContactPhone } from './contacts.repo.js'
export {
  ContactsService,
  type AudienceOptions,
  type AudienceTarget,
  type ContactsDeps,
  type FilterInput,
} from './contacts.service.js'
export { contactsRoutes } from './contacts.routes.js'
export { attributesRoutes } from './attributes.routes.js'
export { segmentsRoutes } from './segments.routes.js'
export { contactSchema, type Contact } from './contacts.schemas.js'
export { type Attribute, type AttributeType, type AttributeValues } from './attributes.schemas.js'
export { type Segment } from './segments.schemas.js'
export { type FilterNode, type FilterOp, filterOps } from './filter.schemas.js'
export { parseFilterQuery, printFilterQuery } from './filter.query.js'
