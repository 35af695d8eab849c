import type { TransportCapabilities } from '../port.js'

/** What a WhatsApp Web account can do in this version: text, with receipts. */
export const baileysCapabilities: TransportCapabilities = {
  send: ['text'],
  receipts: true,
  pairing: 'qr-or-code',
  templatesRequired: false,
}
