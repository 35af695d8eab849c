import { z } from 'zod'
import type { AccountsService } from '../accounts/index.js'
import type { App } from '../http/types.js'
import type { DbHandle } from '../platform/db/index.js'
import { jobStates, type JobQueue } from '../platform/queue/index.js'
import type { Metrics } from './metrics.js'

const check = z.object({ ok: z.boolean(), detail: z.string().optional() })

export function healthRoutes(deps: {
  db: DbHandle
  queue: JobQueue
  accounts: AccountsService
  metrics: Metrics
  version: string
}) {
  return async function register(app: App): Promise<void> {
    const tags = ['health']

    app.get(
      '/healthz',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Alive: the process answers',
          response: {
            200: z.object({
              status: z.literal('ok'),
              version: z.string(),
              uptimeSeconds: z.number(),
            }),
          },
        },
      },
      async () => ({
        status: 'ok' as const,
        version: deps.version,
        uptimeSeconds: Math.round(process.uptime()),
      }),
    )

    app.get(
      '/readyz',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Ready: the database answers, the queue runs, and how the accounts are',
          response: {
            200: z.object({
              status: z.enum(['ready', 'not_ready']),
              checks: z.record(z.string(), check),
              accounts: z.array(z.object({ id: z.string(), name: z.string(), state: z.string() })),
            }),
            503: z.object({
              status: z.enum(['ready', 'not_ready']),
              checks: z.record(z.string(), check),
              accounts: z.array(z.object({ id: z.string(), name: z.string(), state: z.string() })),
            }),
          },
        },
      },
      async (_req, reply) => {
        const checks: Record<string, z.infer<typeof check>> = {}
        try {
          await deps.db.ping()
          checks.database = { ok: true, detail: deps.db.dialect }
        } catch (err) {
          checks.database = { ok: false, detail: err instanceof Error ? err.message : String(err) }
        }
        checks.queue = deps.queue.running
          ? { ok: true }
          : { ok: false, detail: 'the job queue is not running' }
        const ok = Object.values(checks).every((c) => c.ok)
        return reply
          .code(ok ? 200 : 503)
          .send({ status: ok ? 'ready' : 'not_ready', checks, accounts: deps.accounts.states() })
      },
    )

    app.get(
      '/metrics',
      { config: { public: true }, schema: { tags, summary: 'Prometheus metrics', hide: false } },
      async (_req, reply) => {
        const counts = await deps.queue.counts().catch(() => undefined)
        if (counts)
          for (const state of jobStates) deps.metrics.jobsWaiting.set({ state }, counts[state])
        deps.metrics.accounts.reset()
        for (const a of deps.accounts.states()) deps.metrics.accounts.inc({ state: a.state })
        return reply
          .type(deps.metrics.registry.contentType)
          .send(await deps.metrics.registry.metrics())
      },
    )
  }
}
