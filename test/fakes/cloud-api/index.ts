export {
  startFakeCloudApi,
  type FakeCloudApi,
  type FakeCloudApiOptions,
  type FakeInbound,
  type FakeStatus,
  type RecordedRequest,
  type SentMessage,
  type SignedWebhook,
  type WebhookDelivery,
} from './server.js'
export { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from './receiver.js'
export { graphErrorBody, hubSignature, metaErrors, webhookEnvelope } from './meta.js'
