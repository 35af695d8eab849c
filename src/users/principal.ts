import { AppError } from '../platform/errors.js'
import type { Role, Scope } from './roles.js'

export interface PrincipalInit {
  /** How the request proved who it is. */
  via: 'session' | 'apiKey'
  userId: string
  /** The user's name (or for an API key, the key's name and its user's). */
  name: string
  /** The role in force: the user's, or for a key the lesser of the key's and the user's. */
  role: Role
  scopes: readonly Scope[]
  keyId?: string
  sessionId?: string
  /** The accounts the principal may see; null: every account. */
  accountIds: readonly string[] | null
}

/**
 * Who is calling, and what they may do: a signed-in user (a session) or an API key acting
 * for its user. Routes and services ask it about accounts; the auth hook has already
 * checked the route's role and scope.
 */
export class Principal {
  readonly via: PrincipalInit['via']
  readonly userId: string
  readonly name: string
  readonly role: Role
  readonly scopes: readonly Scope[]
  readonly keyId: string | undefined
  readonly sessionId: string | undefined
  private readonly accounts: ReadonlySet<string> | null

  constructor(init: PrincipalInit) {
    this.via = init.via
    this.userId = init.userId
    this.name = init.name
    this.role = init.role
    this.scopes = init.scopes
    this.keyId = init.keyId
    this.sessionId = init.sessionId
    this.accounts = init.accountIds ? new Set(init.accountIds) : null
  }

  /** Whether the principal may see and act on the account. */
  canAccessAccount(accountId: string): boolean {
    return this.accounts === null || this.accounts.has(accountId)
  }

  /**
   * Throws ACCOUNT_NOT_FOUND for an account the principal may not see: to them it does not
   * exist (telling "forbidden" apart would say that it does).
   */
  assertAccount(accountId: string): void {
    if (!this.canAccessAccount(accountId)) {
      throw new AppError('ACCOUNT_NOT_FOUND', `No account has the id ${accountId}`)
    }
  }

  /** The accounts to filter lists by; undefined when the principal sees every account. */
  get accountIds(): readonly string[] | undefined {
    return this.accounts ? [...this.accounts] : undefined
  }

  hasScope(scope: Scope): boolean {
    return this.scopes.includes(scope)
  }
}

/** The principal of an authenticated request (the auth hook set it); throws on a public one. */
export function principalOf(req: { principal?: Principal }): Principal {
  if (!req.principal) throw new AppError('UNAUTHORIZED', 'Sign in, or send an API key')
  return req.principal
}
