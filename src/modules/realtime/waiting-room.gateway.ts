import type { Namespace, Socket } from 'socket.io';
import type { Logger } from 'pino';
import type { QueueProgress } from '@lineup/client-sdk/contract';
import type { QueueService } from '../queue/queue.service.js';

/** The room of a concert's waiting sockets (pre-queue and waiting), on every instance. */
export const waitingRoom = (concertId: number) => `w:${concertId}`;

/** How many fans' statuses one Redis pipeline reads when a frame cannot be applied. */
const STATUS_BATCH = 1_000;

interface FanData {
  claims: { concertId: number; userId: number; eid: number };
}

/**
 * Keeps this instance's waiting sockets informed (SPEC §5): each `queue:progress` frame, the same
 * for every waiting fan of a concert, is encoded once and written to each socket of the concert's
 * room (frame-writer.gateway.ts), so the per-socket work is one write and no Redis call. Frames that cannot be applied (`departed: null`) are followed by
 * each local fan's own `queue:status`, read in batches. A line whose ticks stop (leader failover)
 * still hears its last frame every push interval: clients ignore a tick they already have.
 */
export class WaitingRoom {
  /** concertId -> the last frame broadcast here, and when. */
  private readonly last = new Map<number, { frame: QueueProgress; at: number }>();

  constructor(
    private readonly nsp: Namespace,
    /** Writes a frame, encoded once, to every local socket of a room (frame-writer.gateway.ts). */
    private readonly writeProgress: (room: string, frame: QueueProgress) => void,
    private readonly queue: QueueService,
    private readonly logger: Logger,
    private readonly pushIntervalMs: number,
  ) {}

  /** The latest tick of a concert's line this instance has broadcast (0 if none yet). */
  lastTick(concertId: number): number {
    return this.last.get(concertId)?.frame.tick ?? 0;
  }

  /** One frame from the leader (its own bus, or the adapter from another instance). */
  onFrame(frame: QueueProgress): void {
    if (frame.tick <= this.lastTick(frame.concertId)) return;
    this.last.set(frame.concertId, { frame, at: Date.now() });
    this.writeProgress(waitingRoom(frame.concertId), frame);
    if (frame.departed === null) void this.sendStatuses(frame.concertId);
  }

  /** Repeats a line's last frame to its sockets when no tick came for a push interval. */
  heartbeat(): void {
    const due = Date.now() - this.pushIntervalMs;
    for (const [concertId, entry] of this.last) {
      if (entry.at > due) continue;
      const room = waitingRoom(concertId);
      // Nobody waits here for this line (or it retired): nothing to repeat, nothing to keep.
      if (!this.nsp.adapter.rooms.has(room)) this.last.delete(concertId);
      else {
        entry.at = Date.now();
        this.writeProgress(room, entry.frame);
      }
    }
  }

  /** Every local waiting fan of a concert gets its own exact status (after a shuffle, etc.). */
  async sendStatuses(concertId: number): Promise<void> {
    const ids = [...(this.nsp.adapter.rooms.get(waitingRoom(concertId)) ?? [])];
    for (let i = 0; i < ids.length; i += STATUS_BATCH) {
      const sockets = ids
        .slice(i, i + STATUS_BATCH)
        .map((id) => this.nsp.sockets.get(id) as Socket | undefined)
        .filter((s): s is Socket => s !== undefined);
      try {
        const claims = sockets.map((s) => (s.data as FanData).claims);
        const statuses = await this.queue.statuses(concertId, claims);
        statuses.forEach((status, j) => {
          if (
            status.state === 'waiting' ||
            status.state === 'prequeue' ||
            status.state === 'active'
          )
            sockets[j]!.emit('queue:status', this.queue.socketView(concertId, status));
        });
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, concertId }, 'status resend failed');
      }
    }
  }

  /**
   * A connected socket is a sign of life, of a waiting fan and of an admitted one (on the booking
   * page): one Redis call per concert for all fans with a socket here.
   */
  async touchConnected(): Promise<void> {
    const byConcert = new Map<number, number[]>();
    for (const socket of this.nsp.sockets.values()) {
      const claims = (socket.data as FanData | undefined)?.claims;
      if (!claims) continue;
      const users = byConcert.get(claims.concertId);
      if (users) users.push(claims.userId);
      else byConcert.set(claims.concertId, [claims.userId]);
    }
    for (const [concertId, userIds] of byConcert) {
      await this.queue.touchConnected(concertId, userIds).catch((err: Error) => {
        this.logger.warn({ err: err.message, concertId }, 'sign-of-life update failed');
      });
    }
  }
}
