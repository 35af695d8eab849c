export { AccountsService, type AccountInbox, type AccountsDeps } from './accounts.service.js'
export { accountsRoutes } from './accounts.routes.js'
export {
  accountSchema,
  accountSettingsSchema,
  type Account,
  type AccountSettings,
} from './accounts.schemas.js'
