import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { packageRoot } from '../paths.js'
import { AppError, errorCatalogue, type ErrorCode } from './errors.js'

const codes = Object.keys(errorCatalogue) as ErrorCode[]

interface DocumentedError {
  code: string
  status: number
  title: string
}

/** The rows of docs/errors.md's table: `| \`CODE\` | status | title | when |`. */
function documentedErrors(): DocumentedError[] {
  const text = readFileSync(join(packageRoot, 'docs', 'errors.md'), 'utf8')
  const rows: DocumentedError[] = []
  for (const line of text.split('\n')) {
    const row = /^\| `([^`]+)` \| ([^|]*?) \| ([^|]*?) \|/.exec(line)
    if (!row) continue
    const [, code = '', status = '', title = ''] = row
    rows.push({ code, status: Number(status), title })
  }
  return rows
}

describe('errorCatalogue', () => {
  it('gives every code a 4xx or 5xx status and a title', () => {
    for (const code of codes) {
      const { status, title } = errorCatalogue[code]
      expect(Number.isInteger(status), code).toBe(true)
      expect(status, code).toBeGreaterThanOrEqual(400)
      expect(status, code).toBeLessThan(600)
      expect(title.trim(), code).not.toBe('')
    }
  })

  it('names codes in upper snake case', () => {
    for (const code of codes) expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/)
  })
})

describe('docs/errors.md', () => {
  const rows = documentedErrors()
  const documented = new Map(rows.map((row) => [row.code, row]))

  it('lists each code once', () => {
    const codesListed = rows.map((row) => row.code)
    expect(codesListed.filter((code, i) => codesListed.indexOf(code) !== i)).toEqual([])
  })

  it('lists every code of the catalogue with its status and title', () => {
    // One list of every disagreement, so that a failure shows them all at once.
    const problems = codes.flatMap((code) => {
      const row = documented.get(code)
      const { status, title } = errorCatalogue[code]
      if (!row) return [`${code} is missing`]
      return [
        ...(row.status === status ? [] : [`${code} has status ${row.status}, not ${status}`]),
        ...(row.title === title ? [] : [`${code} has title "${row.title}", not "${title}"`]),
      ]
    })
    expect(problems).toEqual([])
  })

  it('lists no code that the catalogue lacks', () => {
    const unknown = [...documented.keys()].filter((code) => !(code in errorCatalogue))
    expect(unknown).toEqual([])
  })
})

describe(AppError.name, () => {
  it('takes its status and title from the catalogue', () => {
    for (const code of codes) {
      const err = new AppError(code)
      expect(err.code).toBe(code)
      expect(err.status).toBe(errorCatalogue[code].status)
      expect(err.title).toBe(errorCatalogue[code].title)
    }
  })

  it('uses the title as its message unless a detail is given', () => {
    expect(new AppError('RULE_NOT_FOUND').message).toBe(errorCatalogue.RULE_NOT_FOUND.title)
    const err = new AppError('RULE_NOT_FOUND', 'No rule has the id r1')
    expect(err.message).toBe('No rule has the id r1')
    expect(err.title).toBe(errorCatalogue.RULE_NOT_FOUND.title)
  })

  it('carries the failing fields and is an Error', () => {
    const errors = [{ path: 'body.to', message: 'is too short' }]
    const err = new AppError('PHONE_INVALID', 'The phone number "+1" is too short', errors)
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('AppError')
    expect(err.errors).toEqual(errors)
  })
})
