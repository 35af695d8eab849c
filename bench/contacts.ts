// Contacts at scale on SQLite: a million contacts (generated with batched inserts through the
// real schema, triggers and all), then the time of a typical filter (two tags and an
// attribute range), of a ranked full-text search, and of counting segments, through the
// service the API uses. Alone: npm run bench -- --only contacts [--quick]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContactsService } from '../src/contacts/index.js'
import { migrateToLatest, openDb } from '../src/platform/db/index.js'
import { newId } from '../src/platform/ids.js'
import { createLogger } from '../src/platform/logging.js'

export interface ContactsBenchResult {
  contacts: number
  generateSeconds: number
  filterP50Ms: number
  filterP95Ms: number
  filterCountP95Ms: number
  searchP50Ms: number
  searchP95Ms: number
  segmentCountP50Ms: number
  segmentCountMaxMs: number
  /** The same, in CPU time of the process (what the queries cost without the waiting). */
  cpu: {
    filterP95Ms: number
    filterCountP95Ms: number
    searchP95Ms: number
    segmentCountP95Ms: number
  }
  dbMb: number
}

const firstNames = Array.from({ length: 200 }, (_, i) => `${syllables(i, 2)}`)
const lastNames = Array.from({ length: 1000 }, (_, i) => `${syllables(i * 7 + 3, 3)}`)
const cities = Array.from({ length: 50 }, (_, i) => `City${syllables(i * 13, 2)}`)
const tags = Array.from({ length: 20 }, (_, i) => `tag${i}`)
const words = ['called', 'wants', 'invoice', 'delivery', 'refund', 'visit', 'prefers', 'morning']

/** A pronounceable word from a number: names that tokenise like names. */
function syllables(n: number, count: number): string {
  const c = 'bdfgklmnprstvz'
  const v = 'aeiou'
  let out = ''
  for (let i = 0; i < count; i++) {
    out += c[(n + i * 5) % c.length]! + v[Math.floor(n / (i + 1)) % v.length]!
    n = Math.floor(n / 3) + i
  }
  return out[0]!.toUpperCase() + out.slice(1)
}

/** A deterministic pseudo-random stream (the same data every run). */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

/** CPU time of each measured call: on a shared machine it tells the work from the waiting. */
const cpuTimes = new Map<string, number[]>()

async function timed<T>(label: string, fn: () => Promise<T>): Promise<number> {
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  await fn()
  const wall = Number(process.hrtime.bigint() - start) / 1e6
  const used = process.cpuUsage(cpu)
  cpuTimes.set(label, [...(cpuTimes.get(label) ?? []), (used.user + used.system) / 1000])
  return wall
}

function cpuP95(label: string): number {
  return round(
    percentile(
      [...(cpuTimes.get(label) ?? [])].sort((x, y) => x - y),
      95,
    ),
  )
}

const round = (ms: number) => Math.round(ms * 10) / 10

export async function benchContacts(options: {
  contacts: number
  log: (line: string) => void
  /** Keep the database in this directory (default: a temporary one, removed after). */
  keepIn?: string
}): Promise<ContactsBenchResult> {
  const dir = options.keepIn ?? mkdtempSync(join(tmpdir(), 'linda-bench-contacts-'))
  const handle = await openDb({ sqlitePath: join(dir, 'linda.db') })
  try {
    await migrateToLatest(handle.db)
    const sqlite = handle.sqlite!
    const rand = random(7)
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!

    options.log(`contacts: generating ${options.contacts.toLocaleString('en')}…`)
    const started = Date.now()
    const insertContact = sqlite.prepare(
      `insert into contacts (id, seq, phone, name, language, tags, attributes, notes, last_inbound_at, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    const insertTag = sqlite.prepare('insert into contact_tags (tag, contact_id) values (?, ?)')
    const insertValue = sqlite.prepare(
      'insert into contact_attribute_values (contact_id, key, num, txt) values (?, ?, ?, ?)',
    )
    const now = new Date().toISOString()
    sqlite
      .prepare(
        `insert into contact_attributes (key, type, label, created_at, updated_at) values
         ('city', 'text', null, ?, ?), ('score', 'number', null, ?, ?), ('joined', 'date', null, ?, ?)`,
      )
      .run(now, now, now, now, now, now)
    const batch = sqlite.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = newId()
        // Tags: most contacts have one to three of twenty, some far more common than others.
        const mine = new Set<string>()
        const n = Math.floor(rand() * 4)
        for (let k = 0; k < n; k++) mine.add(tags[Math.floor(rand() * rand() * tags.length)]!)
        const city = pick(cities)
        const score = Math.floor(rand() * 1000)
        const joined = `202${Math.floor(rand() * 6)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`
        const attributes = { city, score, joined }
        const notes = rand() < 0.1 ? `${pick(words)} ${pick(words)} ${pick(lastNames)}` : null
        const inbound =
          rand() < 0.6 ? new Date(Date.UTC(2025, 0, 1) + rand() * 4e10).toISOString() : null
        insertContact.run(
          id,
          i + 1,
          `+1555${String(i).padStart(7, '0')}`,
          `${pick(firstNames)} ${pick(lastNames)}`,
          pick(['en', 'ar', 'es', 'fr', 'pt']),
          JSON.stringify([...mine]),
          JSON.stringify(attributes),
          notes,
          inbound,
          now,
          now,
        )
        for (const tag of mine) insertTag.run(tag, id)
        insertValue.run(id, 'city', null, city)
        insertValue.run(id, 'score', score, null)
        insertValue.run(id, 'joined', null, joined)
      }
    })
    for (let i = 0; i < options.contacts; i += 10_000) {
      batch(i, Math.min(options.contacts, i + 10_000))
      if (i % 200_000 === 0 && i > 0) options.log(`contacts: ${i.toLocaleString('en')}…`)
    }
    sqlite.exec('analyze')
    sqlite.pragma('wal_checkpoint(TRUNCATE)')
    const generateSeconds = Math.round((Date.now() - started) / 100) / 10

    const contacts = new ContactsService({
      db: handle.db,
      dialect: 'sqlite',
      logger: createLogger('silent'),
    })

    // The typical filter: two tags and an attribute range, first page and count.
    const typical = () => {
      const a = pick(tags.slice(0, 10))
      let b = pick(tags.slice(0, 10))
      while (b === a) b = pick(tags.slice(0, 10))
      const low = Math.floor(rand() * 800)
      return `tag:${a} tag:${b} score:${low}..${low + 200}`
    }
    const filterTimes: number[] = []
    const countTimes: number[] = []
    for (let i = 0; i < 220; i++) {
      const filter = typical()
      const ms = await timed(i >= 20 ? 'filter' : 'warm', () =>
        contacts.list({ filter, limit: 50 }),
      )
      if (i >= 20) filterTimes.push(ms)
      if (i % 4 === 0) countTimes.push(await timed('count', () => contacts.count({ filter })))
    }

    // Full-text search, ranked: names, a name with its surname, number prefixes, cities,
    // words of notes.
    const searches = () => {
      const kind = Math.floor(rand() * 5)
      if (kind === 0) return pick(firstNames)
      if (kind === 1) return `${pick(firstNames)} ${pick(lastNames)}`
      if (kind === 2)
        return `1555${String(Math.floor(rand() * options.contacts))
          .padStart(7, '0')
          .slice(0, 5)}`
      if (kind === 3) return pick(cities)
      return `${pick(words)} ${pick(lastNames).slice(0, 3)}`
    }
    const searchTimes: number[] = []
    for (let i = 0; i < 220; i++) {
      const q = searches()
      const ms = await timed(i >= 20 ? 'search' : 'warm', () => contacts.list({ q, limit: 50 }))
      if (i >= 20) searchTimes.push(ms)
    }

    // Segments: saved typical filters, counted live.
    const segmentTimes: number[] = []
    for (let i = 0; i < 20; i++) {
      const segment = await contacts.createSegment({ name: `segment ${i}`, filter: typical() })
      segmentTimes.push(
        await timed('segment', () =>
          contacts.countAudience({ segmentId: segment.id }, { includeOptedOut: true }),
        ),
      )
    }

    filterTimes.sort((x, y) => x - y)
    countTimes.sort((x, y) => x - y)
    searchTimes.sort((x, y) => x - y)
    segmentTimes.sort((x, y) => x - y)
    const pageCount = sqlite.pragma('page_count', { simple: true }) as number
    const pageSize = sqlite.pragma('page_size', { simple: true }) as number
    return {
      contacts: options.contacts,
      generateSeconds,
      filterP50Ms: round(percentile(filterTimes, 50)),
      filterP95Ms: round(percentile(filterTimes, 95)),
      filterCountP95Ms: round(percentile(countTimes, 95)),
      searchP50Ms: round(percentile(searchTimes, 50)),
      searchP95Ms: round(percentile(searchTimes, 95)),
      segmentCountP50Ms: round(percentile(segmentTimes, 50)),
      segmentCountMaxMs: round(segmentTimes.at(-1) ?? 0),
      cpu: {
        filterP95Ms: cpuP95('filter'),
        filterCountP95Ms: cpuP95('count'),
        searchP95Ms: cpuP95('search'),
        segmentCountP95Ms: cpuP95('segment'),
      },
      dbMb: Math.round((pageCount * pageSize) / 1e6),
    }
  } finally {
    await handle.close()
    if (!options.keepIn) rmSync(dir, { recursive: true, force: true })
  }
}
