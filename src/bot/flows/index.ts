export {
  FlowsService,
  defineFlow,
  type FlowOutcome,
  type FlowRuntime,
  type FlowTrigger,
  type FlowTriggers,
  type FlowsDeps,
} from './flows.service.js'
export { flowsRoutes } from './flows.routes.js'
export type { EndReason, FlowEffect } from './flows.engine.js'
export type { CodeFlowInput, Flow, FlowDefinition, FlowStep } from './flows.schemas.js'
export type { WebhookCaller, WebhookCall, WebhookResult } from './flows.webhook.js'
