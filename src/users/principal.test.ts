import { describe, expect, it } from 'vitest'
import { AppError } from '../platform/errors.js'
import { Principal } from './principal.js'
import { lesserRole, scopeOfRoute, scopesOfRole } from './roles.js'

const base = { via: 'session', userId: 'u', name: 'U', scopes: ['read'] } as const

describe(Principal.name, () => {
  it('sees every account when it has no list, else only those listed', () => {
    const admin = new Principal({ ...base, role: 'admin', accountIds: null })
    expect(admin.canAccessAccount('any')).toBe(true)
    expect(admin.accountIds).toBeUndefined()
    const agent = new Principal({ ...base, role: 'agent', accountIds: ['a1'] })
    expect(agent.canAccessAccount('a1')).toBe(true)
    expect(agent.canAccessAccount('a2')).toBe(false)
    expect(agent.accountIds).toEqual(['a1'])
  })

  it('answers an account it may not see as not found', () => {
    const agent = new Principal({ ...base, role: 'agent', accountIds: [] })
    expect(() => agent.assertAccount('a2')).toThrow(AppError)
    try {
      agent.assertAccount('a2')
    } catch (err) {
      expect((err as AppError).code).toBe('ACCOUNT_NOT_FOUND')
    }
  })
})

describe('roles and scopes', () => {
  it('caps a key by the lesser of its role and its user’s', () => {
    expect(lesserRole('owner', 'agent')).toBe('agent')
    expect(lesserRole('viewer', 'admin')).toBe('viewer')
  })

  it('allows each role only the scopes it can use', () => {
    expect(scopesOfRole('viewer')).toEqual(['read'])
    expect(scopesOfRole('agent')).toEqual(['read', 'write'])
    expect(scopesOfRole('admin')).toEqual(['read', 'write', 'admin'])
  })

  it('derives a route’s scope from its method and role unless it names one', () => {
    expect(scopeOfRoute('GET', 'viewer')).toBe('read')
    expect(scopeOfRoute('POST', 'agent')).toBe('write')
    expect(scopeOfRoute('GET', 'admin')).toBe('admin')
    expect(scopeOfRoute('POST', 'viewer', 'admin')).toBe('admin')
  })
})
