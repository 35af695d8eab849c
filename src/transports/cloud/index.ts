export {
  CloudTransport,
  cloudCapabilities,
  cloudMediaMaxBytes,
  type CloudTransportOptions,
  type DownloadMediaOptions,
  type DownloadedMedia,
} from './cloud.transport.js'
export {
  cloudSettingsSchema,
  type CloudSettings,
  type CloudSettingsInput,
} from './cloud.settings.js'
export {
  parseWebhook,
  verifyChallenge,
  webhookRejections,
  type AppSecretLookup,
  type ParsedWebhook,
  type WebhookRejection,
} from './cloud.webhooks.js'
export {
  signBody,
  signatureHeader,
  verifySignature,
  type SignatureCheck,
} from './cloud.signature.js'
export {
  CloudApiError,
  cloudErrorCodes,
  isAuthFailure,
  type CloudErrorCode,
  type MetaErrorInfo,
} from './cloud.errors.js'
export {
  buildSendPayload,
  cloudMediaKinds,
  cloudOutboundOf,
  lindaContent,
  type CloudContactCard,
  type CloudInboundContent,
  type CloudInboundKind,
  type CloudInboundMedia,
  type CloudInboundMessage,
  type CloudMediaKind,
  type CloudMediaRef,
  type CloudOutbound,
  type CloudOutboundType,
  type CloudStatusUpdate,
  type CloudTemplateComponent,
  type CloudTemplateParameter,
  type CloudWebhookError,
  type CloudWebhookEvent,
  type MetaSendPayload,
  type UploadLindaMedia,
  type WebhookSkip,
} from './cloud.mapping.js'
