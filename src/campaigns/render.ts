import type { CampaignMessage } from './campaigns.schemas.js'

/** What a campaign or schedule hands to `messages.send` for one recipient. */
export type RenderedContent =
  | { type: 'text'; text: string }
  | {
      type: 'template'
      template: {
        name: string
        language: string
        components: Array<{
          type: 'header' | 'body'
          parameters: Array<{ type: 'text'; text: string }>
        }>
      }
    }

export interface RenderInput {
  /** The recipient's variables (see `variablesOf`). */
  vars: Readonly<Record<string, string>>
  /** The recipient's language (`ar`, `pt-BR`), or null for the default. */
  language: string | null
}

/**
 * Turns a campaign's message into one recipient's content, in the recipient's language.
 * The seam the templates module plugs into: until it lands, text with `{{variables}}` and
 * Cloud API templates whose text parameters may hold variables.
 */
export interface MessageRenderer {
  render(message: CampaignMessage, input: RenderInput): RenderedContent
}

const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\|([^}]*))?\}\}/g

/** Fills `{{name}}` (or `{{name|fallback}}`) from `vars`; an unknown one is the fallback or "". */
export function fill(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(placeholder, (_all, key: string, fallback: string | undefined) => {
    const value = vars[key]
    return value !== undefined && value !== '' ? value : (fallback ?? '').trim()
  })
}

/** The variable names a text uses. */
export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(placeholder)].map((m) => m[1]!)
}

/** Every variable a message uses, in all its languages. */
export function variablesOf(message: CampaignMessage): string[] {
  const texts =
    message.type === 'text'
      ? [message.text, ...Object.values(message.translations ?? {})]
      : message.template.components.flatMap((c) => c.parameters.map((p) => p.text))
  return [...new Set(texts.flatMap(placeholdersOf))]
}

/**
 * The entry for `language` in a map keyed by language tags: the tag itself, then its
 * base language (`pt-BR` → `pt`), then nothing (the caller's default).
 */
export function byLanguage<T>(
  map: Readonly<Record<string, T>> | undefined,
  language: string | null,
): T | undefined {
  if (!map || !language) return undefined
  const exact = map[language] ?? map[language.toLowerCase()]
  if (exact !== undefined) return exact
  const base = language.split(/[-_]/)[0]!.toLowerCase()
  return map[base]
}

/** Text with `{{variables}}`, and Cloud templates, until the templates module lands. */
export class TextRenderer implements MessageRenderer {
  render(message: CampaignMessage, { vars, language }: RenderInput): RenderedContent {
    if (message.type === 'text') {
      const text = byLanguage(message.translations, language) ?? message.text
      return { type: 'text', text: fill(text, vars) }
    }
    const { template } = message
    return {
      type: 'template',
      template: {
        name: template.name,
        language: byLanguage(template.languages, language) ?? template.language,
        components: template.components.map((c) => ({
          ...c,
          parameters: c.parameters.map((p) => ({
            type: 'text' as const,
            text: fill(p.text, vars),
          })),
        })),
      },
    }
  }
}

/** Variables a recipient brings: their own list values, then the contact's fields. */
export function recipientVars(
  wanted: readonly string[],
  contact: {
    name: string | null
    phone: string
    language: string | null
    attributes: Readonly<Record<string, unknown>>
  },
  own: Readonly<Record<string, string>> | undefined,
): Record<string, string> | null {
  if (wanted.length === 0) return null
  const vars: Record<string, string> = {}
  for (const key of wanted) {
    const value =
      own?.[key] ??
      (key === 'name'
        ? contact.name
        : key === 'firstName'
          ? (contact.name?.split(/\s+/)[0] ?? null)
          : key === 'phone'
            ? contact.phone
            : key === 'language'
              ? contact.language
              : attribute(contact.attributes, key.startsWith('attributes.') ? key.slice(11) : key))
    if (value !== null && value !== undefined) vars[key] = value
  }
  return vars
}

function attribute(attributes: Readonly<Record<string, unknown>>, key: string): string | null {
  const value = attributes[key]
  if (value === null || value === undefined || typeof value === 'object') return null
  return String(value)
}
