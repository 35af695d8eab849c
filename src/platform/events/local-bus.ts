import type { Logger } from '../logging.js'
import type { DomainEvent, EventBus, EventHandler, EventName, EventRegistry } from './port.js'

/** The in-process event bus: handlers run on the next microtask, each isolated from the others. */
export class LocalEventBus implements EventBus {
  private readonly handlers = new Map<string, Set<EventHandler>>()

  constructor(private readonly logger: Logger) {}

  publish<N extends EventName>(type: N, data: EventRegistry[N]): void {
    const event: DomainEvent<N> = { type, data, at: new Date().toISOString() }
    for (const key of [type, '*']) {
      for (const handler of this.handlers.get(key) ?? []) {
        queueMicrotask(() => {
          try {
            handler(event as unknown as DomainEvent)
          } catch (err) {
            this.logger.error({ err, event: type }, 'event handler failed')
          }
        })
      }
    }
  }

  subscribe<N extends EventName>(type: N | '*', handler: EventHandler<N>): () => void {
    let set = this.handlers.get(type)
    if (!set) this.handlers.set(type, (set = new Set()))
    set.add(handler as unknown as EventHandler)
    return () => set.delete(handler as unknown as EventHandler)
  }
}
