export const defaultContactPhone = '+15550001111'

/** Strips the spaces, dashes, dots and brackets people type into phone numbers. */
export function normalizePhone(input: string): string {
  return input.replace(/[\s().-]/g, '')
}

export function isE164(phone: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(phone)
}
