import { useQuery } from '@tanstack/react-query'
import { useApiClient } from '../api/ApiClientContext'
import { queryKeys } from '../api/queryKeys'

export function useAccounts() {
  const api = useApiClient()
  return useQuery({
    queryKey: queryKeys.accounts,
    queryFn: ({ signal }) => api.listAccounts(signal),
  })
}
