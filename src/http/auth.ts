import type { FastifyReply, FastifyRequest } from 'fastify'
import { atLeast, type ApiKeysService } from '../users/index.js'
import { problem, sendProblem } from './errors.js'

/** The API key of a request: the bearer token, or for a browser WebSocket its subprotocol. */
export function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    return match?.[1]
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

/** onRequest hook: every /api route needs a valid API key unless it is marked public. */
export function authHook(keys: ApiKeysService) {
  return async function authenticate(req: FastifyRequest, reply: FastifyReply) {
    if (req.routeOptions.config?.public) return
    if (!req.url.startsWith('/api/')) return
    if (req.url.startsWith('/api/v1/openapi.json')) return
    const key = presentedKey(req)
    if (!key) {
      return sendProblem(
        reply.header('www-authenticate', 'Bearer'),
        problem('UNAUTHORIZED', 'Send an API key as "Authorization: Bearer <key>"'),
      )
    }
    const record = key.length <= 256 ? await keys.verify(key) : undefined
    if (!record) {
      return sendProblem(
        reply.header('www-authenticate', 'Bearer error="invalid_token"'),
        problem('UNAUTHORIZED', 'The API key is not valid or has been revoked'),
      )
    }
    req.principal = { keyId: record.id, role: record.role, name: record.name }
    const safe = req.method === 'GET' || req.method === 'HEAD'
    const minRole = req.routeOptions.config?.minRole ?? (safe ? 'viewer' : 'agent')
    if (!atLeast(record.role, minRole)) {
      return sendProblem(
        reply,
        problem(
          'FORBIDDEN',
          `This needs the ${minRole} role; this API key has the ${record.role} role`,
        ),
      )
    }
  }
}
