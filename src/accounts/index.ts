export {
  AccountsService,
  type AccountInbox,
  type AccountsDeps,
  type AccountTransportListener,
  type PairingInfo,
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
  type Account,
  type AccountSettings,
  type Pairing,
} from './accounts.schemas.js'
