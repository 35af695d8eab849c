import { z } from 'zod'
import type { AccountsService, SendingHealthSource } from '../accounts/index.js'
import type { App } from '../http/types.js'
import type { DbHandle } from '../platform/db/index.js'
import { jobStates, type JobQueue } from '../platform/queue/index.js'
import type { Metrics } from './metrics.js'

const check = z.object({ ok: z.boolean(), detail: z.string().optional() })

const accountReadiness = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  sending: z
    .object({
      status: z.string(),
      pausedUntil: z.string().nullable(),
      breaker: z.string(),
    })
    .optional()
    .meta({ description: 'Whether its sends flow: `active`, or why they wait' }),
})

export function healthRoutes(deps: {
  db: DbHandle
  queue: JobQueue
  accounts: AccountsService
  metrics: Metrics
  version: string
  /** Each account's sending (pauses, breaker), shown beside its connection state. */
  sending?: SendingHealthSource
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
              accounts: z.array(accountReadiness),
            }),
            503: z.object({
              status: z.enum(['ready', 'not_ready']),
              checks: z.record(z.string(), check),
              accounts: z.array(accountReadiness),
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
        const accounts = await Promise.all(
          deps.accounts.states().map(async (a) => {
            const live = deps.accounts.live(a.id)
            const sending =
              live && deps.sending
                ? await deps.sending.sendingHealth(live).catch(() => undefined)
                : undefined
            return sending
              ? {
                  ...a,
                  sending: {
                    status: sending.status,
                    pausedUntil: sending.pausedUntil,
                    breaker: sending.breaker.state,
                  },
                }
              : a
          }),
        )
        return reply
          .code(ok ? 200 : 503)
          .send({ status: ok ? 'ready' : 'not_ready', checks, accounts })
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
