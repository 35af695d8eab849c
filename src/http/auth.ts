import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  atLeast,
  csrfTokenOf,
  CSRF_HEADER,
  scopeOfRoute,
  sessionTokenOf,
  type AuthService,
} from '../users/index.js'
import { problem, sendProblem } from './errors.js'

/** The API key of a request: the bearer token, or for a browser WebSocket its subprotocol. */
export function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    return match?.[1] ?? ''
  }
  const protocols = req.headers['sec-websocket-protocol']
  if (protocols) {
    for (const p of protocols.split(',')) {
      const value = p.trim()
      if (value.startsWith('bearer.')) return value.slice('bearer.'.length)
    }
  }
  return undefined
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Whether a cookie-authenticated request comes from Linda's own pages: browsers say where
 * a request comes from in `Origin` (on every unsafe request and WebSocket) and
 * `Sec-Fetch-Site`; a request from another site is refused whatever else it carries.
 */
function fromOwnSite(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') return false
  const origin = req.headers.origin
  if (origin === undefined) return true
  try {
    // Through URL both sides drop a default port (`localhost:80` is `localhost`).
    return new URL(origin).host === new URL(`${req.protocol}://${req.host}`).host
  } catch {
    return false
  }
}

/**
 * onRequest hook: every /api route needs a signed-in session (the cookie) or an API key
 * (`Authorization: Bearer`, or a browser WebSocket's `bearer.<key>` subprotocol), unless
 * it is marked public. Then it checks the route's role (`config.minRole`), an API key's
 * scope (`config.scope`), and for a session the CSRF token on unsafe methods.
 */
export function authHook(auth: AuthService) {
  return async function authenticate(req: FastifyRequest, reply: FastifyReply) {
    if (!req.url.startsWith('/api/')) return
    if (req.url.startsWith('/api/v1/openapi.json')) return
    if (req.routeOptions.config?.public) return

    const key = presentedKey(req)
    let principal
    if (key !== undefined) {
      principal = key ? await auth.authenticateKey(key) : undefined
      if (!principal) {
        return sendProblem(
          reply.header('www-authenticate', 'Bearer error="invalid_token"'),
          problem('UNAUTHORIZED', 'The API key is not valid or has been revoked'),
        )
      }
    } else {
      const token = sessionTokenOf(req)
      if (!token) {
        return sendProblem(
          reply.header('www-authenticate', 'Bearer'),
          problem('UNAUTHORIZED', 'Sign in, or send an API key as "Authorization: Bearer <key>"'),
        )
      }
      principal = await auth.authenticateSession(token)
      if (!principal) {
        return sendProblem(
          reply.header('www-authenticate', 'Bearer'),
          problem('UNAUTHORIZED', 'Your session has ended (signed out or expired): sign in again'),
        )
      }
      const unsafe = !SAFE_METHODS.has(req.method)
      const upgrade = req.headers.upgrade?.toLowerCase() === 'websocket'
      if ((unsafe || upgrade) && !fromOwnSite(req)) {
        return sendProblem(
          reply,
          problem(
            'CSRF_FAILED',
            'A request signed in with a session must come from Linda’s own pages',
          ),
        )
      }
      if (unsafe && req.headers[CSRF_HEADER] !== csrfTokenOf(token)) {
        return sendProblem(
          reply,
          problem(
            'CSRF_FAILED',
            'Send the CSRF token of the session (from GET /api/v1/auth/me) as X-CSRF-Token',
          ),
        )
      }
    }
    req.principal = principal

    const safe = req.method === 'GET' || req.method === 'HEAD'
    const minRole = req.routeOptions.config?.minRole ?? (safe ? 'viewer' : 'agent')
    if (!atLeast(principal.role, minRole)) {
      const who = principal.via === 'apiKey' ? 'this API key has' : 'you have'
      return sendProblem(
        reply,
        problem('FORBIDDEN', `This needs the ${minRole} role; ${who} the ${principal.role} role`),
      )
    }
    if (principal.via === 'apiKey') {
      const scope = scopeOfRoute(req.method, minRole, req.routeOptions.config?.scope)
      if (!principal.hasScope(scope)) {
        return sendProblem(
          reply,
          problem(
            'FORBIDDEN',
            `This needs the ${scope} scope; this API key has ${principal.scopes.join(', ') || 'none'}`,
          ),
        )
      }
    }
  }
}

/**
 * preHandler hook (after validation): an `accountId` in the path, the query or the body
 * names an account the principal must have access to; to anyone else it does not exist.
 * Routes that name an account otherwise (`/accounts/{id}`, a message's account) check it
 * themselves with `req.principal.assertAccount`.
 */
export async function accountAccessHook(req: FastifyRequest): Promise<void> {
  const principal = req.principal
  if (!principal) return
  for (const source of [req.params, req.query, req.body]) {
    if (typeof source !== 'object' || source === null || Buffer.isBuffer(source)) continue
    const id = (source as { accountId?: unknown }).accountId
    if (typeof id === 'string') principal.assertAccount(id)
  }
}
