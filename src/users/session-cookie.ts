import type {} from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** The session cookie: httpOnly, SameSite=Strict, Secure whenever the request came over HTTPS. */
export const SESSION_COOKIE = 'linda_session'

/** The header that carries the CSRF token on unsafe requests made with the session cookie. */
export const CSRF_HEADER = 'x-csrf-token'

export function sessionTokenOf(req: FastifyRequest): string | undefined {
  const value = req.cookies[SESSION_COOKIE]
  return value && value.length <= 128 ? value : undefined
}

export function setSessionCookie(
  req: FastifyRequest,
  reply: FastifyReply,
  token: string,
  expiresAt: string,
): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: req.protocol === 'https',
    expires: new Date(expiresAt),
  })
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: req.protocol === 'https',
  })
}
