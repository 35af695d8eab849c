/**
 * The typed event registry: modules add their events by augmenting this interface, one
 * payload type per event name (`message.received`, `account.state`, …).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EventRegistry {}

export type EventName = keyof EventRegistry & string

export interface DomainEvent<N extends EventName = EventName> {
  type: N
  data: EventRegistry[N]
  /** When it happened, ISO 8601. */
  at: string
}

export type EventHandler<N extends EventName = EventName> = (event: DomainEvent<N>) => void

export interface EventBus {
  /** Publishes an event to every subscriber; never throws, never waits for them. */
  publish<N extends EventName>(type: N, data: EventRegistry[N]): void
  /** Subscribes to one event name, or to all with '*'; returns the unsubscribe function. */
  subscribe<N extends EventName>(type: N | '*', handler: EventHandler<N>): () => void
}
