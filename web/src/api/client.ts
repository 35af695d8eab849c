import type {
  Account,
  AccountChange,
  Campaign,
  CampaignDryRun,
  CampaignInput,
  Schedule,
  UpcomingRun,
  CreateAccountInput,
  InboundResult,
  Message,
  Page,
  Pairing,
  Problem,
} from './types'

/** An error answered by the Linda API (or a failure to reach it at all, with status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem | null

  constructor(status: number, message: string, problem: Problem | null = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.problem = problem
  }
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401
}

/**
 * The field errors of a rejected request, keyed by path without its `body.` prefix
 * (`body.cloud.accessToken` → `cloud.accessToken`); the first message of each path wins.
 */
export function fieldErrors(error: unknown): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!(error instanceof ApiError)) return errors
  for (const { path, message } of error.problem?.errors ?? []) {
    const key = path.replace(/^body\.?/, '')
    errors[key] ??= message
  }
  return errors
}

/** A human sentence for any error thrown by the client. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof Error && error.message) return error.message
  return 'Something went wrong.'
}

export type ApiClientOptions = {
  apiKey: string
  /** Called when the API rejects the key, after the request has failed. */
  onUnauthorized?: () => void
}

export type MessagesQuery = {
  accountId: string
  phone: string
  limit?: number
}

export type InboundMessage = {
  from: string
  text: string
}

export type ApiClient = ReturnType<typeof createApiClient>

export function createApiClient({ apiKey, onUnauthorized }: ApiClientOptions) {
  async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers)
    headers.set('Authorization', `Bearer ${apiKey}`)
    headers.set('Accept', 'application/json, application/problem+json')
    if (init.body !== undefined) headers.set('Content-Type', 'application/json')

    let response: Response
    try {
      response = await fetch(path, { ...init, headers })
    } catch {
      throw new ApiError(0, 'Linda could not be reached. Check that the server is running.')
    }

    if (!response.ok) {
      const problem = await readProblem(response)
      if (response.status === 401) onUnauthorized?.()
      const message =
        problem?.detail ?? problem?.title ?? `Request failed (${String(response.status)}).`
      throw new ApiError(response.status, message, problem)
    }

    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }

  const account = (id: string) => `/api/v1/accounts/${encodeURIComponent(id)}`

  return {
    listAccounts(signal?: AbortSignal) {
      return request<Page<Account>>('/api/v1/accounts', { signal })
    },

    createAccount(input: CreateAccountInput) {
      return request<Account>('/api/v1/accounts', { method: 'POST', body: JSON.stringify(input) })
    },

    updateAccount(id: string, change: AccountChange) {
      return request<Account>(account(id), { method: 'PATCH', body: JSON.stringify(change) })
    },

    deleteAccount(id: string, { purge = false }: { purge?: boolean } = {}) {
      return request<undefined>(`${account(id)}${purge ? '?purge=true' : ''}`, { method: 'DELETE' })
    },

    connectAccount(id: string) {
      return request<Account>(`${account(id)}/connect`, { method: 'POST' })
    },

    disconnectAccount(id: string) {
      return request<Account>(`${account(id)}/disconnect`, { method: 'POST' })
    },

    logoutAccount(id: string) {
      return request<Account>(`${account(id)}/logout`, { method: 'POST' })
    },

    getPairing(id: string, signal?: AbortSignal) {
      return request<Pairing>(`${account(id)}/pairing`, { signal })
    },

    listMessages({ accountId, phone, limit = 50 }: MessagesQuery, signal?: AbortSignal) {
      const params = new URLSearchParams({ accountId, phone, limit: String(limit) })
      return request<Page<Message>>(`/api/v1/messages?${params.toString()}`, { signal })
    },

    sendInbound(accountId: string, message: InboundMessage) {
      return request<InboundResult>(`/api/v1/sandbox/${encodeURIComponent(accountId)}/inbound`, {
        method: 'POST',
        body: JSON.stringify(message),
      })
    },

    listCampaigns(signal?: AbortSignal) {
      return request<Page<Campaign>>('/api/v1/campaigns?limit=100', { signal })
    },

    dryRunCampaign(input: CampaignInput) {
      return request<CampaignDryRun>('/api/v1/campaigns/dry-run', {
        method: 'POST',
        body: JSON.stringify(input),
      })
    },

    createCampaign(input: CampaignInput) {
      return request<Campaign>('/api/v1/campaigns', { method: 'POST', body: JSON.stringify(input) })
    },

    campaignAction(id: string, action: 'start' | 'pause' | 'resume' | 'cancel') {
      return request<Campaign>(`/api/v1/campaigns/${encodeURIComponent(id)}/${action}`, {
        method: 'POST',
      })
    },

    /** The campaign's CSV report, fetched with the key (a plain link could not send it). */
    async campaignReport(id: string): Promise<Blob> {
      const response = await fetch(`/api/v1/campaigns/${encodeURIComponent(id)}/report.csv`, {
        headers: { Authorization: `Bearer ${apiKey}` },
      })
      if (!response.ok) {
        const problem = await readProblem(response)
        throw new ApiError(response.status, problem?.detail ?? 'The report could not be made.')
      }
      return response.blob()
    },

    listSchedules(signal?: AbortSignal) {
      return request<Page<Schedule>>('/api/v1/schedules?limit=100', { signal })
    },

    upcomingRuns(signal?: AbortSignal) {
      return request<{ items: UpcomingRun[] }>('/api/v1/schedules/upcoming?limit=20', { signal })
    },

    scheduleAction(id: string, action: 'pause' | 'resume') {
      return request<Schedule>(`/api/v1/schedules/${encodeURIComponent(id)}/${action}`, {
        method: 'POST',
      })
    },
  }
}

async function readProblem(response: Response): Promise<Problem | null> {
  try {
    const body: unknown = await response.json()
    return typeof body === 'object' && body !== null ? (body as Problem) : null
  } catch {
    return null
  }
}
