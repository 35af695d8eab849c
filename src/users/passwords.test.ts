import { describe, expect, it } from 'vitest'
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js'

describe(hashPassword.name, () => {
  it('hashes with argon2id, salted, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery staple')
    const b = await hashPassword('correct horse battery staple')
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(a).not.toBe(b)
    expect(await verifyPassword(a, 'correct horse battery staple')).toBe(true)
    expect(await verifyPassword(a, 'correct horse battery stapler')).toBe(false)
    expect(await verifyPassword('not a hash', 'anything')).toBe(false)
  })
})

describe(passwordProblem.name, () => {
  it('accepts a long passphrase', () => {
    expect(passwordProblem('correct horse battery staple')).toBeNull()
    expect(passwordProblem('Tr0ub4dor&3xyz')).toBeNull()
  })

  it.each([
    ['short', 'at least 10'],
    ['x'.repeat(257), 'at most 256'],
    ['password123', 'most common'],
    ['aaaaaaaaaaaa', 'too few different'],
    ['abcabcabcabc', 'too few different'],
    ['abcdabcdabcd', 'pattern repeated'],
    ['abcdefghijkl', 'sequence'],
    ['9876543210', 'sequence'],
  ])('refuses %j (%s)', (password, problem) => {
    expect(passwordProblem(password)).toContain(problem)
  })

  it("refuses the person's own email or name", () => {
    expect(passwordProblem('olivia.smith2024', { email: 'olivia.smith@example.com' })).toContain(
      'email',
    )
    expect(passwordProblem('my name is Olivia Smith', { name: 'Olivia Smith' })).toContain('name')
  })
})
