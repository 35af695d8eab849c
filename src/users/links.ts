import type { FastifyRequest } from 'fastify'
import type { IssuedLink } from './users.service.js'

/**
 * The address of a one-time link: on LINDA_PUBLIC_URL when set, else on the address the
 * request came to (the dashboard's own origin).
 */
export function linkUrl(
  base: string | undefined,
  link: IssuedLink,
  req?: FastifyRequest,
): { url: string; kind: IssuedLink['kind']; expiresAt: string } {
  const origin = (base ?? (req ? `${req.protocol}://${req.host}` : '')).replace(/\/+$/, '')
  return {
    url: `${origin}/setup?token=${encodeURIComponent(link.token)}`,
    kind: link.kind,
    expiresAt: link.expiresAt,
  }
}
