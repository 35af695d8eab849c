export {
  MessagesService,
  REQUEST_KEY_TTL_MS,
  type MessagesDeps,
  type SendOptions,
} from './messages.service.js'
export { mayReachOptedOut, type OptOutCase } from './opt-out.js'
export { retryDelay, type SenderOptions } from './sender.js'
export { messagesRoutes } from './messages.routes.js'
export { sandboxRoutes } from './sandbox.routes.js'
export {
  messageSchema,
  sendOrigins,
  type Message,
  type MessageStatus,
  type SendOrigin,
} from './messages.schemas.js'
export { sendContentShapes } from './content.schemas.js'
