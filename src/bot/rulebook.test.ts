import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrateToLatest, openDb, type DbHandle } from '../platform/db/index.js'
import { newId } from '../platform/ids.js'
import * as botRepo from './bot.repo.js'
import { prepareText } from './matcher.js'
import { Rulebook } from './rulebook.js'
import * as rulesRepo from './rules.repo.js'
import type { CreateRuleInput } from './rules.schemas.js'

const rule = (name: string, value: string, priority = 0): CreateRuleInput => ({
  name,
  accountId: null,
  match: { type: 'keyword', value },
  conditions: {},
  actions: [{ type: 'reply', text: name }],
  priority,
  enabled: true,
  cooldownSeconds: 0,
})

describe(Rulebook.name, () => {
  let dir: string
  let handle: DbHandle

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'linda-rulebook-'))
    handle = await openDb({ sqlitePath: join(dir, 'linda.db') })
    await migrateToLatest(handle.db)
  })

  afterEach(async () => {
    await handle.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const names = (book: Awaited<ReturnType<Rulebook['current']>>, text: string) =>
    [...book.rulesFor('acc').matching(prepareText(text))].map((r) => r.name)

  it('keeps its snapshot until the version moves, then reads the rules again', async () => {
    const book = new Rulebook({ db: handle.db, logger: pino({ level: 'silent' }), checkEveryMs: 0 })
    await rulesRepo.insertRule(handle.db, newId(), rule('a', 'apple'))
    await botRepo.bumpVersion(handle.db)
    expect(names(await book.current(), 'apple pie')).toEqual(['a'])
    // Written without bumping the version: not seen.
    await rulesRepo.insertRule(handle.db, newId(), rule('b', 'apple', 5))
    expect(names(await book.current(), 'apple pie')).toEqual(['a'])
    // Another process bumps the version: seen at the next check.
    await botRepo.bumpVersion(handle.db)
    expect(names(await book.current(), 'apple pie')).toEqual(['b', 'a'])
  })

  it('sees a write in this process at once, even one made while it was loading', async () => {
    const book = new Rulebook({ db: handle.db, logger: pino({ level: 'silent' }) })
    const loading = book.current()
    await rulesRepo.insertRule(handle.db, newId(), rule('c', 'cherry'))
    await botRepo.bumpVersion(handle.db)
    book.invalidate()
    await loading
    expect(names(await book.current(), 'cherry')).toEqual(['c'])
  })

  it('skips a stored regex rule that is not safe, keeping the others', async () => {
    const book = new Rulebook({ db: handle.db, logger: pino({ level: 'silent' }) })
    await rulesRepo.insertRule(handle.db, newId(), {
      ...rule('bad', 'x'),
      match: { type: 'regex', value: '(a+)+$' },
    })
    await rulesRepo.insertRule(handle.db, newId(), rule('good', 'aaaa'))
    expect(names(await book.current(), 'aaaa')).toEqual(['good'])
  })
})
