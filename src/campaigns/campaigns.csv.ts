import type { Recipient } from './campaigns.schemas.js'

export const reportColumns = [
  'id',
  'phone',
  'contact_id',
  'account_id',
  'language',
  'state',
  'reason',
  'message_id',
  'queued_at',
  'sent_at',
  'delivered_at',
  'read_at',
  'replied_at',
] as const

/** A phone number as a person may have typed it: safe to leave as it is. */
const phoneLike = /^[+-][\d\s().-]*$/

/**
 * One CSV cell (RFC 4180). Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
 * a tab or a carriage return first) gets a leading apostrophe, phone numbers excepted.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return ''
  let text = String(value)
  if (/^[=+\-@\t\r]/.test(text) && !phoneLike.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function csvRow(values: ReadonlyArray<string | number | null>): string {
  return `${values.map(csvCell).join(',')}\r\n`
}

/** The report: a header, then a line per recipient, page by page. */
export async function* reportLines(pages: AsyncIterable<Recipient[]>): AsyncIterable<string> {
  yield csvRow(reportColumns)
  for await (const page of pages) {
    yield page
      .map((r) =>
        csvRow([
          r.id,
          r.phone,
          r.contactId,
          r.accountId,
          r.language,
          r.state,
          r.reason,
          r.messageId,
          r.queuedAt,
          r.sentAt,
          r.deliveredAt,
          r.readAt,
          r.repliedAt,
        ]),
      )
      .join('')
  }
}
