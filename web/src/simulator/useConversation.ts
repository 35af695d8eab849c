import { useQuery } from '@tanstack/react-query'
import { useApiClient } from '../api/ApiClientContext'
import { queryKeys } from '../api/queryKeys'

/** Fallback polling interval; the event stream normally keeps the thread current. */
const refetchIntervalMs = 5_000

export function useConversation(accountId: string, phone: string, enabled: boolean) {
  const api = useApiClient()
  return useQuery({
    queryKey: queryKeys.conversation(accountId, phone),
    queryFn: ({ signal }) => api.listMessages({ accountId, phone, limit: 50 }, signal),
    // The API answers newest first; a chat reads oldest first.
    select: (page) => page.items.toReversed(),
    enabled,
    refetchInterval: refetchIntervalMs,
  })
}
