import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Linda's Prometheus metrics, on a registry of its own (never the global one). */
export class Metrics {
  readonly registry = new Registry()

  readonly httpDuration = new Histogram({
    name: 'linda_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  })

  readonly messages = new Counter({
    name: 'linda_messages_total',
    help: 'Messages by direction and the status they reached',
    labelNames: ['direction', 'status'] as const,
    registers: [this.registry],
  })

  readonly jobs = new Counter({
    name: 'linda_jobs_settled_total',
    help: 'Job attempts by queue and outcome (completed, retry, dead)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  })

  readonly jobDuration = new Histogram({
    name: 'linda_job_duration_seconds',
    help: 'How long job attempts ran, by queue',
    labelNames: ['queue'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  })

  readonly jobsWaiting = new Gauge({
    name: 'linda_jobs',
    help: 'Jobs in the queue by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  })

  readonly cloudWebhooks = new Counter({
    name: 'linda_cloud_webhooks_total',
    help: 'Cloud API webhook deliveries by outcome (signature_rejected counts forged or broken signatures)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  })

  readonly accounts = new Gauge({
    name: 'linda_accounts',
    help: 'Running accounts by connection state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  })

  readonly baileysRestarts = new Counter({
    name: 'linda_baileys_session_restarts_total',
    help: 'WhatsApp Web session workers restarted by their supervisor, by reason (crash, exit, memory, heartbeat)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  })

  readonly baileysWorkers = new Gauge({
    name: 'linda_baileys_workers',
    help: 'WhatsApp Web session workers running',
    registers: [this.registry],
  })

  readonly baileysWorkerMemory = new Gauge({
    name: 'linda_baileys_worker_memory_bytes',
    help: 'Memory of each WhatsApp Web session worker at its latest heartbeat: V8 heap, and buffers outside it',
    labelNames: ['account', 'kind'] as const,
    registers: [this.registry],
  })

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'linda_' })
  }
}
