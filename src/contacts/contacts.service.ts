import type { CountryCode } from 'libphonenumber-js/min'
import { transaction, type Db, type Dialect, type Executor } from '../platform/db/index.js'
import { AppError, type FieldError } from '../platform/errors.js'
import { newId } from '../platform/ids.js'
import type { Logger } from '../platform/logging.js'
import type { NumberCheck } from '../transports/index.js'
import {
  ATTRIBUTE_LIMITS,
  attributeValueProblem,
  inferAttributeType,
  type Attribute,
  type AttributeType,
  type AttributeValues,
  type CreateAttributeInput,
} from './attributes.schemas.js'
import * as repo from './contacts.repo.js'
import type {
  Contact,
  CreateContactInput,
  ListContactsQuery,
  UpdateContactInput,
} from './contacts.schemas.js'
import * as filters from './filter.repo.js'
import { parseFilterQuery } from './filter.query.js'
import {
  checkFilter,
  searchWords,
  tagInput,
  type CheckedFilter,
  type FilterNode,
} from './filter.schemas.js'
import { normalizePhone } from './phone.js'
import * as segmentsRepo from './segments.repo.js'
import type { CreateSegmentInput, Segment, UpdateSegmentInput } from './segments.schemas.js'

export interface ContactsDeps {
  db: Db
  dialect: Dialect
  logger: Logger
  /** An account's default country (to read numbers without a country code); throws when there is no such account. */
  defaultCountryOf?(accountId: string): Promise<CountryCode | null>
  /**
   * How to ask an account's transport which numbers are on WhatsApp: undefined when its
   * transport cannot tell. Throws when the account is not connected.
   */
  numberChecker?(
    accountId: string,
  ): ((phones: readonly string[]) => Promise<NumberCheck[]>) | undefined
}

/** A filter as the API and other modules give it: the query-string form or the JSON tree. */
export type FilterInput = string | FilterNode

/** Whom an audience is: the contacts a filter selects, or a saved segment's. */
export type AudienceTarget = { filter: FilterInput } | { segmentId: string }

export interface AudienceOptions {
  /** Ids per page; default 1000. */
  pageSize?: number
  /** Opted-out contacts are left out unless this is true. */
  includeOptedOut?: boolean
}

/** A WhatsApp check younger than this is answered from the contact. */
const CHECK_MAX_AGE_MS = 24 * 3600 * 1000
/** Messages deleted per statement when a contact is deleted. */
const DELETE_BATCH = 1000
/** Offsets a ranked search pages through at most. */
const SEARCH_MAX_OFFSET = 10_000

const notFound = (id: string) => new AppError('CONTACT_NOT_FOUND', `No contact has the id ${id}`)

/**
 * Contacts: one per phone number, with tags, typed custom attributes, notes, opt-out and
 * WhatsApp presence; the filter language, full-text search and segments that find them;
 * and the service other modules use to reach an audience.
 */
export class ContactsService {
  constructor(private readonly deps: ContactsDeps) {}

  // ---- contacts ----

  async create(input: CreateContactInput): Promise<Contact> {
    const { db } = this.deps
    const country =
      input.defaultCountry ??
      (input.accountId ? await this.deps.defaultCountryOf?.(input.accountId) : undefined) ??
      undefined
    const phone = normalizePhone(input.phone, 'body.phone', country, { strict: true })
    const attributes = await this.checkAttributes(db, {}, input.attributes ?? {}, 'body.attributes')
    const id = newId()
    await transaction(db, async (trx) => {
      await this.refuseTaken(trx, id, { phone, lid: input.lid ?? null })
      await repo.insertContact(trx, id, {
        phone,
        name: input.name ?? null,
        language: input.language ?? null,
        timezone: input.timezone ?? null,
        notes: input.notes ?? null,
        lid: input.lid ?? null,
        tags: uniqueTags(input.tags ?? []),
        attributes: attributes.values,
      })
      await this.declare(trx, attributes.declare)
      await repo.indexTags(trx, id, uniqueTags(input.tags ?? []))
      await repo.indexAttributes(trx, id, attributes.values, attributes.types)
    }).catch(rethrowTaken(phone, input.lid ?? null))
    return this.get(id)
  }

  async get(id: string): Promise<Contact> {
    const contact = await repo.findContact(this.deps.db, id)
    if (!contact) throw notFound(id)
    return contact
  }

  /** The contact; throws CONTACT_NOT_FOUND. (The name other modules call it by.) */
  getContact(id: string): Promise<Contact> {
    return this.get(id)
  }

  /** The contact with this number (E.164) or this WhatsApp LID, if any. */
  async findByPhoneOrLid(by: { phone?: string; lid?: string }): Promise<Contact | undefined> {
    const { db } = this.deps
    if (by.phone !== undefined) {
      const found = await repo.findContactBy(db, { phone: normalizePhone(by.phone, 'phone') })
      if (found) return found
    }
    if (by.lid !== undefined) return repo.findContactBy(db, { lid: by.lid.replace(/@lid$/, '') })
    return undefined
  }

  async update(id: string, change: UpdateContactInput): Promise<Contact> {
    const { db, dialect } = this.deps
    let phone: string | undefined
    if (change.phone !== undefined) {
      const country =
        change.defaultCountry ??
        (change.accountId ? await this.deps.defaultCountryOf?.(change.accountId) : undefined) ??
        undefined
      phone = normalizePhone(change.phone, 'body.phone', country, { strict: true })
    }
    await transaction(db, async (trx) => {
      const current = await repo.findContactForUpdate(trx, dialect, id)
      if (!current) throw notFound(id)
      await this.refuseTaken(trx, id, { phone, lid: change.lid ?? null })
      const tags = change.tags === undefined ? undefined : uniqueTags(change.tags)
      const attributes =
        change.attributes === undefined
          ? undefined
          : await this.checkAttributes(
              trx,
              current.attributes,
              change.attributes,
              'body.attributes',
            )
      await repo.updateContactRow(trx, id, {
        ...(phone !== undefined ? { phone } : {}),
        ...(change.name !== undefined ? { name: change.name } : {}),
        ...(change.language !== undefined ? { language: change.language } : {}),
        ...(change.timezone !== undefined ? { timezone: change.timezone } : {}),
        ...(change.notes !== undefined ? { notes: change.notes } : {}),
        ...(change.lid !== undefined ? { lid: change.lid } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...(attributes ? { attributes: attributes.values } : {}),
      })
      if (tags !== undefined) await repo.indexTags(trx, id, tags)
      if (attributes) {
        await this.declare(trx, attributes.declare)
        await repo.indexAttributes(trx, id, attributes.values, attributes.types)
      }
    }).catch(rethrowTaken(phone ?? '', change.lid ?? null))
    return this.get(id)
  }

  /**
   * Deletes the contact with its conversations and messages, as Chatwoot does: a deleted
   * contact is gone (to stop writing to someone, opt them out instead). Messages go in
   * batches, so a large history never holds one long transaction.
   */
  async remove(id: string): Promise<void> {
    const { db } = this.deps
    if (!(await repo.findContact(db, id))) throw notFound(id)
    let messages = 0
    for (;;) {
      const deleted = await repo.deleteContactMessagesBatch(db, id, DELETE_BATCH)
      messages += deleted
      if (deleted < DELETE_BATCH) break
    }
    await transaction(db, (trx) => repo.deleteContactRow(trx, id))
    this.deps.logger.info({ contactId: id, messages }, 'contact deleted with its history')
  }

  /**
   * Merges contacts `from` into contact `id`: their conversations and messages move to it
   * (history kept), tags are joined, attributes and fields it lacks are taken from them,
   * notes are appended, and they are deleted. Opted out if any of them was.
   */
  async merge(id: string, from: string[]): Promise<Contact> {
    const { db, dialect } = this.deps
    const others = [...new Set(from)]
    if (others.includes(id)) {
      throw new AppError('VALIDATION_FAILED', 'A contact cannot be merged into itself', [
        { path: 'body.from', message: 'must not name the contact merged into' },
      ])
    }
    await transaction(db, async (trx) => {
      const into = await repo.findContactForUpdate(trx, dialect, id)
      if (!into) throw notFound(id)
      const sources: Contact[] = []
      for (const [i, otherId] of others.entries()) {
        const other = await repo.findContactForUpdate(trx, dialect, otherId)
        if (!other) {
          throw new AppError('CONTACT_NOT_FOUND', `No contact has the id ${otherId}`, [
            { path: `body.from.${i}`, message: 'is not a contact' },
          ])
        }
        sources.push(other)
      }
      const merged = mergeContacts(into, sources)
      for (const other of sources) {
        await repo.moveHistory(trx, other.id, id)
        await repo.deleteContactRow(trx, other.id)
      }
      const types = await this.attributeTypes(trx)
      await repo.updateContactRow(trx, id, merged)
      await repo.indexTags(trx, id, merged.tags)
      await repo.indexAttributes(trx, id, merged.attributes, types)
    })
    this.deps.logger.info({ contactId: id, merged: others }, 'contacts merged')
    return this.get(id)
  }

  /** A page of contacts: ranked by a full-text search when `q` is given, else in id order. */
  async list(query: ListContactsQuery): Promise<{ items: Contact[]; nextCursor: string | null }> {
    const { db, dialect } = this.deps
    const filter = await this.filterOf(query)
    if (query.q !== undefined) {
      const words = this.words(query.q)
      const offset = decodeCursor(query.cursor, 'offset')
      const rows = await filters.searchContacts(db, dialect, words, filter, {
        limit: query.limit + 1,
        offset,
      })
      const next = offset + query.limit
      return {
        items: rows.slice(0, query.limit).map(repo.toContact),
        nextCursor:
          rows.length > query.limit && next <= SEARCH_MAX_OFFSET
            ? encodeCursor({ offset: next })
            : null,
      }
    }
    const after = decodeCursor(query.cursor, 'after')
    const rows = await filters.listFiltered(db, dialect, filter, {
      limit: query.limit + 1,
      ...(after ? { after } : {}),
    })
    const items = rows.slice(0, query.limit).map(repo.toContact)
    const last = items[items.length - 1]
    return {
      items,
      nextCursor: rows.length > query.limit && last ? encodeCursor({ after: last.id }) : null,
    }
  }

  /** How many contacts a search, a filter and a segment select together. */
  async count(query: Pick<ListContactsQuery, 'q' | 'filter' | 'segmentId'>): Promise<number> {
    const { db, dialect } = this.deps
    const filter = await this.filterOf(query)
    if (query.q !== undefined) return filters.countSearch(db, dialect, this.words(query.q), filter)
    return filters.countFiltered(db, dialect, filter)
  }

  // ---- opt-out, tags, attributes: what rules and agents change ----

  /** Opts the contact out (or, with `optedOut: false`, back in), recording when and who asked. */
  async setOptOut(
    contactId: string,
    options: { source: string; optedOut?: boolean },
  ): Promise<Contact> {
    const optedOut = options.optedOut ?? true
    const changed = await repo.updateContactRow(this.deps.db, contactId, {
      opted_out: optedOut ? 1 : 0,
      opted_out_at: new Date().toISOString(),
      opted_out_source: options.source,
    })
    if (!changed) throw notFound(contactId)
    return this.get(contactId)
  }

  async isOptedOut(contactId: string): Promise<boolean> {
    return (await this.get(contactId)).optedOut
  }

  async addTags(contactId: string, tags: string[]): Promise<Contact> {
    return this.changeTags(contactId, (current) => uniqueTags([...current, ...checkTags(tags)]))
  }

  async removeTags(contactId: string, tags: string[]): Promise<Contact> {
    const gone = new Set(checkTags(tags))
    return this.changeTags(contactId, (current) => current.filter((t) => !gone.has(t)))
  }

  /** Sets attributes (null removes one), validated against their declared types. */
  async setAttributes(contactId: string, values: AttributeValues): Promise<Contact> {
    return this.update(contactId, { attributes: values })
  }

  /**
   * Asks the account's transport whether the contact's number is on WhatsApp, unless it
   * was asked in the last 24 hours (`force` asks anyway); keeps the answer and its date,
   * and the LID the transport learnt.
   */
  async checkWhatsApp(id: string, accountId: string, force = false): Promise<Contact> {
    const contact = await this.get(id)
    const checkedAt = contact.onWhatsAppCheckedAt ? Date.parse(contact.onWhatsAppCheckedAt) : 0
    if (!force && Date.now() - checkedAt < CHECK_MAX_AGE_MS) return contact
    const check = this.deps.numberChecker?.(accountId)
    if (!check) {
      throw new AppError(
        'WHATSAPP_CHECK_NOT_SUPPORTED',
        `Account ${accountId}'s transport cannot tell whether a number is on WhatsApp`,
        [{ path: 'body.accountId', message: 'its transport cannot check numbers' }],
      )
    }
    const [answer] = await check([contact.phone])
    await repo.updateContactRow(this.deps.db, id, {
      on_whatsapp: answer?.onWhatsApp ? 1 : 0,
      whatsapp_checked_at: new Date().toISOString(),
      ...(answer?.lid && !contact.lid ? { lid: answer.lid } : {}),
    })
    return this.get(id)
  }

  // ---- audiences: what campaigns and schedules use ----

  /** The ids of an audience's contacts, a page at a time, in id order. */
  async *resolveAudience(
    target: AudienceTarget,
    options: AudienceOptions = {},
  ): AsyncGenerator<string[], void, undefined> {
    const { db, dialect } = this.deps
    const filter = withOptOut(await this.audienceFilter(target), options.includeOptedOut)
    const limit = Math.max(1, Math.min(options.pageSize ?? 1000, 10_000))
    let after: string | undefined
    for (;;) {
      const ids = await filters.listFilteredIds(db, dialect, filter, {
        limit,
        ...(after ? { after } : {}),
      })
      if (ids.length > 0) yield ids
      if (ids.length < limit) return
      after = ids[ids.length - 1]
    }
  }

  async countAudience(
    target: AudienceTarget,
    options: Pick<AudienceOptions, 'includeOptedOut'> = {},
  ): Promise<number> {
    const filter = withOptOut(await this.audienceFilter(target), options.includeOptedOut)
    return filters.countFiltered(this.deps.db, this.deps.dialect, filter)
  }

  // ---- attribute declarations ----

  listAttributes(): Promise<Attribute[]> {
    return repo.listAttributes(this.deps.db)
  }

  /** Declares an attribute; declaring it again with the same type changes nothing. */
  async declareAttribute(
    input: CreateAttributeInput,
  ): Promise<{ attribute: Attribute; created: boolean }> {
    const { db } = this.deps
    const existing = (await repo.listAttributes(db)).find((a) => a.key === input.key)
    if (existing) {
      if (existing.type !== input.type) {
        throw new AppError(
          'CONTACT_ATTRIBUTE_TAKEN',
          `The attribute ${input.key} is declared as ${existing.type}; delete it to declare it again`,
          [{ path: 'body.type', message: `the attribute is declared as ${existing.type}` }],
        )
      }
      return { attribute: existing, created: false }
    }
    await this.refuseTooMany(db, 1, 'body.key')
    await repo.insertAttributes(db, [input])
    return { attribute: await this.attribute(input.key), created: true }
  }

  async attribute(key: string): Promise<Attribute> {
    const found = (await repo.listAttributes(this.deps.db)).find((a) => a.key === key)
    if (!found) throw new AppError('CONTACT_ATTRIBUTE_NOT_FOUND', `No contact attribute ${key}`)
    return found
  }

  async updateAttribute(key: string, label: string | null): Promise<Attribute> {
    const updated = await repo.updateAttributeLabel(this.deps.db, key, label)
    if (!updated) throw new AppError('CONTACT_ATTRIBUTE_NOT_FOUND', `No contact attribute ${key}`)
    return updated
  }

  /** Deletes an attribute and removes its value from every contact (in batches). */
  async deleteAttribute(key: string): Promise<void> {
    const { db, dialect } = this.deps
    await this.attribute(key)
    let contacts = 0
    for (;;) {
      const changed = await transaction(db, (trx) =>
        repo.removeAttributeValuesBatch(trx, dialect, key, DELETE_BATCH),
      )
      contacts += changed
      if (changed < DELETE_BATCH) break
    }
    await repo.deleteAttribute(db, key)
    this.deps.logger.info({ key, contacts }, 'contact attribute deleted')
  }

  // ---- segments ----

  async createSegment(input: CreateSegmentInput): Promise<Segment> {
    const saved = await this.savedFilter(input.filter)
    return segmentsRepo.insertSegment(this.deps.db, { id: newId(), name: input.name, ...saved })
  }

  async segment(id: string, options: { count?: boolean } = {}): Promise<Segment> {
    const found = await segmentsRepo.findSegment(this.deps.db, id)
    if (!found) throw new AppError('SEGMENT_NOT_FOUND', `No segment has the id ${id}`)
    return options.count
      ? { ...found, count: await this.countAudience({ segmentId: id }, { includeOptedOut: true }) }
      : found
  }

  async listSegments(page: {
    limit: number
    after?: string
    counts?: boolean
  }): Promise<Segment[]> {
    const rows = await segmentsRepo.listSegments(this.deps.db, page)
    if (!page.counts) return rows
    const counted: Segment[] = []
    for (const s of rows) {
      counted.push({
        ...s,
        count: await this.countAudience({ segmentId: s.id }, { includeOptedOut: true }),
      })
    }
    return counted
  }

  async updateSegment(id: string, change: UpdateSegmentInput): Promise<Segment> {
    const saved = change.filter === undefined ? {} : await this.savedFilter(change.filter)
    const updated = await segmentsRepo.updateSegment(this.deps.db, id, {
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...saved,
    })
    if (!updated) throw new AppError('SEGMENT_NOT_FOUND', `No segment has the id ${id}`)
    return updated
  }

  async deleteSegment(id: string): Promise<void> {
    if (!(await segmentsRepo.deleteSegment(this.deps.db, id))) {
      throw new AppError('SEGMENT_NOT_FOUND', `No segment has the id ${id}`)
    }
  }

  // ---- helpers ----

  private async attributeTypes(db: Executor): Promise<Map<string, AttributeType>> {
    return new Map((await repo.listAttributes(db)).map((a) => [a.key, a.type]))
  }

  /** A filter as given (either form), checked against the declared attributes. */
  async checkFilterInput(
    input: FilterInput | undefined,
    path: string,
  ): Promise<CheckedFilter | null> {
    if (input === undefined) return null
    let tree: unknown
    if (typeof input === 'string') {
      const text = input.trim()
      if (text.startsWith('{')) {
        try {
          tree = JSON.parse(text)
        } catch {
          throw new AppError('VALIDATION_FAILED', 'The filter is not valid JSON', [
            { path, message: 'starts with { but is not valid JSON' },
          ])
        }
      } else {
        tree = parseFilterQuery(text, path)
        if (tree === null) return null
      }
    } else tree = input
    return checkFilter(tree, await this.attributeTypes(this.deps.db), path)
  }

  private async filterOf(
    query: Pick<ListContactsQuery, 'filter' | 'segmentId'>,
  ): Promise<CheckedFilter | null> {
    const given = await this.checkFilterInput(query.filter, 'query.filter')
    if (query.segmentId === undefined) return given
    const segment = await this.segment(query.segmentId)
    const saved = await this.checkFilterInput(
      (segment.filter as FilterNode | null) ?? undefined,
      'segment.filter',
    )
    return and(given, saved)
  }

  private async audienceFilter(target: AudienceTarget): Promise<CheckedFilter | null> {
    if ('filter' in target) return this.checkFilterInput(target.filter, 'filter')
    const segment = await this.segment(target.segmentId)
    return this.checkFilterInput(
      (segment.filter as FilterNode | null) ?? undefined,
      'segment.filter',
    )
  }

  /** The tree a segment keeps (and the query string it was written in). */
  private async savedFilter(
    input: string | Record<string, unknown>,
  ): Promise<{ query: string | null; filter: FilterNode | null }> {
    await this.checkFilterInput(input as FilterInput, 'body.filter')
    if (typeof input !== 'string') return { query: null, filter: input as FilterNode }
    const text = input.trim()
    if (text.startsWith('{')) return { query: null, filter: JSON.parse(text) as FilterNode }
    return { query: text, filter: parseFilterQuery(text, 'body.filter') }
  }

  private words(q: string): string[] {
    const words = searchWords(q)
    if (words.length === 0) {
      throw new AppError('VALIDATION_FAILED', 'The search has no words', [
        { path: 'query.q', message: 'must contain a letter or digit' },
      ])
    }
    return words
  }

  /**
   * Checks attribute values against their declarations (undeclared keys are declared by
   * their first value's type); returns the contact's attributes after the change.
   */
  private async checkAttributes(
    db: Executor,
    current: Contact['attributes'],
    change: AttributeValues,
    path: string,
  ): Promise<{
    values: Record<string, string | number | boolean>
    types: Map<string, AttributeType>
    declare: Array<{ key: string; type: AttributeType; label: null }>
  }> {
    const types = await this.attributeTypes(db)
    const errors: FieldError[] = []
    const declare: Array<{ key: string; type: AttributeType; label: null }> = []
    const values = { ...current }
    for (const [key, value] of Object.entries(change)) {
      const at = `${path}.${key}`
      if (value === null) {
        delete values[key]
        continue
      }
      let type = types.get(key)
      if (!type) {
        const keyProblem = attributeKeyProblem(key)
        if (keyProblem) {
          errors.push({ path: at, message: keyProblem })
          continue
        }
        type = inferAttributeType(value)
        types.set(key, type)
        declare.push({ key, type, label: null })
      }
      const problem = attributeValueProblem(type, value)
      if (problem) errors.push({ path: at, message: problem })
      else values[key] = value
    }
    if (Object.keys(values).length > ATTRIBUTE_LIMITS.perContact) {
      errors.push({
        path,
        message: `a contact has at most ${ATTRIBUTE_LIMITS.perContact} attributes`,
      })
    }
    if (errors.length > 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        errors.map((e) => `${e.path}: ${e.message}`).join('; '),
        errors,
      )
    }
    if (declare.length > 0) await this.refuseTooMany(db, declare.length, path)
    return { values, types, declare }
  }

  private async declare(
    db: Executor,
    declarations: Array<{ key: string; type: AttributeType; label: null }>,
  ): Promise<void> {
    await repo.insertAttributes(db, declarations)
  }

  private async refuseTooMany(db: Executor, adding: number, path: string): Promise<void> {
    const count = (await repo.listAttributes(db)).length
    if (count + adding > ATTRIBUTE_LIMITS.declared) {
      throw new AppError(
        'VALIDATION_FAILED',
        `At most ${ATTRIBUTE_LIMITS.declared} contact attributes can be declared`,
        [{ path, message: `would declare more than ${ATTRIBUTE_LIMITS.declared} attributes` }],
      )
    }
  }

  private async refuseTaken(
    db: Executor,
    id: string,
    by: { phone?: string | undefined; lid: string | null },
  ): Promise<void> {
    if (by.phone !== undefined) {
      const other = await repo.findContactBy(db, { phone: by.phone })
      if (other && other.id !== id) throw phoneTaken(by.phone, other.id)
    }
    if (by.lid) {
      const other = await repo.findContactBy(db, { lid: by.lid })
      if (other && other.id !== id) throw lidTaken(by.lid, other.id)
    }
  }

  private async changeTags(
    contactId: string,
    change: (current: string[]) => string[],
  ): Promise<Contact> {
    const { db, dialect } = this.deps
    await transaction(db, async (trx) => {
      const current = await repo.findContactForUpdate(trx, dialect, contactId)
      if (!current) throw notFound(contactId)
      const tags = change(current.tags)
      if (tags.length > 50) {
        throw new AppError('VALIDATION_FAILED', 'A contact has at most 50 tags', [
          { path: 'tags', message: 'a contact has at most 50 tags' },
        ])
      }
      await repo.updateContactRow(trx, contactId, { tags })
      await repo.indexTags(trx, contactId, tags)
    })
    return this.get(contactId)
  }
}

function uniqueTags(tags: string[]): string[] {
  return [...new Set(tags)]
}

function checkTags(tags: string[]): string[] {
  return tags.map((tag, i) => {
    const parsed = tagInput.safeParse(tag)
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', `The tag "${tag}" is not valid`, [
        { path: `tags.${i}`, message: parsed.error.issues[0]?.message ?? 'is not a valid tag' },
      ])
    }
    return parsed.data
  })
}

function attributeKeyProblem(key: string): string | undefined {
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(key)) {
    return 'an attribute key starts with a lower-case letter and holds at most 40 lower-case letters, digits or _'
  }
  return undefined
}

function phoneTaken(phone: string, id: string): AppError {
  return new AppError('CONTACT_PHONE_TAKEN', `The contact ${id} already has the number ${phone}`, [
    { path: 'body.phone', message: `belongs to contact ${id}` },
  ])
}

function lidTaken(lid: string, id: string): AppError {
  return new AppError('CONTACT_LID_TAKEN', `The contact ${id} already has the LID ${lid}`, [
    { path: 'body.lid', message: `belongs to contact ${id}` },
  ])
}

/** A unique violation from a race the checks before it lost maps to the same 409. */
function rethrowTaken(phone: string, lid: string | null) {
  return (err: unknown): never => {
    const code = (err as { code?: unknown }).code
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505') {
      const message = String((err as Error).message)
      if (lid && /lid/.test(message)) throw lidTaken(lid, 'another')
      throw phoneTaken(phone, 'another')
    }
    throw err
  }
}

function and(a: CheckedFilter | null, b: CheckedFilter | null): CheckedFilter | null {
  if (!a) return b
  if (!b) return a
  return { kind: 'and', children: [a, b] }
}

function withOptOut(filter: CheckedFilter | null, includeOptedOut = false): CheckedFilter | null {
  if (includeOptedOut) return filter
  return and(filter, {
    kind: 'column',
    column: 'opted_out',
    type: 'boolean',
    op: 'eq',
    values: [0],
  })
}

function earliest(values: Array<string | null>): string | null {
  return values.filter((v): v is string => v !== null).sort()[0] ?? null
}

function latest(values: Array<string | null>): string | null {
  return (
    values
      .filter((v): v is string => v !== null)
      .sort()
      .at(-1) ?? null
  )
}

/** What contact `into` looks like with `others` merged into it. */
function mergeContacts(into: Contact, others: Contact[]) {
  const all = [into, ...others]
  const first = <K extends keyof Contact>(key: K) => all.find((c) => c[key] !== null)?.[key] ?? null
  const attributes = { ...into.attributes }
  for (const other of others) {
    for (const [key, value] of Object.entries(other.attributes)) {
      if (!(key in attributes)) attributes[key] = value
    }
  }
  const optedOut = all.find((c) => c.optedOut)
  const checked = all.find((c) => c.onWhatsApp !== null)
  const notes = all.map((c) => c.notes).filter((n): n is string => n !== null && n !== '')
  return {
    name: first('name'),
    language: first('language'),
    timezone: first('timezone'),
    lid: first('lid'),
    notes: notes.length > 0 ? notes.join('\n\n').slice(0, 10_000) : null,
    tags: uniqueTags(all.flatMap((c) => c.tags)).slice(0, 50),
    attributes,
    opted_out: optedOut ? 1 : 0,
    opted_out_at: optedOut?.optedOutAt ?? into.optedOutAt,
    opted_out_source: optedOut?.optedOutSource ?? into.optedOutSource,
    first_inbound_at: earliest(all.map((c) => c.firstInboundAt)),
    last_inbound_at: latest(all.map((c) => c.lastInboundAt)),
    first_outbound_at: earliest(all.map((c) => c.firstOutboundAt)),
    last_outbound_at: latest(all.map((c) => c.lastOutboundAt)),
    on_whatsapp: checked ? (checked.onWhatsApp ? 1 : 0) : null,
    whatsapp_checked_at: checked?.onWhatsAppCheckedAt ?? null,
  }
}

type CursorKind = 'after' | 'offset'

function encodeCursor(position: { after: string } | { offset: number }): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url')
}

function badCursor(): AppError {
  return new AppError('VALIDATION_FAILED', 'The cursor is not valid', [
    { path: 'query.cursor', message: 'not a cursor returned by this API for this query' },
  ])
}

function decodeCursor(cursor: string | undefined, kind: 'after'): string | undefined
function decodeCursor(cursor: string | undefined, kind: 'offset'): number
function decodeCursor(cursor: string | undefined, kind: CursorKind): string | number | undefined {
  if (cursor === undefined) return kind === 'offset' ? 0 : undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw badCursor()
  }
  const value = (parsed as Record<string, unknown> | null)?.[kind]
  if (kind === 'after' && typeof value === 'string' && /^[0-9a-f-]{36}$/.test(value)) return value
  if (
    kind === 'offset' &&
    Number.isInteger(value) &&
    (value as number) >= 0 &&
    (value as number) <= SEARCH_MAX_OFFSET
  )
    return value as number
  throw badCursor()
}
