import type { ContactsService, FilterInput } from '../contacts/index.js'
import { fromJson, type Db } from '../platform/db/index.js'
import * as repo from './audience.repo.js'
import type { Audience, AudienceType } from './campaigns.schemas.js'

/** One entry of an audience, as the campaign builder needs it. */
export interface AudienceEntry {
  /** null: a number from an uploaded list that is no contact yet. */
  contactId: string | null
  /** As stored or given: checked by the builder. */
  phone: string
  /** The number came from a person (an uploaded list), not from Linda's contacts. */
  typed: boolean
  name: string | null
  language: string | null
  attributes: Record<string, unknown>
  optedOut: boolean
  /** The entry's own variables (an uploaded list's). */
  vars?: Record<string, string>
}

/**
 * Where a campaign's audience comes from: the contacts module's filters and segments once
 * they are merged; until then, a reader of the contacts table for every contact, explicit
 * contact ids, uploaded lists and tags.
 */
export interface AudienceSource {
  /** Whether this source can resolve audiences of this type. */
  supports(type: AudienceType): boolean
  /**
   * The audience in pages, in a stable order (the same audience read twice gives the same
   * entries in the same order while the contacts do not change). `missing` counts contact
   * ids the audience named that do not exist.
   */
  pages(audience: Audience, pageSize: number): AsyncIterable<AudiencePage>
}

export interface AudiencePage {
  entries: AudienceEntry[]
  /** Named contact ids that do not exist. */
  missing: number
}

function toEntry(row: repo.ContactRow): AudienceEntry {
  return {
    contactId: row.id,
    phone: row.phone,
    typed: false,
    name: row.name,
    language: row.language,
    attributes: fromJson(row.attributes) ?? {},
    optedOut: Number(row.opted_out) === 1,
  }
}

function tagsMatch(
  tags: readonly string[],
  audience: Extract<Audience, { type: 'tags' }>,
): boolean {
  const has = new Set(tags.map((t) => t.toLowerCase()))
  const lower = (list?: string[]) => list?.map((t) => t.toLowerCase())
  const any = lower(audience.any)
  const all = lower(audience.all)
  const none = lower(audience.none)
  if (any && !any.some((t) => has.has(t))) return false
  if (all && !all.every((t) => has.has(t))) return false
  if (none && none.some((t) => has.has(t))) return false
  return true
}

/** The audience source over Linda's contacts table, until the contacts module's lands. */
export class ContactsTableAudience implements AudienceSource {
  constructor(private readonly db: Db) {}

  supports(type: AudienceType): boolean {
    return type === 'all' || type === 'contacts' || type === 'list' || type === 'tags'
  }

  async *pages(audience: Audience, pageSize: number): AsyncIterable<AudiencePage> {
    switch (audience.type) {
      case 'all':
      case 'tags': {
        let after: string | undefined
        for (;;) {
          const rows = await repo.contactsAfter(this.db, after, pageSize)
          if (rows.length === 0) return
          after = rows[rows.length - 1]!.id
          const entries =
            audience.type === 'all'
              ? rows.map(toEntry)
              : rows.filter((r) => tagsMatch(fromJson(r.tags) ?? [], audience)).map(toEntry)
          yield { entries, missing: 0 }
          if (rows.length < pageSize) return
        }
      }
      case 'contacts': {
        for (let i = 0; i < audience.contactIds.length; i += pageSize) {
          const ids = audience.contactIds.slice(i, i + pageSize)
          const found = new Map(
            (await repo.contactsById(this.db, ids)).map((r) => [r.id, r] as const),
          )
          const entries: AudienceEntry[] = []
          let missing = 0
          for (const id of ids) {
            const row = found.get(id)
            if (row) entries.push(toEntry(row))
            else missing++
          }
          yield { entries, missing }
        }
        return
      }
      case 'list': {
        for (let i = 0; i < audience.recipients.length; i += pageSize) {
          const chunk = audience.recipients.slice(i, i + pageSize)
          const known = new Map(
            (
              await repo.contactsByPhone(
                this.db,
                chunk.map((r) => r.phone.trim()),
              )
            ).map((r) => [r.phone, r] as const),
          )
          yield {
            entries: chunk.map((r) => {
              const row = known.get(r.phone.trim())
              const base: AudienceEntry = row
                ? toEntry(row)
                : {
                    contactId: null,
                    phone: r.phone,
                    typed: true,
                    name: null,
                    language: null,
                    attributes: {},
                    optedOut: false,
                  }
              return { ...base, typed: true, ...(r.vars ? { vars: r.vars } : {}) }
            }),
            missing: 0,
          }
        }
        return
      }
      default:
        throw new Error(`the contacts table cannot resolve a ${audience.type} audience`)
    }
  }
}

/**
 * Every kind of audience: filters and segments through the contacts module (its filter
 * language and indexes), the others read as the contacts table has them.
 */
export class ContactsAudience implements AudienceSource {
  private readonly table: ContactsTableAudience

  constructor(
    private readonly db: Db,
    private readonly contacts: Pick<ContactsService, 'resolveAudience'>,
  ) {
    this.table = new ContactsTableAudience(db)
  }

  supports(type: AudienceType): boolean {
    return type === 'filter' || type === 'segment' || this.table.supports(type)
  }

  async *pages(audience: Audience, pageSize: number): AsyncIterable<AudiencePage> {
    if (audience.type !== 'filter' && audience.type !== 'segment') {
      yield* this.table.pages(audience, pageSize)
      return
    }
    const target =
      audience.type === 'filter'
        ? { filter: audience.filter as FilterInput }
        : { segmentId: audience.segmentId }
    // Opted-out contacts come too: the builder counts them as excluded, with the reason.
    for await (const ids of this.contacts.resolveAudience(target, {
      pageSize,
      includeOptedOut: true,
    })) {
      const rows = new Map((await repo.contactsById(this.db, ids)).map((r) => [r.id, r] as const))
      const entries: AudienceEntry[] = []
      for (const id of ids) {
        const row = rows.get(id)
        if (row) entries.push(toEntry(row))
      }
      yield { entries, missing: 0 }
    }
  }
}
