export { ApiKeysService, keyPrefix } from './api-keys.service.js'
export { atLeast, roles, type Role } from './roles.js'
export { apiKeysRoutes } from './api-keys.routes.js'
export type { ApiKeyRecord } from './api-keys.repo.js'
