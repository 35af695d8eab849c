// Conversation flows in process: how fast a message is matched against the keywords of 50
// flows (what the dispatcher asks of every message), and how fast the engine moves a
// conversation from one answer to the next question.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineFlow, FlowsService } from '../src/bot/flows/index.js'
import { runFlow } from '../src/bot/flows/flows.engine.js'
import { migrateToLatest, openDb } from '../src/platform/db/index.js'
import { createLogger } from '../src/platform/logging.js'
import type { JobQueue } from '../src/platform/queue/index.js'

export interface FlowsResult {
  flows: number
  triggerChecksPerSecond: number
  triggerP99Us: number
  engineRunsPerSecond: number
}

const vocabulary = [
  'hello',
  'order',
  'price',
  'where',
  'is',
  'my',
  'the',
  'delivery',
  'today',
  'please',
  'thanks',
  'open',
  'café',
  'ÑANDÚ',
  'size',
]

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0
}

export async function benchFlows(options: {
  flows: number
  messages: number
  log: (line: string) => void
}): Promise<FlowsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'linda-bench-flows-'))
  const handle = await openDb({ sqlitePath: join(dir, 'linda.db') })
  try {
    await migrateToLatest(handle.db)
    const service = new FlowsService({
      db: handle.db,
      queue: {} as JobQueue,
      messages: { send: () => Promise.reject(new Error('the benchmark sends nothing')) },
      accounts: { get: () => Promise.reject(new Error('no accounts here')) },
      logger: createLogger('silent'),
    })
    for (let i = 0; i < options.flows; i++) {
      service.registerFlow({
        id: `flow-${i}`,
        name: `Flow ${i}`,
        keywords: [`keyword${i}`, `two words${i}`, `menu ${i}`],
        steps: [{ id: 'q', type: 'ask', text: 'Yes?', var: 'answer' }],
      })
    }
    const texts = Array.from({ length: 1000 }, (_, i) => {
      const words = Array.from(
        { length: 8 },
        (_, j) => vocabulary[(i * 7 + j * 3) % vocabulary.length],
      )
      if (i % 10 === 0) words.push(`keyword${i % options.flows}`)
      return words.join(' ')
    })
    options.log(`flows: matching ${options.messages} messages against ${options.flows} flows`)
    await service.matchTrigger({ accountId: 'a', text: 'warm up' })
    const durations: number[] = []
    let hits = 0
    const started = process.hrtime.bigint()
    for (let i = 0; i < options.messages; i++) {
      const t0 = process.hrtime.bigint()
      if (await service.matchTrigger({ accountId: 'a', text: texts[i % texts.length]! })) hits++
      durations.push(Number(process.hrtime.bigint() - t0) / 1000)
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    if (hits !== Math.ceil(options.messages / 10))
      throw new Error(`expected a hit in 10 %, got ${hits}`)
    durations.sort((a, b) => a - b)

    const flow = defineFlow({
      id: 'order',
      name: 'Order',
      steps: [
        {
          id: 'size',
          type: 'ask',
          text: 'Size?',
          var: 'size',
          answer: {
            type: 'choice',
            choices: [{ value: 'small' }, { value: 'large', synonyms: ['big'] }],
          },
        },
        {
          id: 'count',
          type: 'ask',
          text: 'How many, {{contact.name}}?',
          var: 'count',
          answer: { type: 'number', min: 1, max: 20 },
        },
        {
          id: 'b',
          type: 'branch',
          cases: [{ when: { var: 'count', op: 'gte', value: 10 }, next: 'party' }],
          default: 'save',
        },
        { id: 'party', type: 'send', text: 'Party!', next: 'save' },
        { id: 'save', type: 'set', attributes: { size: '{{size}}' }, addTags: ['customer'] },
        { id: 'done', type: 'end', text: '{{count}} {{size}} for {{contact.name}}' },
      ],
    })
    const contact = {
      id: 'c',
      phone: '+15550001111',
      name: 'Aisha',
      language: null,
      tags: [],
      attributes: {},
    }
    const runs = options.messages
    options.log(`flows: ${runs} engine runs (answer → next question or end)`)
    const engineStarted = process.hrtime.bigint()
    for (let i = 0; i < runs; i++) {
      const atCount = i % 2 === 1
      await runFlow({
        flow,
        state: atCount
          ? { stepId: 'count', vars: { size: 'large' }, retries: 0 }
          : { stepId: 'size', vars: {}, retries: 0 },
        answer: { text: atCount ? String(i % 20) : 'the big one' },
        contact,
        loadFlow: () => Promise.resolve(undefined),
      })
    }
    const engineSeconds = Number(process.hrtime.bigint() - engineStarted) / 1e9
    return {
      flows: options.flows,
      triggerChecksPerSecond: Math.round(options.messages / seconds),
      triggerP99Us: Math.round(percentile(durations, 99) * 10) / 10,
      engineRunsPerSecond: Math.round(runs / engineSeconds),
    }
  } finally {
    await handle.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
