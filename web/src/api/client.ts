import type { Account, InboundResult, Message, Page, Problem } from './types'

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

    return (await response.json()) as T
  }

  return {
    listAccounts(signal?: AbortSignal) {
      return request<Page<Account>>('/api/v1/accounts', { signal })
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
