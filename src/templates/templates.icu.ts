// ICU MessageFormat as templates use it: parsed once when a template is written (to refuse
// what would fail later), compiled once per text, locale and time zone when rendered.
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser'
import { IntlMessageFormat, type Formatters } from 'intl-messageformat'
import type { VariableType } from './templates.schemas.js'

/** Plural and select may nest this deep; deeper texts are refused as unreadable (and costly). */
export const MAX_NESTING = 4
/** Braces may nest this deep before the parser is even asked (a cheap guard against hostile input). */
const MAX_BRACE_DEPTH = 3 * MAX_NESTING

/** How a text uses a variable: as plain text, or as a number, date, plural or select. */
export type Usage = 'argument' | 'number' | 'date' | 'plural' | 'select'

export interface ParsedText {
  ast: MessageFormatElement[]
  /** Each variable the text uses, with every way it uses it. */
  uses: Map<string, Set<Usage>>
}

/** Why a text is refused, in words for the person who wrote it. */
export class IcuTextError extends Error {}

function braceDepth(text: string): number {
  let depth = 0
  let max = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 123) max = Math.max(max, ++depth)
    else if (c === 125) depth--
  }
  return max
}

function words(kind: string): string {
  return kind.toLowerCase().replaceAll('_', ' ')
}

/** Parses an ICU text; throws IcuTextError saying what is wrong and where. */
export function parseIcu(text: string): ParsedText {
  if (braceDepth(text) > MAX_BRACE_DEPTH) {
    throw new IcuTextError(`nests braces more than ${MAX_BRACE_DEPTH} deep`)
  }
  let ast: MessageFormatElement[]
  try {
    // Tags (<b>) are plain text: WhatsApp formats with *bold* and _italics_.
    ast = parse(text, { ignoreTag: true, requiresOtherClause: true, shouldParseSkeletons: true })
  } catch (err) {
    const e = err as Error & { location?: { start: { line: number; column: number } } }
    const at = e.location
      ? ` at line ${e.location.start.line}, column ${e.location.start.column}`
      : ''
    throw new IcuTextError(`is not valid ICU MessageFormat: ${words(e.message)}${at}`)
  }
  const uses = new Map<string, Set<Usage>>()
  const use = (name: string, how: Usage) => {
    const set = uses.get(name) ?? new Set<Usage>()
    set.add(how)
    uses.set(name, set)
  }
  const walk = (elements: MessageFormatElement[], depth: number): void => {
    for (const el of elements) {
      switch (el.type) {
        case TYPE.argument:
          use(el.value, 'argument')
          break
        case TYPE.number:
          use(el.value, 'number')
          break
        case TYPE.date:
        case TYPE.time:
          use(el.value, 'date')
          break
        case TYPE.plural:
        case TYPE.select:
          if (depth >= MAX_NESTING) {
            throw new IcuTextError(`nests plural and select more than ${MAX_NESTING} deep`)
          }
          use(el.value, el.type === TYPE.plural ? 'plural' : 'select')
          for (const option of Object.values(el.options)) walk(option.value, depth + 1)
          break
        case TYPE.tag:
          walk(el.children, depth)
          break
        default:
          break
      }
    }
  }
  walk(ast, 0)
  return { ast, uses }
}

const allowed: Record<Usage, readonly VariableType[]> = {
  argument: ['text', 'number', 'boolean'],
  number: ['number'],
  date: ['date'],
  plural: ['number'],
  select: ['text', 'boolean'],
}

const hint: Record<Usage, string> = {
  argument: 'as {x}; a date needs {x, date, medium} or {x, time, short}',
  number: 'as a number; declare it a number',
  date: 'as a date or time; declare it a date',
  plural: 'in a plural; declare it a number',
  select: 'in a select; declare it text or boolean',
}

/**
 * What is wrong with how a parsed text uses the declared variables: one message per
 * variable that is not declared or is used in a way its type does not allow.
 */
export function checkUses(
  parsed: ParsedText,
  variables: ReadonlyMap<string, VariableType>,
): string[] {
  const problems: string[] = []
  for (const [name, usages] of parsed.uses) {
    const type = variables.get(name)
    if (type === undefined) {
      problems.push(`uses {${name}}, which is not declared in \`variables\``)
      continue
    }
    for (const usage of usages) {
      if (!allowed[usage].includes(type)) {
        problems.push(`uses the ${type} variable {${name}} ${hint[usage]}`)
      }
    }
  }
  return problems
}

// ---- compiled texts, kept for the renders to come ----

const MAX_COMPILED = 2000
const compiled = new Map<string, IntlMessageFormat>()
const MAX_FORMATTERS = 500
const formatterCache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>()

function cachedFormatter<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>(
  key: string,
  make: () => T,
): T {
  let f = formatterCache.get(key) as T | undefined
  if (!f) {
    if (formatterCache.size >= MAX_FORMATTERS) formatterCache.clear()
    f = make()
    formatterCache.set(key, f)
  }
  return f
}

/** An Intl.NumberFormat, made once per locale and options. */
export function numberFormat(locale: string, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  return cachedFormatter(
    `n|${locale}|${JSON.stringify(opts)}`,
    () => new Intl.NumberFormat(locale, opts),
  )
}

/** An Intl.DateTimeFormat, made once per locale and options. */
export function dateTimeFormat(
  locale: string,
  opts: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  return cachedFormatter(
    `d|${locale}|${JSON.stringify(opts)}`,
    () => new Intl.DateTimeFormat(locale, opts),
  )
}

/** Intl formatters that write dates in `timeZone`, each made once. */
function formattersFor(timeZone: string): Formatters {
  return {
    getNumberFormat: (locales, opts) =>
      cachedFormatter(
        `n|${String(locales)}|${JSON.stringify(opts)}`,
        () => new Intl.NumberFormat(locales, opts as Intl.NumberFormatOptions),
      ),
    getDateTimeFormat: (locales, opts) =>
      cachedFormatter(
        `d|${timeZone}|${String(locales)}|${JSON.stringify(opts)}`,
        () => new Intl.DateTimeFormat(locales, { ...opts, timeZone }),
      ),
    getPluralRules: (locales, opts) =>
      cachedFormatter(
        `p|${String(locales)}|${JSON.stringify(opts)}`,
        () => new Intl.PluralRules(locales, opts),
      ),
  }
}

/** Plain `{n}` of a number variable becomes `{n, number}`: written for the locale. */
function numbersFormatted(elements: MessageFormatElement[], numbers: ReadonlySet<string>): void {
  for (const [i, el] of elements.entries()) {
    if (el.type === TYPE.argument && numbers.has(el.value)) {
      elements[i] = { type: TYPE.number, value: el.value, style: null, location: el.location }
    } else if (el.type === TYPE.plural || el.type === TYPE.select) {
      for (const option of Object.values(el.options)) numbersFormatted(option.value, numbers)
    } else if (el.type === TYPE.tag) {
      numbersFormatted(el.children, numbers)
    }
  }
}

/**
 * A text compiled for a locale and time zone, with `numbers` the names of its number
 * variables; the same inputs give the same (cached) formatter.
 */
export function compileIcu(
  text: string,
  locale: string,
  timeZone: string,
  numbers: ReadonlySet<string> = new Set(),
): IntlMessageFormat {
  const key = `${locale}\u0000${timeZone}\u0000${[...numbers].join(',')}\u0000${text}`
  let format = compiled.get(key)
  if (format) {
    // Most recently used last: the oldest go first when the cache is full.
    compiled.delete(key)
    compiled.set(key, format)
    return format
  }
  const { ast } = parseIcu(text)
  numbersFormatted(ast, numbers)
  format = new IntlMessageFormat(ast, locale, undefined, {
    formatters: formattersFor(timeZone),
    ignoreTag: true,
  })
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!)
  compiled.set(key, format)
  return format
}

const usesCache = new Map<string, ReadonlySet<string>>()

/** The variables a text uses (parsed once per text). */
export function variablesOf(text: string): ReadonlySet<string> {
  let names = usesCache.get(text)
  if (!names) {
    names = new Set(parseIcu(text).uses.keys())
    if (usesCache.size >= MAX_COMPILED) usesCache.delete(usesCache.keys().next().value!)
    usesCache.set(text, names)
  }
  return names
}
