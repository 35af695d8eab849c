// The checks a template passes before it is stored, on what needs the whole template: every
// ICU text parses and uses only declared variables in ways their types allow, defaults fit
// their types, variants have different languages, media and buttons fit WhatsApp's
// messages, the Cloud mapping fills its parameters from declared variables.
import type { FieldError } from '../platform/errors.js'
import { baseLanguage } from '../languages/index.js'
import { checkUses, IcuTextError, parseIcu } from './templates.icu.js'
import {
  MAX_FRAMED_TEXT,
  type CloudMapping,
  type TemplateDefinition,
  type VariableType,
} from './templates.schemas.js'
import { coerceValue } from './templates.values.js'

/** Problems with a template, each naming its field from the body's root (`variants.1.text`). */
export function checkTemplate(def: TemplateDefinition): FieldError[] {
  const problems: FieldError[] = []
  const types = new Map<string, VariableType>()
  def.variables.forEach((variable, i) => {
    if (types.has(variable.name)) {
      problems.push({ path: `variables.${i}.name`, message: `declares ${variable.name} twice` })
    }
    types.set(variable.name, variable.type)
    if (variable.default !== undefined) {
      const fit = coerceValue(variable.type, variable.default)
      if ('error' in fit) {
        problems.push({
          path: `variables.${i}.default`,
          message: `${fit.error} (${variable.name} is ${variable.type})`,
        })
      }
    }
  })

  const languages = new Map<string, number>()
  def.variants.forEach((variant, i) => {
    const at = `variants.${i}`
    const the = `the ${variant.language} variant`
    const key = variant.language.toLowerCase()
    const earlier = languages.get(key)
    if (earlier !== undefined) {
      problems.push({
        path: `${at}.language`,
        message: `variant ${earlier} has the language ${variant.language} already`,
      })
    }
    languages.set(key, i)

    const icu = (path: string, text: string) => {
      try {
        for (const message of checkUses(parseIcu(text), types)) {
          problems.push({ path, message: `${the} ${message}` })
        }
      } catch (err) {
        if (!(err instanceof IcuTextError)) throw err
        problems.push({ path, message: `${the} ${err.message}` })
      }
    }
    icu(`${at}.text`, variant.text)

    if (variant.media && variant.buttons) {
      problems.push({
        path: `${at}.buttons`,
        message: `${the} has media and buttons: a WhatsApp message has one or the other`,
      })
    }
    if ((variant.media || variant.buttons) && variant.text.length > MAX_FRAMED_TEXT) {
      problems.push({
        path: `${at}.text`,
        message: `${the} must be at most ${MAX_FRAMED_TEXT} characters with ${variant.media ? 'media (a caption)' : 'buttons'}`,
      })
    }
    if (variant.buttons) {
      const ids = variant.buttons.map((b) => b.id)
      if (new Set(ids).size !== ids.length) {
        problems.push({
          path: `${at}.buttons`,
          message: `${the} needs a different id for every button`,
        })
      }
    }
    if (variant.cloud)
      checkCloud(variant.cloud, `${at}.cloud`, the, Boolean(variant.media), types, icu, problems)
    if (
      variant.cloud?.language &&
      baseLanguage(variant.cloud.language.replace('_', '-')) !== baseLanguage(variant.language)
    ) {
      problems.push({
        path: `${at}.cloud.language`,
        message: `${the} maps to a Meta template in another language (${variant.cloud.language})`,
      })
    }
  })
  return problems
}

function checkCloud(
  cloud: CloudMapping,
  at: string,
  the: string,
  hasMedia: boolean,
  types: ReadonlyMap<string, VariableType>,
  icu: (path: string, text: string) => void,
  problems: FieldError[],
): void {
  if (cloud.header?.type === 'media' && !hasMedia) {
    problems.push({ path: `${at}.header`, message: `${the} has a media header but no \`media\`` })
  }
  const parameters = [
    ...(cloud.header?.type === 'text'
      ? cloud.header.parameters.map((p, j) => ({ p, path: `${at}.header.parameters.${j}` }))
      : []),
    ...(cloud.body ?? []).map((p, j) => ({ p, path: `${at}.body.${j}` })),
  ]
  for (const { p, path } of parameters) {
    if (p.type === 'text') {
      icu(`${path}.text`, p.text)
      continue
    }
    const want: VariableType = p.type === 'currency' ? 'number' : 'date'
    const type = types.get(p.variable)
    if (type === undefined) {
      problems.push({
        path: `${path}.variable`,
        message: `${the} names ${p.variable}, which is not declared in \`variables\``,
      })
    } else if (type !== want) {
      problems.push({
        path: `${path}.variable`,
        message: `${the} needs a ${want} variable for a ${p.type} parameter; ${p.variable} is ${type}`,
      })
    }
  }
  const named = parameters.filter(({ p }) => p.name !== undefined).length
  if (named !== 0 && named !== parameters.length) {
    problems.push({
      path: at,
      message: `${the} names some parameters and not others: name all or none`,
    })
  }
  const indexes = new Set<number>()
  ;(cloud.buttons ?? []).forEach((button, j) => {
    const path = `${at}.buttons.${j}`
    if (indexes.has(button.index)) {
      problems.push({ path: `${path}.index`, message: `${the} fills button ${button.index} twice` })
    }
    indexes.add(button.index)
    const field =
      button.subType === 'quick_reply'
        ? 'payload'
        : button.subType === 'url'
          ? 'text'
          : 'couponCode'
    icu(
      `${path}.${field}`,
      button.subType === 'quick_reply'
        ? button.payload
        : button.subType === 'url'
          ? button.text
          : button.couponCode,
    )
  })
}
