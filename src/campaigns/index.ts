export {
  CampaignsService,
  type CampaignsDeps,
  type CampaignSender,
  type CampaignSendInput,
  type CampaignProgressEvent,
  type SendOrigin,
} from './campaigns.service.js'
export { campaignsRoutes } from './campaigns.routes.js'
export {
  ContactsAudience,
  ContactsTableAudience,
  type AudienceSource,
  type AudienceEntry,
} from './audience.js'
export {
  TextRenderer,
  recipientVars,
  variablesOf,
  type MessageRenderer,
  type RenderedContent,
} from './render.js'
export {
  audienceSchema,
  campaignMessageSchema,
  createCampaignBody,
  timeZoneName,
  type Audience,
  type Campaign,
  type CampaignMessage,
  type CreateCampaignInput,
} from './campaigns.schemas.js'
