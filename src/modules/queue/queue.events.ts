import { EventEmitter } from 'node:events';
import type { QueueProgress } from '@lineup/client-sdk/contract';

// What the queue tells the rest of the system. The realtime gateway subscribes and turns these
// into socket events; anything published here on one instance is local to it — cross-instance
// delivery is the gateway's job (socket.io Redis adapter).

export type EndReason = 'completed' | 'expired' | 'left' | 'removed' | 'closed';

export type QueueEvent =
  /** Many fans' places ended at once, for one reason (a line closed): told in one message. */
  | { type: 'endedMany'; concertId: number; userIds: number[]; reason: EndReason }
  | {
      type: 'admitted';
      concertId: number;
      userId: number;
      activeUntil: number;
      admittedAt: number;
      /** The admitting tick, and the fan's ticket in the line it left. */
      tick: number;
      ticket: number;
    }
  | { type: 'ended'; concertId: number; userId: number; reason: EndReason }
  /**
   * Published by the leader once per concert per tick: the `queue:progress` frame itself (SPEC §5),
   * the one shape a tick has from the leader to the wire.
   */
  | { type: 'tick'; frame: QueueProgress };

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
