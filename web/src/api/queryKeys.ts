export const queryKeys = {
  accounts: ['accounts'] as const,
  allMessages: ['messages'] as const,
  conversation: (accountId: string, phone: string) => ['messages', accountId, phone] as const,
}
