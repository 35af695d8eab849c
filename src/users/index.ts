export { ApiKeysService, keyPrefix, roles, type Role } from './api-keys.service.js'
export { apiKeysRoutes } from './api-keys.routes.js'
export type { ApiKeyRecord } from './api-keys.repo.js'
