/** Team roles, from most to least powerful. */
export const roles = ['owner', 'admin', 'agent', 'viewer'] as const
export type Role = (typeof roles)[number]

const rank: Record<Role, number> = { owner: 3, admin: 2, agent: 1, viewer: 0 }

/** Whether `role` has at least the powers of `minimum`. */
export function atLeast(role: Role, minimum: Role): boolean {
  return rank[role] >= rank[minimum]
}
