import type { SeatsChanged } from '@lineup/client-sdk/contract';

/** How booking announces seat changes; the gateway delivers them to subscribed sockets. */
export interface SeatEventPublisher {
  seatsChanged(payload: SeatsChanged): void;
}

/** Used where no gateway runs (CLI, some tests): changes are simply not broadcast. */
export const noSeatEvents: SeatEventPublisher = { seatsChanged: () => undefined };

/**
 * Lets services built before the HTTP server (and so before the gateway) publish seat changes:
 * the gateway is plugged in once it exists.
 */
export class SeatEventRelay implements SeatEventPublisher {
  target: SeatEventPublisher = noSeatEvents;

  seatsChanged(payload: SeatsChanged): void {
    this.target.seatsChanged(payload);
  }
}
