import { describe, expect, it } from 'vitest'
import { TransportError } from '../port.js'
import {
  CloudApiError,
  classifyMetaError,
  errorFromGraphResponse,
  isAuthFailure,
  parseRetryAfter,
} from './cloud.errors.js'

/** A Graph API error body as Meta documents it ("Error codes", error response syntax). */
function graphError(code: number, title: string, details?: string, subcode?: number) {
  return {
    error: {
      message: `(#${code}) ${title}`,
      type: 'OAuthException',
      code,
      ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
      ...(subcode ? { error_subcode: subcode } : {}),
      fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam',
    },
  }
}

describe(errorFromGraphResponse.name, () => {
  it('treats throughput (130429) as retryable after a second, keeping what Meta said', () => {
    const err = errorFromGraphResponse(
      400,
      graphError(
        130429,
        'Rate limit hit',
        'Cloud API message throughput has been reached.',
        2494055,
      ),
    )
    expect(err).toBeInstanceOf(TransportError)
    expect(err).toMatchObject({
      code: 'CLOUD_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 1_000,
      authFailure: false,
      meta: {
        code: 130429,
        subcode: 2494055,
        httpStatus: 400,
        title: 'Rate limit hit',
        details: 'Cloud API message throughput has been reached.',
        fbtraceId: 'Az8or2yhqkZfEZ-_4Qn_Bam',
      },
    })
    expect(err.message).toContain('130429')
  })

  it('backs off longer for the pair rate (131056), WABA (80007) and app (4) limits', () => {
    expect(errorFromGraphResponse(400, graphError(131056, 'pair rate limit hit'))).toMatchObject({
      code: 'CLOUD_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 6_000,
    })
    for (const code of [80007, 4]) {
      expect(errorFromGraphResponse(400, graphError(code, 'Rate limit issues'))).toMatchObject({
        code: 'CLOUD_RATE_LIMITED',
        retryable: true,
        retryAfterMs: 60_000,
      })
    }
  })

  it('honours a Retry-After header over the default wait', () => {
    const err = errorFromGraphResponse(
      429,
      graphError(130429, 'Rate limit hit'),
      new Headers({ 'retry-after': '7' }),
    )
    expect(err.retryAfterMs).toBe(7_000)
  })

  it('flags an expired or invalid token (190) as an auth failure, not retryable', () => {
    const err = errorFromGraphResponse(
      401,
      graphError(190, 'Error validating access token: Session has expired.', undefined, 463),
    )
    expect(err).toMatchObject({ code: 'CLOUD_AUTH_FAILED', retryable: false, authFailure: true })
    expect(err.retryAfterMs).toBeUndefined()
    expect(isAuthFailure(err)).toBe(true)
    expect(err.message).toMatch(/token/i)
  })

  it('flags missing permissions (10, 200-299) as auth failures too', () => {
    for (const code of [0, 3, 10, 200, 299]) {
      expect(
        isAuthFailure(errorFromGraphResponse(403, graphError(code, 'Permission denied'))),
      ).toBe(true)
    }
  })

  it('explains the re-engagement error (131047): outside the 24-hour window a template is needed', () => {
    const err = errorFromGraphResponse(
      400,
      graphError(
        131047,
        'Re-engagement message',
        'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
      ),
    )
    expect(err).toMatchObject({
      code: 'CLOUD_OUTSIDE_WINDOW',
      retryable: false,
      authFailure: false,
    })
    expect(err.message).toMatch(/24 hours/)
    expect(err.message).toMatch(/template/)
  })

  it('fails an undeliverable message (131026) for good, saying why', () => {
    const err = errorFromGraphResponse(400, graphError(131026, 'Message undeliverable'))
    expect(err).toMatchObject({ code: 'CLOUD_UNDELIVERABLE', retryable: false })
    expect(err.message).toMatch(/cannot deliver/)
  })

  it('refuses invalid parameters (100) and template errors (132xxx) without retrying', () => {
    const err = errorFromGraphResponse(
      400,
      graphError(100, 'Invalid parameter', "Param text['body'] is required"),
    )
    expect(err).toMatchObject({ code: 'CLOUD_INVALID_REQUEST', retryable: false })
    expect(err.message).toContain("Param text['body'] is required")
    expect(
      errorFromGraphResponse(400, graphError(132001, 'Template name does not exist')),
    ).toMatchObject({
      code: 'CLOUD_INVALID_REQUEST',
      retryable: false,
    })
  })

  it("retries Meta's temporary failures (1, 2, 131000, 131016, 133004)", () => {
    for (const [code, status] of [
      [1, 400],
      [2, 503],
      [131000, 500],
      [131016, 503],
      [133004, 503],
    ] as const) {
      expect(errorFromGraphResponse(status, graphError(code, 'Temporary'))).toMatchObject({
        code: 'CLOUD_UNAVAILABLE',
        retryable: true,
      })
    }
  })

  it('falls back on the HTTP status when the body is not a Graph error', () => {
    expect(errorFromGraphResponse(502, '<html>Bad gateway</html>')).toMatchObject({
      code: 'CLOUD_UNAVAILABLE',
      retryable: true,
    })
    expect(errorFromGraphResponse(401, undefined)).toMatchObject({
      code: 'CLOUD_AUTH_FAILED',
      authFailure: true,
    })
    expect(errorFromGraphResponse(429, {}, new Headers({ 'retry-after': '3' }))).toMatchObject({
      code: 'CLOUD_RATE_LIMITED',
      retryAfterMs: 3_000,
    })
    expect(errorFromGraphResponse(404, { unexpected: true })).toMatchObject({
      code: 'CLOUD_REJECTED',
      retryable: false,
    })
  })

  it('treats an unknown code by its HTTP status', () => {
    expect(errorFromGraphResponse(400, graphError(999_999, 'New thing'))).toMatchObject({
      code: 'CLOUD_REJECTED',
      retryable: false,
    })
    expect(errorFromGraphResponse(500, graphError(999_999, 'New thing'))).toMatchObject({
      code: 'CLOUD_UNAVAILABLE',
      retryable: true,
    })
  })
})

describe(classifyMetaError.name, () => {
  it('never marks an auth failure retryable, nor a throttle as an auth failure', () => {
    for (const code of [0, 3, 4, 10, 100, 190, 250, 80007, 130429, 131026, 131047, 131056]) {
      const c = classifyMetaError(code, 400)
      if (c.authFailure) expect(c.retryable).toBe(false)
      if (c.code === 'CLOUD_RATE_LIMITED') expect(c.authFailure ?? false).toBe(false)
    }
  })
})

describe(parseRetryAfter.name, () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2_000)
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000)
    expect(parseRetryAfter(null)).toBeUndefined()
    expect(parseRetryAfter('soon')).toBeUndefined()
  })
})

describe(isAuthFailure.name, () => {
  it('is false for other errors', () => {
    expect(isAuthFailure(new Error('x'))).toBe(false)
    expect(isAuthFailure(new CloudApiError('CLOUD_NETWORK', 'x', { retryable: true }))).toBe(false)
  })
})
