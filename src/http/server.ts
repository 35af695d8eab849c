import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import fastifyCookie from '@fastify/cookie'
import fastifyHelmet from '@fastify/helmet'
import fastifyRateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import fastifyWebsocket from '@fastify/websocket'
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify'
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import { sha256 } from '../platform/crypto.js'
import type { Logger } from '../platform/logging.js'
import type { Metrics } from '../monitoring/index.js'
import { sessionTokenOf, type AuthService, type Role, type Scope } from '../users/index.js'
import { accountAccessHook, authHook, presentedKey } from './auth.js'
import { eventsProtocol } from './events.routes.js'
import { errorHandler, problem, sendProblem } from './errors.js'
import type { App } from './types.js'

export interface HttpOptions {
  logger: Logger
  metrics: Metrics
  auth: AuthService
  /** Trust X-Forwarded-* from a reverse proxy (client address, https for Secure cookies). */
  trustProxy?: boolean | string[]
  bodyLimit: number
  /** Requests a minute per client on /api; 0: unlimited. */
  rateLimit: number
  version: string
  /** The built dashboard (index.html and assets), served at `/` when present. */
  webRoot?: string
  /** Route plugins mounted under /api/v1. */
  api: Array<(app: App) => Promise<void>>
  /** Route plugins mounted at the root (health, metrics). */
  root: Array<(app: App) => Promise<void>>
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/

/** A registered route and its access rule, as the authorization test enumerates them. */
export interface RouteEntry {
  method: string
  url: string
  public: boolean
  minRole: Role | undefined
  scope: Scope | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, with its access rule (HEAD twins left out). */
    routeTable: RouteEntry[]
  }
}

/** Query parameters whose values never reach a log line. */
const SECRET_PARAMS = /([?&](?:hub\.verify_token|access_token|token|key)=)[^&]*/gi

function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]')
}

/** Builds the Fastify server: security, validation, errors, docs, auth, metrics, the dashboard. */
export async function buildHttpServer(options: HttpOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit,
    // A request id on every log line: the caller's X-Request-Id when sane, else a new one.
    // requestIdHeader off: with it set Fastify takes the header as is and never calls genReqId.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    // Requests are logged once, at the end, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: false,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    // Errors Fastify raises before routing (a malformed URL…) are problems like the rest.
    frameworkErrors: (err, _req, reply) => {
      void sendProblem(
        reply,
        problem('VALIDATION_FAILED', `The request URL is not valid: ${err.message}`),
      )
    },
  }).withTypeProvider<ZodTypeProvider>()

  // JSON in, JSON out: a text body is refused as such (415) rather than read as a string.
  app.removeContentTypeParser('text/plain')

  const routeTable: RouteEntry[] = []
  app.decorate('routeTable', routeTable)
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      if (method === 'HEAD') continue
      const config = route.config as { public?: boolean; minRole?: Role; scope?: Scope } | undefined
      routeTable.push({
        method,
        url: route.url,
        public: config?.public === true,
        minRole: config?.minRole,
        scope: config?.scope,
      })
    }
  })

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(errorHandler)

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
  })

  // Before the auth hook: the plugin's own onRequest hook marks upgrade requests, so that a
  // refused upgrade (401) has its socket closed; after it, refused sockets stayed open and
  // kept close() waiting forever.
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: 64 * 1024,
      handleProtocols: (protocols: Set<string>) =>
        protocols.has(eventsProtocol) ? eventsProtocol : false,
    },
  })

  await app.register(fastifyCookie)

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id)
  })
  if (options.rateLimit > 0) {
    await app.register(fastifyRateLimit, {
      max: options.rateLimit,
      timeWindow: 60_000,
      // Per API key or session (by its hash, never the secret itself), else per address.
      keyGenerator: (req) => {
        const key = presentedKey(req)
        if (key) return `key:${sha256(key)}`
        const session = sessionTokenOf(req)
        return session ? `session:${sha256(session)}` : `ip:${req.ip}`
      },
      allowList: (req) => !req.url.startsWith('/api/'),
    })
  }
  app.addHook('onRequest', authHook(options.auth))
  app.addHook('preHandler', accountAccessHook)
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched'
    options.metrics.httpDuration.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    )
    const level = reply.statusCode >= 500 ? 'error' : 'debug'
    req.log[level](
      {
        method: req.method,
        url: redactUrl(req.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    )
  })

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Linda API',
        description:
          'Self-hosted WhatsApp automation. Programs authenticate with `Authorization: Bearer <API key>`; the dashboard with the session cookie of `POST /api/v1/auth/login` (and `X-CSRF-Token` on unsafe requests). Errors are application/problem+json.',
        version: options.version,
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'linda_session',
            description: 'The session cookie set by POST /api/v1/auth/login',
          },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    uiConfig: { url: '/api/v1/openapi.json', deepLinking: true },
  })

  app.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  )

  for (const plugin of options.root) await app.register(plugin)
  await app.register(
    async (api) => {
      for (const plugin of options.api) await api.register(plugin)
    },
    { prefix: '/api/v1' },
  )

  const webRoot = options.webRoot
  const hasWeb = webRoot !== undefined && existsSync(`${webRoot}/index.html`)
  if (hasWeb) {
    await app.register(fastifyStatic, { root: webRoot, wildcard: false, index: false })
  }

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0] ?? '/'
    // Any GET outside the API that does not name a file is a dashboard page.
    const isPage =
      req.method === 'GET' && !path.startsWith('/api/') && !/\.[A-Za-z0-9]+$/.test(path)
    if (isPage && hasWeb) {
      // The dashboard routes in the browser: every page path serves its index.html.
      return reply.header('cache-control', 'no-cache').sendFile('index.html')
    }
    if (isPage && path === '/') {
      return reply
        .type('text/html')
        .send(
          '<!doctype html><title>Linda</title><p>The dashboard is not built. Run <code>npm run build:web</code> (npm start does it for you).</p>',
        )
    }
    return sendProblem(
      reply,
      problem('NOT_FOUND', `No route for ${req.method} ${req.url.split('?')[0]}`),
    )
  })

  return app
}
