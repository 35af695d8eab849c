export { ApiKeysService, keyPrefix, SERVICE_USER_ID } from './api-keys.service.js'
export {
  AuthService,
  csrfTokenOf,
  defaultSessionLifetimes,
  type SessionLifetimes,
  type StartedSession,
} from './auth.service.js'
export { UsersService, linkLifetimesMs, type IssuedLink, type LinkInfo } from './users.service.js'
export { Principal, principalOf, type PrincipalInit } from './principal.js'
export {
  atLeast,
  availabilities,
  lesserRole,
  roles,
  scopeOfRoute,
  scopes,
  scopesOfRole,
  seesAllAccounts,
  type Availability,
  type Role,
  type Scope,
} from './roles.js'
export { CSRF_HEADER, SESSION_COOKIE, sessionTokenOf } from './session-cookie.js'
export { linkUrl } from './links.js'
export { apiKeysRoutes } from './api-keys.routes.js'
export { authRoutes } from './auth.routes.js'
export { usersRoutes } from './users.routes.js'
export type { ApiKeyRecord } from './api-keys.repo.js'
export type { User, UserStatus } from './users.repo.js'
