import {
  getContentType,
  isJidBroadcast,
  isJidGroup,
  isJidNewsletter,
  isJidStatusBroadcast,
  isLidUser,
  isPnUser,
  jidDecode,
  normalizeMessageContent,
  proto,
  type MessageUserReceiptUpdate,
  type WAMessage,
  type WAMessageUpdate,
} from '@whiskeysockets/baileys'
import type { ReceiptStatus, StatusUpdate } from '../port.js'

// Baileys' shapes → Linda's, and Linda's phone numbers → WhatsApp JIDs.

const E164 = /^\+[1-9]\d{7,14}$/

/** The JID of a phone number: `+15551234567` → `15551234567@s.whatsapp.net`; undefined if invalid. */
export function phoneToJid(phone: string): string | undefined {
  return E164.test(phone) ? `${phone.slice(1)}@s.whatsapp.net` : undefined
}

/** The phone number (E.164) of a user JID (`…@s.whatsapp.net`, any device); else undefined. */
export function jidToPhone(jid: string | null | undefined): string | undefined {
  if (!jid || !isPnUser(jid)) return undefined
  const user = jidDecode(jid)?.user
  if (!user) return undefined
  const phone = `+${user}`
  return E164.test(phone) ? phone : undefined
}

/** A LID user without its device: `123:4@lid` → `123@lid`; undefined when `jid` is no LID. */
export function lidUser(jid: string | null | undefined): string | undefined {
  if (!jid || !isLidUser(jid)) return undefined
  const user = jidDecode(jid)?.user
  return user ? `${user}@lid` : undefined
}

/** Why an upserted message is not handed to Linda. */
export type InboundSkip =
  | 'own'
  | 'status'
  | 'group'
  | 'broadcast'
  | 'newsletter'
  | 'no-content'
  | 'not-a-message'
  | 'unknown-sender'

/** A message from a contact, before the sender's phone number is settled. */
export interface BaileysInbound {
  externalId: string
  /** The sender's phone number (E.164), when the message says it. */
  phone?: string
  /** The sender's LID user (`…@lid`), when WhatsApp addressed them by one. */
  lid?: string
  text: string
  timestamp: string
  profileName?: string
}

function seconds(value: WAMessage['messageTimestamp']): number | undefined {
  if (value === null || value === undefined) return undefined
  return typeof value === 'number' ? value : value.toNumber()
}

function isoFromSeconds(value: WAMessage['messageTimestamp'], now: Date): string {
  const s = seconds(value)
  return s === undefined || s <= 0 ? now.toISOString() : new Date(s * 1000).toISOString()
}

/** Reads a message a contact sent, or says why it is skipped. */
export function readInbound(
  msg: WAMessage,
  now: Date,
): { ok: true; message: BaileysInbound } | { ok: false; skip: InboundSkip } {
  const { key } = msg
  const chat = key.remoteJid ?? ''
  if (key.fromMe) return { ok: false, skip: 'own' }
  if (isJidStatusBroadcast(chat)) return { ok: false, skip: 'status' }
  if (isJidGroup(chat)) return { ok: false, skip: 'group' }
  if (isJidBroadcast(chat)) return { ok: false, skip: 'broadcast' }
  if (isJidNewsletter(chat)) return { ok: false, skip: 'newsletter' }
  if (!key.id) return { ok: false, skip: 'no-content' }
  const text = readableText(msg.message)
  if (text === undefined) return { ok: false, skip: 'not-a-message' }
  // WhatsApp addresses the chat by the contact's LID or by their number; v7 gives the other
  // one, when it knows it, as `remoteJidAlt`.
  const phone = jidToPhone(chat) ?? jidToPhone(key.remoteJidAlt)
  const lid = lidUser(chat) ?? lidUser(key.remoteJidAlt)
  if (!phone && !lid) return { ok: false, skip: 'unknown-sender' }
  return {
    ok: true,
    message: {
      externalId: key.id,
      ...(phone ? { phone } : {}),
      ...(lid ? { lid } : {}),
      text,
      timestamp: isoFromSeconds(msg.messageTimestamp, now),
      ...(msg.pushName ? { profileName: msg.pushName } : {}),
    },
  }
}

function labelled(label: string, detail: string | null | undefined): string {
  return detail ? `[${label}: ${detail}]` : `[${label}]`
}

/**
 * A readable text for a message: its text, a caption, or a label such as `[image]`.
 * Undefined for what is not a message a person wrote (protocol messages, key exchanges).
 */
export function readableText(content: proto.IMessage | null | undefined): string | undefined {
  const message = normalizeMessageContent(content)
  if (!message) return undefined
  const type = getContentType(message)
  switch (type) {
    case 'conversation':
      return message.conversation ?? undefined
    case 'extendedTextMessage':
      return message.extendedTextMessage?.text ?? undefined
    case 'imageMessage':
      return message.imageMessage?.caption || '[image]'
    case 'videoMessage':
      return message.videoMessage?.caption || '[video]'
    case 'ptvMessage':
      return '[video note]'
    case 'audioMessage':
      return message.audioMessage?.ptt ? '[voice message]' : '[audio]'
    case 'documentMessage': {
      const doc = message.documentMessage
      return doc?.caption || labelled('document', doc?.fileName)
    }
    case 'stickerMessage':
      return '[sticker]'
    case 'locationMessage': {
      const loc = message.locationMessage
      const place = [loc?.name, loc?.address].filter(Boolean).join(', ')
      return labelled(
        'location',
        place || (loc ? `${loc.degreesLatitude ?? 0}, ${loc.degreesLongitude ?? 0}` : undefined),
      )
    }
    case 'liveLocationMessage':
      return '[live location]'
    case 'contactMessage':
      return labelled('contact', message.contactMessage?.displayName)
    case 'contactsArrayMessage':
      return labelled('contacts', message.contactsArrayMessage?.displayName)
    case 'reactionMessage': {
      const emoji = message.reactionMessage?.text
      return emoji ? `[reaction: ${emoji}]` : '[reaction removed]'
    }
    case 'buttonsResponseMessage':
      return message.buttonsResponseMessage?.selectedDisplayText ?? '[button reply]'
    case 'templateButtonReplyMessage':
      return message.templateButtonReplyMessage?.selectedDisplayText ?? '[button reply]'
    case 'listResponseMessage':
      return message.listResponseMessage?.title ?? '[list reply]'
    case 'interactiveResponseMessage':
      return message.interactiveResponseMessage?.body?.text ?? '[interactive reply]'
    case 'pollCreationMessage':
    case 'pollCreationMessageV2':
    case 'pollCreationMessageV3': {
      const poll =
        message.pollCreationMessage ??
        message.pollCreationMessageV2 ??
        message.pollCreationMessageV3
      return labelled('poll', poll?.name)
    }
    default:
      return undefined
  }
}

const Status = proto.WebMessageInfo.Status

function receiptOf(status: number | null | undefined): ReceiptStatus | undefined {
  switch (status) {
    case Status.ERROR:
      return 'failed'
    case Status.SERVER_ACK:
      return 'sent'
    case Status.DELIVERY_ACK:
      return 'delivered'
    case Status.READ:
    case Status.PLAYED:
      return 'read'
    default:
      return undefined
  }
}

function isOwnOneToOne(
  key: WAMessageUpdate['key'],
): key is WAMessageUpdate['key'] & { id: string } {
  const chat = key.remoteJid ?? ''
  return Boolean(key.fromMe && key.id && !isJidGroup(chat) && !isJidStatusBroadcast(chat))
}

/** Receipts of the account's own messages in `messages.update` (its status changes). */
export function statusesFromUpdates(
  updates: readonly WAMessageUpdate[],
  now: Date,
): StatusUpdate[] {
  const out: StatusUpdate[] = []
  for (const { key, update } of updates) {
    if (!isOwnOneToOne(key)) continue
    const status = receiptOf(update.status)
    if (!status) continue
    out.push({
      externalId: key.id,
      status,
      timestamp: now.toISOString(),
      ...(status === 'failed'
        ? {
            error: {
              code: 'BAILEYS_MESSAGE_ERROR',
              message: 'WhatsApp reported the message failed',
            },
          }
        : {}),
    })
  }
  return out
}

/** Receipts in `message-receipt.update` (per-recipient delivery and read times). */
export function statusesFromReceipts(
  receipts: readonly MessageUserReceiptUpdate[],
  now: Date,
): StatusUpdate[] {
  const out: StatusUpdate[] = []
  for (const { key, receipt } of receipts) {
    if (!isOwnOneToOne(key)) continue
    const read = seconds(receipt.readTimestamp) ?? seconds(receipt.playedTimestamp)
    const delivered = seconds(receipt.receiptTimestamp)
    if (read !== undefined) {
      out.push({ externalId: key.id, status: 'read', timestamp: isoFromSeconds(read, now) })
    } else if (delivered !== undefined) {
      out.push({
        externalId: key.id,
        status: 'delivered',
        timestamp: isoFromSeconds(delivered, now),
      })
    }
  }
  return out
}
