import type { SeatsChanged } from '@lineup/client-sdk/contract';
import { SeatChangeBatches } from './seat-change-batches.events.js';

/** How booking announces seat changes; the gateway delivers them to subscribed sockets. */
export interface SeatEventPublisher {
  seatsChanged(payload: SeatsChanged): void;
}

/** Used where no gateway runs (CLI, some tests): changes are simply not broadcast. */
export const noSeatEvents: SeatEventPublisher = { seatsChanged: () => undefined };

/**
 * Seat changes to the realtime gateway (given at construction by the composition root), coalesced
 * per schedule over `windowMs` (see SeatChangeBatches; 0 sends each at once), and to anyone who
 * subscribes to watch them (tests: each commit's changes, as announced).
 */
export class SeatEvents implements SeatEventPublisher {
  private readonly watchers: ((payload: SeatsChanged) => void)[] = [];
  private readonly batches: SeatChangeBatches;

  constructor(gateway: SeatEventPublisher, windowMs = 0) {
    this.batches = new SeatChangeBatches(gateway, windowMs);
  }

  seatsChanged(payload: SeatsChanged): void {
    this.batches.seatsChanged(payload);
    for (const watch of this.watchers) watch(payload);
  }

  /** Sends the changes still waiting for their window (before the gateway closes). */
  flush(): void {
    this.batches.flushAll();
  }

  /** Watches every change this instance announces. */
  subscribe(watch: (payload: SeatsChanged) => void): void {
    this.watchers.push(watch);
  }
}
