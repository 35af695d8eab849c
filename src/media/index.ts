export { MediaStore, type MediaStoreDeps } from './media.store.js'
export { mediaRoutes } from './media.routes.js'
export {
  mediaMaxBytes,
  mediaSchema,
  mediaTypeOfMime,
  mediaUploadMaxBytes,
  type Media,
} from './media.schemas.js'
