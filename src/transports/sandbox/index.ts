export { SandboxTransport, sandboxCapabilities, type SandboxInbound } from './sandbox.transport.js'
export { sandboxSettingsSchema, type SandboxSettings } from './sandbox.settings.js'
