import type { Availability, Role, Scope, User } from '../api/types'

export const roleLabels: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  agent: 'Agent',
  viewer: 'Viewer',
}

export const roleDescriptions: Record<Role, string> = {
  owner: 'Everything, including other owners.',
  admin: 'Accounts, rules, users and keys; every account.',
  agent: 'Answers customers on the accounts given to them.',
  viewer: 'Reads the accounts given to them; changes nothing.',
}

export const statusLabels: Record<User['status'], string> = {
  invited: 'Invited',
  active: 'Active',
  disabled: 'Disabled',
}

export const availabilityLabels: Record<Availability, string> = {
  online: 'Online',
  away: 'Away',
  offline: 'Offline',
}

export const scopeDescriptions: Record<Scope, string> = {
  read: 'Read: list and get (GET requests).',
  write: 'Write: send messages and make the changes your role allows.',
  admin: 'Admin: routes that need the admin role, and making keys.',
}

const rank: Record<Role, number> = { owner: 3, admin: 2, agent: 1, viewer: 0 }

export function atLeast(role: Role, minimum: Role): boolean {
  return rank[role] >= rank[minimum]
}

/** The scopes a key of this role can hold. */
export function scopesOfRole(role: Role): Scope[] {
  if (atLeast(role, 'admin')) return ['read', 'write', 'admin']
  if (atLeast(role, 'agent')) return ['read', 'write']
  return ['read']
}
