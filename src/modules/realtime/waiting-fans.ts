import type { Logger } from 'pino';
import type { QueueSocketStatus } from '@lineup/client-sdk/contract';
import type { Config } from '../../config/index.js';
import type { QueueService } from '../queue/queue.service.js';
import type { QueueStore, StatusResult } from '../queue/queue.store.js';
import { ConcertLine, type TickDelta, type TrackedFan } from './position-book.js';

export interface WaitingFansDeps {
  store: QueueStore;
  queue: QueueService;
  config: Config;
  logger: Logger;
}

/**
 * This instance's sockets, by concert and fan, and what keeps the waiting ones informed: exact
 * positions from the leader's deltas (position-book.ts), pushed when they change and as a
 * heartbeat, and the sign of life their connection gives. `S` is the socket type; `send`
 * delivers one `queue:status`.
 */
export class WaitingFans<S> {
  private readonly lines = new Map<number, ConcertLine>();
  /** concertId -> userId -> this instance's sockets of that fan. */
  private readonly sockets = new Map<number, Map<number, Set<S>>>();
  private readonly lastPush = new Map<string, number>();

  constructor(
    private readonly deps: WaitingFansDeps,
    private readonly send: (socket: S, status: QueueSocketStatus) => void,
  ) {}

  /** A socket of a fan connected here. */
  add(concertId: number, userId: number, socket: S): void {
    let fans = this.sockets.get(concertId);
    if (!fans) this.sockets.set(concertId, (fans = new Map()));
    fans.set(userId, (fans.get(userId) ?? new Set<S>()).add(socket));
  }

  /** A socket went away; the fan's last one stops its tracking here. */
  remove(concertId: number, userId: number, socket: S): void {
    const fans = this.sockets.get(concertId);
    const mine = fans?.get(userId);
    if (!mine) return;
    mine.delete(socket);
    if (mine.size > 0) return;
    fans!.delete(userId);
    this.untrack(concertId, userId);
    this.lastPush.delete(`${concertId}:${userId}`);
  }

  /**
   * Follows a waiting fan's position from the entry read at its handshake. False if a tick that
   * came meanwhile already took the fan out of the line (admitted or gone).
   */
  track(who: { concertId: number; userId: number; eid: number }, entry: StatusResult): boolean {
    return this.line(who.concertId).track(toTracked(who, entry), entry.rate);
  }

  untrack(concertId: number, userId: number): void {
    this.lines.get(concertId)?.untrack(userId);
  }

  async onTick(delta: TickDelta & { concertId: number }): Promise<void> {
    const result = this.line(delta.concertId).apply(delta);
    if (result.resync) return this.resync(delta.concertId);
    for (const fan of result.moved) this.pushTo(delta.concertId, fan.userId);
  }

  /** Sends queue:status to every local socket of a fan: from the tracked position, or `entry`. */
  pushTo(concertId: number, userId: number, entry?: StatusResult): void {
    const sockets = this.sockets.get(concertId)?.get(userId);
    if (!sockets?.size) return;
    const line = this.lines.get(concertId);
    const fan = line?.fans.get(userId);
    const status: QueueSocketStatus | null = fan
      ? {
          concertId,
          status: fan.state,
          position: fan.position,
          estimatedWaitSeconds: line!.estimatedWaitSeconds(fan),
          activeUntil: null,
          ticket: fan.ticket,
          tick: fan.asOfTick,
        }
      : entry
        ? this.deps.queue.socketView(concertId, entry)
        : null;
    if (!status) return;
    for (const socket of sockets) this.send(socket, status);
    this.lastPush.set(`${concertId}:${userId}`, Date.now());
  }

  /**
   * The heartbeat, run every `checkMs`: a waiting fan hears from us at least every
   * QUEUE_PUSH_INTERVAL_MS. A fan is due only once its silence is within one check of the
   * interval, so when ticks come a little faster than the interval the tick's own position push
   * resets the silence first and a fan hears about once per tick, not twice.
   */
  pushDue(checkMs: number): void {
    const due = Date.now() - (this.deps.config.queue.pushIntervalMs - checkMs);
    for (const [concertId, line] of this.lines) {
      for (const userId of line.fans.keys()) {
        if ((this.lastPush.get(`${concertId}:${userId}`) ?? 0) <= due)
          this.pushTo(concertId, userId);
      }
    }
  }

  /**
   * A connected socket is a sign of life, of a waiting fan and of an admitted one (on the booking
   * page): one call per concert for all fans with a socket here.
   */
  async touchConnected(): Promise<void> {
    for (const [concertId, fans] of this.sockets) {
      if (fans.size === 0) continue;
      await this.deps.store.touchSeen(concertId, [...fans.keys()]).catch((err: Error) => {
        this.deps.logger.warn({ err: err.message, concertId }, 'sign-of-life update failed');
      });
    }
  }

  /** Re-reads every local fan of a concert from Redis (after a missed delta or the shuffle). */
  private async resync(concertId: number): Promise<void> {
    const line = this.line(concertId);
    const fans = [...line.fans.values()];
    try {
      const statuses = await this.deps.queue.statuses(concertId, fans);
      fans.forEach((fan, i) => {
        const status = statuses[i]!;
        if (status.state === 'waiting' || status.state === 'prequeue') {
          line.track(toTracked(fan, status), status.rate);
          this.pushTo(concertId, fan.userId);
        } else line.untrack(fan.userId);
      });
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, concertId }, 'position resync failed');
    }
  }

  private line(concertId: number): ConcertLine {
    let line = this.lines.get(concertId);
    if (!line) this.lines.set(concertId, (line = new ConcertLine()));
    return line;
  }
}

function toTracked(who: { userId: number; eid: number }, s: StatusResult): TrackedFan {
  return {
    userId: who.userId,
    eid: who.eid,
    state: s.state === 'prequeue' ? 'prequeue' : 'waiting',
    ticket: s.ticket ?? null,
    position: s.position ?? 0,
    asOfTick: s.tick ?? 0,
  };
}
