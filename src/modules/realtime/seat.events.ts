import type { SeatsChanged } from '@lineup/client-sdk/contract';

/** How booking announces seat changes; the gateway delivers them to subscribed sockets. */
export interface SeatEventPublisher {
  seatsChanged(payload: SeatsChanged): void;
}

/** Used where no gateway runs (CLI, some tests): changes are simply not broadcast. */
export const noSeatEvents: SeatEventPublisher = { seatsChanged: () => undefined };

/**
 * Seat changes to the realtime gateway (given at construction by the composition root), and to
 * anyone who subscribes to watch them (tests).
 */
export class SeatEvents implements SeatEventPublisher {
  private readonly watchers: ((payload: SeatsChanged) => void)[] = [];

  constructor(private readonly gateway: SeatEventPublisher) {}

  seatsChanged(payload: SeatsChanged): void {
    this.gateway.seatsChanged(payload);
    for (const watch of this.watchers) watch(payload);
  }

  /** Watches every change this instance announces. */
  subscribe(watch: (payload: SeatsChanged) => void): void {
    this.watchers.push(watch);
  }
}
