// Template renders and language detections per second, in this process. Bounded: each part
// runs a fixed number of iterations or stops after `maxSeconds`, whichever comes first.
import { execFileSync } from 'node:child_process'
import { LanguageDetector } from '../src/languages/index.js'
import { renderTemplate, type Template } from '../src/templates/index.js'

const template: Template = {
  id: '0190aaaa-0000-7000-8000-0000000000be',
  name: 'order_shipped',
  category: 'utility',
  description: null,
  variables: [
    { name: 'name', type: 'text' },
    { name: 'items', type: 'number' },
    { name: 'eta', type: 'date' },
    { name: 'total', type: 'number' },
  ],
  variants: [
    {
      language: 'en',
      text: 'Hi {name}, {items, plural, one {your item is} other {your # items are}} on the way, arriving {eta, date, long}. Total {total, number, ::currency/USD}.',
      cloud: {
        name: 'order_shipped',
        body: [
          { type: 'text', text: '{name}' },
          { type: 'dateTime', variable: 'eta' },
          { type: 'currency', variable: 'total', code: 'USD' },
        ],
      },
    },
    {
      language: 'ar',
      text: 'مرحبا {name}، {items, plural, zero {لا شيء} one {طلبك} two {طلباك} few {# طلبات} many {# طلبًا} other {# طلب}} في الطريق، يصل {eta, date, long}. المجموع {total, number, ::currency/AED}.',
    },
    {
      language: 'fr',
      text: 'Bonjour {name}, {items, plural, one {votre article est} other {vos # articles sont}} en route, arrivée le {eta, date, long}. Total {total, number, ::currency/EUR}.',
    },
  ],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}

const texts = [
  'where is my order?',
  'I need to change my address',
  '¿dónde está mi pedido?',
  'quiero cancelar mi suscripción',
  'je veux annuler mon abonnement',
  "mon colis n'est pas encore arrivé",
  'minha encomenda ainda não chegou',
  'quero cancelar minha assinatura',
  'أريد إلغاء اشتراكي',
  'هل يمكنني الدفع بالبطاقة؟',
  'ok',
  'thank you so much for your help, see you tomorrow at the shop',
]

function rate(count: number, startedNs: bigint): number {
  const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9
  return Math.round(count / seconds)
}

/**
 * The heap the detector's n-grams take, in a fresh process (in this one an earlier
 * benchmark may have loaded them already).
 */
function detectorHeap(): number {
  const script = `
    globalThis.gc(); const before = process.memoryUsage().heapUsed
    const { eld } = await import('eld/extrasmall'); eld.detect('warming up the detector')
    globalThis.gc(); process.stdout.write(String(process.memoryUsage().heapUsed - before))`
  const bytes = Number(
    execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    }),
  )
  return Math.round(bytes / 1e5) / 10
}

export interface TemplatesLanguagesResult {
  rendersPerSecond: number
  cloudRendersPerSecond: number
  detectionsPerSecond: number
  /** Heap the detector's n-grams take once loaded. */
  detectorHeapMb: number
}

export async function benchTemplatesLanguages(opts: {
  iterations: number
  maxSeconds: number
  log: (line: string) => void
}): Promise<TemplatesLanguagesResult> {
  const languages = ['en', 'ar', 'fr', 'es']
  const contact = (i: number) => ({
    name: `Contact ${i}`,
    phone: '+15550001111',
    language: languages[i % languages.length]!,
    attributes: {},
  })
  const vars = (i: number) => ({
    items: i % 12,
    eta: '2026-03-07T09:00:00Z',
    total: 10 + (i % 100),
  })
  const run = (render: (i: number) => void): number => {
    for (let i = 0; i < 200; i++) render(i) // warm up: compile each variant once
    const deadline = Date.now() + opts.maxSeconds * 1000
    const started = process.hrtime.bigint()
    let i = 0
    for (; i < opts.iterations && (i % 1000 !== 0 || Date.now() < deadline); i++) render(i)
    return rate(i, started)
  }

  opts.log('templates: free-form renders')
  const rendersPerSecond = run((i) => {
    renderTemplate(template, { contact: contact(i), vars: vars(i), timeZone: 'Asia/Dubai' })
  })
  opts.log('templates: Cloud API template renders')
  const cloudRendersPerSecond = run((i) => {
    renderTemplate(template, {
      contact: contact(i),
      vars: vars(i),
      language: 'en',
      templatesRequired: true,
    })
  })

  opts.log('languages: detection')
  const detectorHeapMb = detectorHeap()
  const detector = new LanguageDetector()
  await detector.detect('warming up the detector')
  const deadline = Date.now() + opts.maxSeconds * 1000
  const started = process.hrtime.bigint()
  let n = 0
  for (; n < opts.iterations && (n % 1000 !== 0 || Date.now() < deadline); n++) {
    await detector.detect(texts[n % texts.length])
  }
  const detectionsPerSecond = rate(n, started)
  return { rendersPerSecond, cloudRendersPerSecond, detectionsPerSecond, detectorHeapMb }
}
