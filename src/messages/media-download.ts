// Inbound media, fetched after ingest: the ingest transaction only enqueues `media.download`,
// so a slow or failing provider never holds up the message (or the bot's answer to it).
import type { AccountsService } from '../accounts/index.js'
import type { MediaStore } from '../media/index.js'
import type { Db } from '../platform/db/index.js'
import { DelayError, UnrecoverableError } from '../platform/queue/index.js'
import {
  TransportError,
  mediaTypes,
  type MediaType,
  type MessageContent,
} from '../transports/index.js'
import * as repo from './messages.repo.js'
import type { Message } from './messages.schemas.js'

/** How often a download waits for its account's transport to run again. */
const ACCOUNT_WAIT_MS = 5_000

type MediaMessageContent = Extract<MessageContent, { type: MediaType }>

function isMedia(c: MessageContent): c is MediaMessageContent {
  return (mediaTypes as readonly string[]).includes(c.type)
}

/** Whether inbound content names media at the provider that Linda has not stored yet. */
export function needsDownload(c: MessageContent): boolean {
  return isMedia(c) && c.media.providerId !== undefined && c.media.mediaId === undefined
}

/**
 * Downloads the media of message `messageId` through its account's transport, stores it
 * (equal bytes are stored once) and records the stored media's id in the message's content.
 * Idempotent: a message whose media is stored already is left alone. Returns the updated
 * message, or undefined when there was nothing to do.
 */
export async function downloadInboundMedia(
  deps: { db: Db; accounts: AccountsService; media: MediaStore },
  data: { messageId: string; accountId: string },
  signal: AbortSignal,
): Promise<Message | undefined> {
  const message = await repo.findMessage(deps.db, data.messageId)
  const content = message?.content
  if (!message || !content || !isMedia(content) || !needsDownload(content)) return undefined
  if (!deps.accounts.live(data.accountId)) {
    const exists = await deps.accounts.get(data.accountId).then(
      () => true,
      () => false,
    )
    if (!exists) return undefined
    throw new DelayError(ACCOUNT_WAIT_MS, `account ${data.accountId} is not connected`)
  }
  const { transport } = deps.accounts.transport(data.accountId)
  if (!transport.downloadMedia) {
    throw new UnrecoverableError(`The ${transport.kind} transport does not download media`)
  }
  let downloaded
  try {
    downloaded = await transport.downloadMedia(content.media.providerId!, {
      type: content.type,
      signal,
    })
  } catch (err) {
    if (err instanceof TransportError && !err.retryable) {
      throw new UnrecoverableError(err.message, { cause: err })
    }
    throw err
  }
  const stored = await deps.media.put(data.accountId, downloaded.data, {
    mimeType: downloaded.mimeType,
    filename: content.media.filename ?? null,
    type: content.type,
  })
  return repo.setContent(deps.db, message.id, {
    ...content,
    media: { ...content.media, mediaId: stored.id, sha256: stored.sha256, size: stored.size },
  })
}
