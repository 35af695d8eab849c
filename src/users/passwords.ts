import { hash, verify } from '@node-rs/argon2'

/** Shortest password accepted (NIST SP 800-63B asks for at least 8; we ask for 10). */
export const PASSWORD_MIN_LENGTH = 10
/** Longest accepted: beyond this a password is a denial of service, not a secret. */
export const PASSWORD_MAX_LENGTH = 256

/**
 * argon2id (the library's default algorithm) with OWASP's parameters: 19 MiB, 2 passes,
 * one lane. A hash is a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) that carries its
 * parameters, so they can be raised later without breaking stored hashes.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { memoryCost: 19_456, timeCost: 2, parallelism: 1 })
}

/** Whether `password` matches the stored hash; a malformed hash never matches. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password)
  } catch {
    return false
  }
}

/**
 * A hash of nothing anyone knows, verified when the email is unknown so that a wrong email
 * takes as long as a wrong password (no user enumeration by timing).
 */
let decoy: Promise<string> | undefined
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(`decoy-${Math.random()}`)
  return decoy
}

// Passwords seen most often in breach corpora that are long enough to pass the length rule.
const common = new Set([
  '1234567890',
  '12345678910',
  '123456789a',
  '0987654321',
  '1q2w3e4r5t',
  '1qaz2wsx3edc',
  'qwertyuiop',
  'qwerty1234',
  'qwerty123456',
  'asdfghjkl1',
  'password12',
  'password123',
  'password1234',
  'passw0rd123',
  'iloveyou12',
  'iloveyou123',
  'welcome123',
  'letmein123',
  'football123',
  'baseball123',
  'superman123',
  'princess123',
  'sunshine123',
  'whatsapp123',
  'changeme123',
  'administrator',
  'admin12345',
  'abcdefghij',
  'abc1234567',
  'zaq12wsxcde',
])

/**
 * The minimum strength rule: at least 10 characters (and at most 256), not a well-known
 * password, not one character or a short pattern repeated, and not made of the person's
 * email or name. Returns what is wrong, or null when the password is acceptable. (No
 * composition rules: NIST SP 800-63B found they make passwords weaker, not stronger.)
 */
export function passwordProblem(
  password: string,
  person: { email?: string | null; name?: string | null } = {},
): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) {
    return `must be at least ${PASSWORD_MIN_LENGTH} characters`
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    return `must be at most ${PASSWORD_MAX_LENGTH} characters`
  }
  const lower = password.toLowerCase()
  if (common.has(lower)) return 'is one of the most common passwords'
  if (new Set(lower).size < 4) return 'repeats too few different characters'
  if (/^(.{1,4})\1+$/.test(lower)) return 'is a short pattern repeated'
  if (isSequence(lower)) return 'is a sequence of characters'
  const local = person.email?.split('@')[0]?.toLowerCase()
  if (local && local.length >= 4 && lower.includes(local)) return 'must not contain your email'
  const name = person.name?.trim().toLowerCase().replace(/\s+/g, '')
  if (name && name.length >= 4 && lower.replace(/\s+/g, '').includes(name)) {
    return 'must not contain your name'
  }
  return null
}

function isSequence(text: string): boolean {
  let up = true
  let down = true
  for (let i = 1; i < text.length; i++) {
    const step = text.charCodeAt(i) - text.charCodeAt(i - 1)
    if (step !== 1) up = false
    if (step !== -1) down = false
  }
  return up || down
}
