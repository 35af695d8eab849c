// Rendering a template for one contact: pick the variant (the fallback chain), resolve the
// variables (values given, then the contact's data, then defaults), format the ICU text for
// the variant's locale, and shape the message: free-form content, or for accounts that need
// approved templates, a Cloud API `template` message filled from the variant's mapping.
import { AppError, type FieldError } from '../platform/errors.js'
import type { OutboundContent, TemplateComponent, TemplateParameter } from '../transports/index.js'
import { baseLanguage, canonicalLanguage, textDirection } from '../languages/index.js'
import { compileIcu, dateTimeFormat, numberFormat, variablesOf } from './templates.icu.js'
import {
  MAX_FRAMED_TEXT,
  MAX_TEXT,
  type CloudParameter,
  type Template,
  type TemplateVariant,
  type VariantReason,
} from './templates.schemas.js'
import { coerceValue, type IcuValue } from './templates.values.js'

/** What a render knows of the contact: its name, phone and attributes fill variables. */
export interface RenderContact {
  name: string | null
  /** E.164. */
  phone: string
  /** BCP 47, or null when unknown. */
  language: string | null
  attributes: Record<string, unknown>
}

export interface RenderOptions {
  contact?: RenderContact
  /** Values of the template's variables; they win over the contact's data. */
  vars?: Record<string, unknown>
  /** A language asked for: its variant (or the nearest) comes before the contact's. */
  language?: string
  /** The sending account's default language (BCP 47), tried after the contact's. */
  defaultLanguage?: string | null
  /** Dates are written in this IANA time zone; default UTC. */
  timeZone?: string
  /** The account sends only approved templates (Cloud API): render a `template` message. */
  templatesRequired?: boolean
}

export interface Rendered {
  /** The language of the variant used. */
  language: string
  reason: VariantReason
  direction: 'ltr' | 'rtl'
  /** The rendered text (of the variant's `text`, also for a Cloud template). */
  text: string
  /** The message to send, as `POST /messages` takes it without `accountId` and `to`. */
  content: OutboundContent
}

/**
 * The variant for a contact: the language asked for, then the contact's, then the account's
 * default, then English, then the first variant. A language matches its exact tag first,
 * then any variant of the same base language (`pt-BR` finds `pt`, `pt` finds `pt-BR`).
 */
export function pickVariant(
  variants: readonly TemplateVariant[],
  wanted: { requested?: string | null; contact?: string | null; account?: string | null },
): { variant: TemplateVariant; index: number; reason: VariantReason } {
  const find = (tag: string | null | undefined): number => {
    const canonical = tag ? canonicalLanguage(tag) : undefined
    if (!canonical) return -1
    const exact = variants.findIndex((v) => v.language.toLowerCase() === canonical.toLowerCase())
    if (exact >= 0) return exact
    const base = baseLanguage(canonical)
    return variants.findIndex((v) => baseLanguage(v.language) === base)
  }
  const chain: Array<[VariantReason, string | null | undefined]> = [
    ['requested', wanted.requested],
    ['contact', wanted.contact],
    ['account', wanted.account],
    ['english', 'en'],
  ]
  for (const [reason, tag] of chain) {
    const index = find(tag)
    if (index >= 0) return { variant: variants[index]!, index, reason }
  }
  return { variant: variants[0]!, index: 0, reason: 'first' }
}

function refuse(detail: string, errors: FieldError[]): never {
  throw new AppError('TEMPLATE_RENDER_FAILED', detail, errors)
}

/** The values of the variables `used`, or TEMPLATE_RENDER_FAILED naming each that has none. */
function resolveValues(
  template: Template,
  used: ReadonlySet<string>,
  options: RenderOptions,
): Record<string, IcuValue> {
  const contact = options.contact
  const fromContact: Record<string, unknown> = contact
    ? {
        ...contact.attributes,
        ...(contact.name === null ? {} : { name: contact.name }),
        phone: contact.phone,
      }
    : {}
  const values: Record<string, IcuValue> = {}
  const problems: FieldError[] = []
  for (const variable of template.variables) {
    if (!used.has(variable.name)) continue
    const given = options.vars?.[variable.name]
    const source =
      given !== undefined && given !== null
        ? { value: given, path: `vars.${variable.name}` }
        : fromContact[variable.name] !== undefined && fromContact[variable.name] !== null
          ? { value: fromContact[variable.name], path: `contact.${variable.name}` }
          : variable.default !== undefined
            ? { value: variable.default, path: `variables.${variable.name}.default` }
            : undefined
    if (!source) {
      problems.push({
        path: `vars.${variable.name}`,
        message: `has no value (${variable.type}), and the contact has none`,
      })
      continue
    }
    const fit = coerceValue(variable.type, source.value)
    if ('error' in fit) problems.push({ path: source.path, message: fit.error })
    else values[variable.name] = fit.value
  }
  if (problems.length > 0) {
    refuse(
      `The template ${template.name} needs values it was not given: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
      problems,
    )
  }
  return values
}

function variablesUsed(variant: TemplateVariant): Set<string> {
  const used = new Set(variablesOf(variant.text))
  const cloud = variant.cloud
  if (cloud) {
    const parameters = [
      ...(cloud.header?.type === 'text' ? cloud.header.parameters : []),
      ...(cloud.body ?? []),
    ]
    for (const p of parameters) {
      if (p.type === 'text') for (const name of variablesOf(p.text)) used.add(name)
      else used.add(p.variable)
    }
    for (const b of cloud.buttons ?? []) {
      const text =
        b.subType === 'quick_reply' ? b.payload : b.subType === 'url' ? b.text : b.couponCode
      for (const name of variablesOf(text)) used.add(name)
    }
  }
  return used
}

/** Meta's spelling of a language: `pt-BR` → `pt_BR`, `zh-Hant-TW` → `zh_TW`. */
function metaLanguage(tag: string): string {
  let code = metaLanguages.get(tag)
  if (code === undefined) {
    const locale = new Intl.Locale(tag)
    code = locale.region ? `${locale.language}_${locale.region}` : locale.language
    metaLanguages.set(tag, code)
  }
  return code
}
const metaLanguages = new Map<string, string>()

/** Meta refuses parameters with new lines, tabs or more than 4 spaces in a row. */
function asParameterText(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/ {5,}/g, '    ')
    .trim()
}

/** Renders `template` for one contact (see RenderOptions); throws TEMPLATE_RENDER_FAILED. */
export function renderTemplate(template: Template, options: RenderOptions = {}): Rendered {
  const { variant, index, reason } = pickVariant(template.variants, {
    requested: options.language,
    contact: options.contact?.language,
    account: options.defaultLanguage,
  })
  const locale = variant.language
  const timeZone = options.timeZone ?? 'UTC'
  const values = resolveValues(template, variablesUsed(variant), options)
  const numbers = new Set(template.variables.filter((v) => v.type === 'number').map((v) => v.name))
  const format = (text: string): string =>
    String(compileIcu(text, locale, timeZone, numbers).format(values))

  const text = format(variant.text)
  const base = { language: locale, reason, direction: textDirection(locale), text }
  const at = `variants.${index}`

  if (options.templatesRequired) {
    if (!variant.cloud) {
      refuse(
        `The account sends only approved WhatsApp templates, and the ${locale} variant of ${template.name} maps to none`,
        [
          {
            path: `${at}.cloud`,
            message: 'give this variant a `cloud` mapping to an approved template',
          },
        ],
      )
    }
    return { ...base, content: cloudContent(variant, at, values, format, timeZone) }
  }

  const limit = variant.media || variant.buttons ? MAX_FRAMED_TEXT : MAX_TEXT
  if (text.length > limit) {
    refuse(`The rendered text is ${text.length} characters; WhatsApp allows ${limit} here`, [
      { path: `${at}.text`, message: `renders to more than ${limit} characters with these values` },
    ])
  }
  if (variant.media) {
    const { type, link, mediaId, filename } = variant.media
    const source = link !== undefined ? { link } : { mediaId: mediaId! }
    return {
      ...base,
      content: { type, media: { ...source, caption: text, ...(filename ? { filename } : {}) } },
    }
  }
  if (variant.buttons) {
    return {
      ...base,
      content: {
        type: 'interactive',
        interactive: {
          type: 'buttons',
          body: text,
          buttons: variant.buttons.map((b) => ({ id: b.id, title: b.title })),
        },
      },
    }
  }
  return { ...base, content: { type: 'text', text } }
}

/** The Cloud API `template` message the variant's mapping describes, filled with `values`. */
function cloudContent(
  variant: TemplateVariant,
  at: string,
  values: Record<string, IcuValue>,
  format: (text: string) => string,
  timeZone: string,
): OutboundContent {
  const cloud = variant.cloud!
  const locale = variant.language
  const problems: FieldError[] = []
  const parameter = (p: CloudParameter, path: string): TemplateParameter => {
    const name = p.name === undefined ? {} : { name: p.name }
    switch (p.type) {
      case 'text': {
        const text = asParameterText(format(p.text))
        if (text === '')
          problems.push({
            path: `${path}.text`,
            message: 'renders empty; WhatsApp refuses empty parameters',
          })
        return { type: 'text', text: text || '-', ...name }
      }
      case 'currency': {
        const amount = values[p.variable] as number
        const fallback = numberFormat(locale, { style: 'currency', currency: p.code }).format(
          amount,
        )
        return {
          type: 'currency',
          fallback,
          code: p.code,
          amount1000: Math.round(amount * 1000),
          ...name,
        }
      }
      case 'dateTime': {
        const date = values[p.variable] as Date
        const fallback = dateTimeFormat(locale, { dateStyle: 'long', timeZone }).format(date)
        return { type: 'dateTime', fallback, ...name }
      }
    }
  }
  const components: TemplateComponent[] = []
  if (cloud.header?.type === 'text') {
    components.push({
      type: 'header',
      parameters: cloud.header.parameters.map((p, j) =>
        parameter(p, `${at}.cloud.header.parameters.${j}`),
      ),
    })
  } else if (cloud.header?.type === 'media' && variant.media) {
    const { type, link, mediaId, filename } = variant.media
    const media = link !== undefined ? { link } : { mediaId: mediaId! }
    components.push({
      type: 'header',
      parameters: [
        type === 'document' ? { type, media, ...(filename ? { filename } : {}) } : { type, media },
      ],
    })
  }
  if (cloud.body && cloud.body.length > 0) {
    components.push({
      type: 'body',
      parameters: cloud.body.map((p, j) => parameter(p, `${at}.cloud.body.${j}`)),
    })
  }
  for (const [j, b] of (cloud.buttons ?? []).entries()) {
    const path = `${at}.cloud.buttons.${j}`
    if (b.subType === 'quick_reply') {
      const payload = format(b.payload)
      if (payload === '' || payload.length > 256)
        problems.push({ path: `${path}.payload`, message: 'must render to 1 to 256 characters' })
      components.push({ type: 'button', subType: 'quick_reply', index: b.index, payload })
    } else if (b.subType === 'url') {
      const text = format(b.text)
      if (text === '' || text.length > 2000)
        problems.push({ path: `${path}.text`, message: 'must render to 1 to 2000 characters' })
      components.push({ type: 'button', subType: 'url', index: b.index, text })
    } else {
      const couponCode = format(b.couponCode)
      if (couponCode === '' || couponCode.length > 15) {
        problems.push({
          path: `${path}.couponCode`,
          message: 'must render to 1 to 15 characters (the WhatsApp limit)',
        })
      }
      components.push({ type: 'button', subType: 'copy_code', index: b.index, couponCode })
    }
  }
  if (problems.length > 0) {
    refuse(`The ${locale} variant's Cloud template cannot be filled with these values`, problems)
  }
  return {
    type: 'template',
    template: {
      name: cloud.name,
      language: cloud.language ?? metaLanguage(locale),
      ...(components.length > 0 ? { components } : {}),
    },
  }
}
