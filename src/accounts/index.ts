export {
  AccountsService,
  type AccountInbox,
  type AccountsDeps,
  type AccountTransportListener,
  type PairingInfo,
  type SendingHealthSource,
  type TransportFactories,
  type TransportFactory,
} from './accounts.service.js'
export { accountsRoutes } from './accounts.routes.js'
export { cloudWebhookRoutes, type CloudWebhookOutcome } from './cloud-webhooks.routes.js'
export { canTransition } from './account-state.js'
export {
  CredentialsKeyError,
  reencryptCredentials,
  sealedWith,
  type AccountCredentials,
  type BaileysCredentials,
  type CloudCredentials,
  type CredentialsOf,
} from './accounts.credentials.js'
export {
  accountSchema,
  accountSettingsSchema,
  breakerStates,
  sendingHealthSchema,
  type Account,
  type AccountSettings,
  type BreakerState,
  type Pairing,
  type SendingHealth,
} from './accounts.schemas.js'
