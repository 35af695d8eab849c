import { parsePhoneNumberWithError, ParseError, type CountryCode } from 'libphonenumber-js/min'
import { AppError } from '../platform/errors.js'

const reasons: Record<string, string> = {
  INVALID_COUNTRY: 'has no country code and no default country is set',
  NOT_A_NUMBER: 'is not a phone number',
  TOO_SHORT: 'is too short',
  TOO_LONG: 'is too long',
  INVALID_LENGTH: 'has an invalid length',
}

export interface NormalizeOptions {
  /**
   * Also require a number that is valid for its region (a range that is allocated), not
   * only one of a possible length: for numbers people type in. Fictional US numbers
   * +1 555 0… (WhatsApp's test numbers, the sandbox's) pass.
   */
  strict?: boolean
}

/**
 * Normalises a phone number to E.164, reading numbers without a country code in
 * `defaultCountry`; the number must have a possible length for its country (and, with
 * `strict`, be valid there). Throws PHONE_INVALID with the reason and the field it came from.
 */
export function normalizePhone(
  input: string,
  field: string,
  defaultCountry?: CountryCode,
  options: NormalizeOptions = {},
): string {
  const key = `${options.strict ? 's' : ''}${defaultCountry ?? ''}|${input}`
  const known = recent.get(key)
  if (known !== undefined) return known
  const normalized = parse(input, field, defaultCountry, options.strict === true)
  if (recent.size >= RECENT_LIMIT) recent.delete(recent.keys().next().value!)
  recent.set(key, normalized)
  return normalized
}

/** The same numbers come back all day; parsing one costs more than a map lookup. */
const recent = new Map<string, string>()
const RECENT_LIMIT = 10_000

/** US numbers 555-01xx are fictional by convention; WhatsApp's test numbers live at +1 555 0…. */
const FICTIONAL = /^\+15550/

function parse(
  input: string,
  field: string,
  defaultCountry: CountryCode | undefined,
  strict: boolean,
): string {
  let reason: string
  try {
    // Without extraction the parser rejects leading whitespace (pasted or CSV numbers).
    const parsed = parsePhoneNumberWithError(input.trim(), { defaultCountry, extract: false })
    // "Possible" (the right length for its country) rather than "valid": WhatsApp is the
    // judge of whether a number exists, and test numbers such as +1 555 0… must pass.
    const length = parsed.nationalNumber.length
    if (parsed.ext) reason = 'has an extension; WhatsApp numbers have none'
    else if (parsed.isPossible()) {
      if (!strict || FICTIONAL.test(parsed.number) || parsed.isValid()) return parsed.number
      reason = parsed.country
        ? `is not a valid number in ${parsed.country}`
        : `is not a valid number for country code +${parsed.countryCallingCode}`
    } else if (parsed.country)
      reason = `has the wrong length for ${parsed.country} (${length} digits)`
    else reason = 'has the wrong length for its country code'
  } catch (err) {
    if (!(err instanceof ParseError)) throw err
    reason = reasons[err.message] ?? err.message
  }
  throw new AppError('PHONE_INVALID', `The phone number "${input}" ${reason}`, [
    { path: field, message: reason },
  ])
}
