/** Team roles, from most to least powerful. */
export const roles = ['owner', 'admin', 'agent', 'viewer'] as const
export type Role = (typeof roles)[number]

const rank: Record<Role, number> = { owner: 3, admin: 2, agent: 1, viewer: 0 }

/** Whether `role` has at least the powers of `minimum`. */
export function atLeast(role: Role, minimum: Role): boolean {
  return rank[role] >= rank[minimum]
}

/** The less powerful of two roles: what a key of role `a` held by a user of role `b` may do. */
export function lesserRole(a: Role, b: Role): Role {
  return rank[a] <= rank[b] ? a : b
}

/**
 * What an API key may do on top of its user's role: `read` (GET), `write` (changes an agent
 * may make) and `admin` (routes that need the admin role). A key holds a set of them.
 */
export const scopes = ['read', 'write', 'admin'] as const
export type Scope = (typeof scopes)[number]

/** The scopes a role can use at all: a key never holds more. */
export function scopesOfRole(role: Role): Scope[] {
  if (atLeast(role, 'admin')) return ['read', 'write', 'admin']
  if (atLeast(role, 'agent')) return ['read', 'write']
  return ['read']
}

/** The scope a route needs: its own, else admin for admin routes, read to read, write to change. */
export function scopeOfRoute(method: string, minRole: Role, scope?: Scope): Scope {
  if (scope) return scope
  if (atLeast(minRole, 'admin')) return 'admin'
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write'
}

/** Admins and owners see every account; agents and viewers only the ones given to them. */
export function seesAllAccounts(role: Role): boolean {
  return atLeast(role, 'admin')
}

/** Whether an agent takes new conversations (used by assignment). */
export const availabilities = ['online', 'away', 'offline'] as const
export type Availability = (typeof availabilities)[number]
