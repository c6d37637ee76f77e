import { EventEmitter } from 'node:events';

// What the queue tells the rest of the system. The realtime gateway subscribes and turns these
// into socket events; anything published here on one instance is local to it — cross-instance
// delivery is the gateway's job (socket.io Redis adapter).

export type EndReason = 'completed' | 'expired' | 'left' | 'removed' | 'closed';

export type QueueEvent =
  | { type: 'admitted'; concertId: number; userId: number; activeUntil: number; admittedAt: number }
  | { type: 'ended'; concertId: number; userId: number; reason: EndReason }
  /** Many fans' places ended at once, for one reason (a line closed): told in one message. */
  | { type: 'endedMany'; concertId: number; userIds: number[]; reason: EndReason }
  | {
      /** Published by the leader once per concert per tick. */
      type: 'tick';
      concertId: number;
      tick: number;
      /** Tickets admitted this tick (each was at the head of the line). */
      admittedTickets: number[];
      /** Tickets of waiting fans who left or were removed since the previous tick. */
      departedTickets: number[];
      waiting: number;
      prequeue: number;
      active: number;
      ratePerSecond: number | null;
      /** The pre-queue was shuffled into the line this tick. */
      shuffled: boolean;
    };

export interface QueueEventPublisher {
  publish(event: QueueEvent): void;
}

/** In-process fan-out of queue events to any number of subscribers. */
export class QueueEventBus implements QueueEventPublisher {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(event: QueueEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: QueueEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
