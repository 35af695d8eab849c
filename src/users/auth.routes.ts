import { z } from 'zod'
import { commonErrors, problemSchema, type App } from '../http/types.js'
import type { AuthService } from './auth.service.js'
import { csrfTokenOf } from './auth.service.js'
import { principalOf } from './principal.js'
import { clearSessionCookie, sessionTokenOf, setSessionCookie } from './session-cookie.js'
import {
  linkInfoSchema,
  loginBody,
  meSchema,
  setupBody,
  setupCheckBody,
  userSchema,
} from './users.schemas.js'
import type { UsersService } from './users.service.js'

const signedIn = z
  .object({ user: userSchema, csrfToken: z.string(), expiresAt: z.string() })
  .meta({ id: 'SignedIn' })

/** Sign-in, sign-out, who am I, and the one-time setup links. */
export function authRoutes(auth: AuthService, users: UsersService) {
  return async function register(app: App): Promise<void> {
    const tags = ['team']

    app.post(
      '/auth/login',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Sign in with email and password',
          description:
            'Sets the httpOnly session cookie and answers the CSRF token to send as `X-CSRF-Token` on unsafe requests. Failed sign-ins lock the email (after 5) and the client address (after 20) out for a time that doubles with each failure: `429 LOGIN_THROTTLED` with `Retry-After`.',
          security: [],
          body: loginBody,
          response: { 200: signedIn, 401: problemSchema, 400: problemSchema, 429: problemSchema },
        },
      },
      async (req, reply) => {
        const started = await auth.login({
          email: req.body.email,
          password: req.body.password,
          ip: req.ip,
          userAgent: req.headers['user-agent'],
          previousToken: sessionTokenOf(req),
        })
        setSessionCookie(req, reply, started.token, started.expiresAt)
        return { user: started.user, csrfToken: started.csrfToken, expiresAt: started.expiresAt }
      },
    )

    app.post(
      '/auth/logout',
      {
        config: { minRole: 'viewer', scope: 'read' },
        schema: {
          tags,
          summary: 'Sign out (end this session)',
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (req, reply) => {
        const principal = principalOf(req)
        if (principal.sessionId) await auth.logoutSession(principal.userId, principal.sessionId)
        clearSessionCookie(req, reply)
        return reply.code(204).send(null)
      },
    )

    app.post(
      '/auth/logout-all',
      {
        config: { minRole: 'viewer', scope: 'read' },
        schema: {
          tags,
          summary: 'Sign out everywhere (end every session of the caller)',
          description: 'API keys keep working: revoke them with DELETE /api-keys/{id}.',
          response: { 200: z.object({ revoked: z.number().int() }), ...commonErrors },
        },
      },
      async (req, reply) => {
        const revoked = await auth.logoutAll(principalOf(req).userId)
        clearSessionCookie(req, reply)
        return { revoked }
      },
    )

    app.get(
      '/auth/me',
      {
        config: { minRole: 'viewer' },
        schema: {
          tags,
          summary: 'Who is calling: the user, the role and scopes in force, the CSRF token',
          response: { 200: meSchema, ...commonErrors },
        },
      },
      async (req) => {
        const principal = principalOf(req)
        const token = principal.via === 'session' ? sessionTokenOf(req) : undefined
        return {
          user: await auth.me(principal),
          via: principal.via,
          role: principal.role,
          scopes: [...principal.scopes],
          csrfToken: token ? csrfTokenOf(token) : null,
        }
      },
    )

    app.post(
      '/auth/setup/check',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'What a setup, invite or reset link is for',
          security: [],
          body: setupCheckBody,
          response: { 200: linkInfoSchema, 400: problemSchema, 410: problemSchema },
        },
      },
      async (req) => users.inspectLink(req.body.token),
    )

    app.post(
      '/auth/setup',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Use a setup, invite or reset link: set the password and sign in',
          description:
            'A setup link creates the user with the email and name given; an invite or reset link sets the password of its user (a reset ends their other sessions). The link works once.',
          security: [],
          body: setupBody,
          response: {
            200: signedIn,
            400: problemSchema,
            409: problemSchema,
            410: problemSchema,
            422: problemSchema,
          },
        },
      },
      async (req, reply) => {
        const user = await users.completeLink(req.body.token, {
          email: req.body.email,
          name: req.body.name,
          password: req.body.password,
        })
        const previous = sessionTokenOf(req)
        if (previous) await auth.logoutToken(previous)
        const started = await auth.startSession(user, {
          ip: req.ip,
          userAgent: req.headers['user-agent'],
        })
        setSessionCookie(req, reply, started.token, started.expiresAt)
        return { user, csrfToken: started.csrfToken, expiresAt: started.expiresAt }
      },
    )
  }
}
