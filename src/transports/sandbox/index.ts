export {
  SandboxTransport,
  sandboxCapabilities,
  type SandboxActivity,
  type SandboxFailure,
  type SandboxInbound,
} from './sandbox.transport.js'
export { sandboxSettingsSchema, type SandboxSettings } from './sandbox.settings.js'
