export { MessagesService, type MessagesDeps, type SendOptions } from './messages.service.js'
export { messagesRoutes } from './messages.routes.js'
export { sandboxRoutes } from './sandbox.routes.js'
export { messageSchema, type Message, type MessageStatus } from './messages.schemas.js'
