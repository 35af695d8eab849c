import type { AccountState, Transport } from '../api/types'

export const stateLabels: Record<AccountState, string> = {
  created: 'Created',
  linking: 'Linking',
  connected: 'Connected',
  reconnecting: 'Reconnecting',
  disconnected: 'Disconnected',
  logged_out: 'Logged out',
  error: 'Error',
}

export const transportLabels: Record<Transport, string> = {
  sandbox: 'Sandbox',
  cloud: 'Cloud API',
  baileys: 'WhatsApp Web',
}
