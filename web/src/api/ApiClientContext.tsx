import { createContext, use } from 'react'
import type { ReactNode } from 'react'
import type { ApiClient } from './client'

const ApiClientContext = createContext<ApiClient | null>(null)

export type ApiClientProviderProps = {
  client: ApiClient
  children: ReactNode
}

export function ApiClientProvider({ client, children }: ApiClientProviderProps) {
  return <ApiClientContext value={client}>{children}</ApiClientContext>
}

export function useApiClient(): ApiClient {
  const client = use(ApiClientContext)
  if (!client) throw new Error('useApiClient must be used inside <ApiClientProvider>')
  return client
}
