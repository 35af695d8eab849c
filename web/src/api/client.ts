import type {
  Account,
  AccountChange,
  ApiKey,
  Campaign,
  CampaignDryRun,
  CampaignInput,
  Schedule,
  UpcomingRun,
  CreateAccountInput,
  CreatedApiKey,
  InboundResult,
  InviteInput,
  LinkInfo,
  Me,
  Message,
  OneTimeLink,
  Page,
  Pairing,
  Problem,
  Scope,
  SignedIn,
  User,
  UserChange,
} from './types'

/** An error answered by the Linda API (or a failure to reach it at all, with status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem | null
  /** Seconds to wait before trying again, when the API said so (429). */
  readonly retryAfter: number | null

  constructor(
    status: number,
    message: string,
    problem: Problem | null = null,
    retryAfter: number | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.problem = problem
    this.retryAfter = retryAfter
  }
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401
}

/** The `code` of the problem behind an error, if the API answered one. */
export function errorCode(error: unknown): string | undefined {
  return error instanceof ApiError ? (error.problem?.code ?? undefined) : undefined
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
  /** The session's CSRF token, sent on every request that changes something. */
  csrfToken?: string | null
  /** Called when the API says the session has ended, after the request has failed. */
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

/**
 * The dashboard's API client. It signs in with the session cookie (the browser sends it;
 * scripts can't read it) and sends the session's CSRF token on unsafe methods.
 */
export function createApiClient({ csrfToken, onUnauthorized }: ApiClientOptions = {}) {
  async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers)
    headers.set('Accept', 'application/json, application/problem+json')
    if (init.body !== undefined) headers.set('Content-Type', 'application/json')
    const method = (init.method ?? 'GET').toUpperCase()
    if (csrfToken && method !== 'GET' && method !== 'HEAD') headers.set('X-CSRF-Token', csrfToken)

    let response: Response
    try {
      response = await fetch(path, { ...init, headers, credentials: 'same-origin' })
    } catch {
      throw new ApiError(0, 'Linda could not be reached. Check that the server is running.')
    }

    if (!response.ok) {
      const problem = await readProblem(response)
      if (response.status === 401) onUnauthorized?.()
      const message =
        problem?.detail ?? problem?.title ?? `Request failed (${String(response.status)}).`
      const retryAfter = Number(response.headers.get('retry-after'))
      throw new ApiError(response.status, message, problem, retryAfter > 0 ? retryAfter : null)
    }

    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }

  const account = (id: string) => `/api/v1/accounts/${encodeURIComponent(id)}`
  const user = (id: string) => `/api/v1/users/${encodeURIComponent(id)}`
  const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) })

  return {
    me(signal?: AbortSignal) {
      return request<Me>('/api/v1/auth/me', { signal })
    },

    login(email: string, password: string) {
      return request<SignedIn>('/api/v1/auth/login', post({ email, password }))
    },

    logout() {
      return request<undefined>('/api/v1/auth/logout', { method: 'POST' })
    },

    logoutEverywhere() {
      return request<{ revoked: number }>('/api/v1/auth/logout-all', { method: 'POST' })
    },

    checkLink(token: string) {
      return request<LinkInfo>('/api/v1/auth/setup/check', post({ token }))
    },

    completeLink(input: { token: string; email?: string; name?: string; password: string }) {
      return request<SignedIn>('/api/v1/auth/setup', post(input))
    },

    listUsers(signal?: AbortSignal) {
      return request<Page<User>>('/api/v1/users?limit=200', { signal })
    },

    inviteUser(input: InviteInput) {
      return request<{ user: User; link: OneTimeLink }>('/api/v1/users', post(input))
    },

    updateUser(id: string, change: UserChange) {
      return request<User>(user(id), { method: 'PATCH', body: JSON.stringify(change) })
    },

    disableUser(id: string) {
      return request<User>(`${user(id)}/disable`, { method: 'POST' })
    },

    enableUser(id: string) {
      return request<User>(`${user(id)}/enable`, { method: 'POST' })
    },

    userLink(id: string) {
      return request<OneTimeLink>(`${user(id)}/link`, { method: 'POST' })
    },

    listApiKeys(signal?: AbortSignal) {
      return request<{ items: ApiKey[] }>('/api/v1/api-keys', { signal })
    },

    createApiKey(input: { name: string; scopes: Scope[] }) {
      return request<CreatedApiKey>('/api/v1/api-keys', post(input))
    },

    revokeApiKey(id: string) {
      return request<undefined>(`/api/v1/api-keys/${encodeURIComponent(id)}`, {
        method: 'DELETE',
      })
    },

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

    /** The campaign's CSV report (with the session cookie), to save as a file. */
    async campaignReport(id: string): Promise<Blob> {
      const response = await fetch(`/api/v1/campaigns/${encodeURIComponent(id)}/report.csv`, {
        credentials: 'same-origin',
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
