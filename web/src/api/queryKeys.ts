export const queryKeys = {
  me: ['me'] as const,
  users: ['users'] as const,
  apiKeys: ['api-keys'] as const,
  accounts: ['accounts'] as const,
  pairing: (accountId: string) => ['pairing', accountId] as const,
  allMessages: ['messages'] as const,
  conversation: (accountId: string, phone: string) => ['messages', accountId, phone] as const,
  campaigns: ['campaigns'] as const,
  schedules: ['schedules'] as const,
  upcoming: ['schedules', 'upcoming'] as const,
}
