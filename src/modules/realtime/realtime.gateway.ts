import type { Server as HttpServer } from 'node:http';
import { Server, type Namespace, type Socket } from 'socket.io';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { RedisClient } from '../../infra/redis/scripts.js';
import type { Logger } from 'pino';
import {
  QUEUE_NAMESPACE,
  QueueEndReason,
  SeatsSubscription,
  type Ack,
  type AckResult,
  type ClientToServerEvents,
  type SeatsChanged,
  type ServerToClientEvents,
} from '@lineup/client-sdk/contract';
import type { Config } from '../../config/index.js';
import { AppError } from '../../infra/http/errors.js';
import { toAppError } from '../../infra/http/error-middleware.js';
import type { CatalogueService } from '../catalogue/catalogue.service.js';
import type { QueueEvent, QueueEventBus } from '../queue/queue.events.js';
import type { QueueClaims } from '../queue/queue-tokens.js';
import type { QueueService } from '../queue/queue.service.js';
import type { QueueStore, StatusResult } from '../queue/queue.store.js';
import { ConcertLine, type TickDelta, type TrackedFan } from './position-book.js';
import type { SeatEventPublisher } from './seat-events.js';
import { clientAddress, originAllowed } from '../../infra/http/security.js';
import { adapterClients } from './adapter-clients.js';

interface InterServerEvents {
  'queue:tick': (delta: TickDelta & { concertId: number }) => void;
}
interface SocketData {
  claims: QueueClaims;
  token: string;
  entry: StatusResult;
}
type FanSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface GatewayDeps {
  httpServer: HttpServer;
  redis: RedisClient;
  config: Config;
  queue: QueueService;
  store: QueueStore;
  events: QueueEventBus;
  catalogue: CatalogueService;
  logger: Logger;
  /** The client's address behind trusted proxies (express' trust proxy function). */
  trustProxy: (addr: string, hop: number) => boolean;
  /** Told, per socket, how long after its tick a `queue:admitted` left this instance. */
  onAdmissionNotice?: (admittedAtMs: number) => void;
}

const fanRoom = (concertId: number, userId: number) => `f:${concertId}:${userId}`;
const scheduleRoom = (scheduleId: number) => `s:${scheduleId}`;

/**
 * socket.io on the app's HTTP server (SPEC §5). Any instance can reach any fan through the Redis
 * adapter: admissions and endings are emitted to the fan's room; the leader's per-tick deltas go
 * to every instance as one server-side event, and each instance pushes exact positions to its
 * own waiting sockets from memory (position-book.ts).
 */
export class RealtimeGateway implements SeatEventPublisher {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
  private readonly nsp: Namespace<
    ClientToServerEvents,
    ServerToClientEvents,
    InterServerEvents,
    SocketData
  >;
  private readonly lines = new Map<number, ConcertLine>();
  /** concertId -> userId -> this instance's sockets of that fan. */
  private readonly sockets = new Map<number, Map<number, Set<FanSocket>>>();
  private readonly lastPush = new Map<string, number>();
  private readonly adapterConnections: RedisClient[];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: () => void;
  private closed = false;
  private readonly socketsPerAddress = new Map<string, number>();

  constructor(private readonly deps: GatewayDeps) {
    const { config } = deps;
    const { pub, sub } = adapterClients(deps.redis, deps.logger);
    this.adapterConnections = [pub, sub];
    this.io = new Server(deps.httpServer, {
      // WebSocket only: HTTP long-polling would need sticky sessions across instances.
      transports: ['websocket'],
      allowRequest: (req, callback) =>
        callback(null, originAllowed(req.headers.origin, req.headers.host, config.corsOrigins)),
      serveClient: false,
      adapter:
        // Redis Cluster needs the sharded adapter (SPUBLISH); it is optional on a single Redis 7.
        config.socketAdapter === 'sharded' || config.redisClusterNodes
          ? createShardedAdapter(pub, sub, { channelPrefix: `${config.redisKeyPrefix}socket.io` })
          : createAdapter(pub, sub, { key: `${config.redisKeyPrefix}socket.io` }),
    });
    this.nsp = this.io.of(QUEUE_NAMESPACE);
    this.nsp.use((socket, next) => this.limitPerAddress(socket, next));
    this.nsp.use((socket, next) => void this.authenticate(socket, next));
    this.nsp.on('connection', (socket) => this.onConnection(socket));
    this.nsp.on('queue:tick', (delta) => void this.onTick(delta));
    this.unsubscribe = deps.events.subscribe((event) => this.onQueueEvent(event));

    // Checked ten times per interval; a fan is due once its silence is within one check of the
    // interval, so no waiting fan goes longer than the interval unheard. A due fan is pushed
    // late in the interval, so when ticks come a little faster than the interval (QUEUE_TICK_MS
    // below QUEUE_PUSH_INTERVAL_MS minus a tenth) the tick's own position push resets the
    // silence first and a fan hears about once per tick, not twice (at 50,000 sockets pushes
    // are most of an instance's CPU).
    const checkMs = Math.max(10, Math.round(config.queue.pushIntervalMs / 10));
    const push = setInterval(() => this.pushDue(checkMs), checkMs);
    const alive = setInterval(
      () => void this.touchWaiting(),
      Math.max(500, (config.queue.abandonSeconds * 1000) / 3),
    );
    this.timers.push(push, alive);
  }

  /** Booking's seat changes, to every socket subscribed to the schedule, on any instance. */
  seatsChanged(payload: SeatsChanged): void {
    if (this.closed) return;
    this.nsp.to(scheduleRoom(payload.scheduleId)).emit('seats:changed', payload);
  }

  /** Number of sockets connected to this instance. */
  get localSockets(): number {
    return this.nsp.sockets.size;
  }

  /** Closes this instance's sockets (clients reconnect to another instance) and the adapter. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    for (const t of this.timers) clearInterval(t);
    this.nsp.local.disconnectSockets(true);
    this.io.engine.close();
    // QUIT would wait forever for an unreachable Redis on the subscriber (it has no retry limit).
    await Promise.all(
      this.adapterConnections.map((c) =>
        c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect(),
      ),
    );
  }

  /** A cap on concurrent sockets per client address on this instance (abuse limit). */
  private limitPerAddress(socket: FanSocket, next: (err?: Error) => void): void {
    const address = clientAddress(socket.request, this.deps.trustProxy);
    const count = this.socketsPerAddress.get(address) ?? 0;
    if (count >= this.deps.config.socketsPerIp) {
      const failure = new Error('RATE_LIMITED') as Error & { data?: unknown };
      failure.data = { code: 'RATE_LIMITED' };
      return next(failure);
    }
    next();
  }

  /** Counts a connected socket against its address until it disconnects. */
  private countAddress(socket: FanSocket): void {
    const address = clientAddress(socket.request, this.deps.trustProxy);
    this.socketsPerAddress.set(address, (this.socketsPerAddress.get(address) ?? 0) + 1);
    socket.once('disconnect', () => {
      const left = (this.socketsPerAddress.get(address) ?? 1) - 1;
      if (left > 0) this.socketsPerAddress.set(address, left);
      else this.socketsPerAddress.delete(address);
    });
  }

  private async authenticate(socket: FanSocket, next: (err?: Error) => void): Promise<void> {
    try {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const claims = await this.deps.queue.claims(typeof token === 'string' ? token : undefined);
      const entry = await this.deps.queue.entry(claims);
      socket.data = { claims, token: token as string, entry };
      next();
    } catch (err) {
      const appErr = toAppError(err);
      const failure = new Error(appErr.code) as Error & { data?: unknown };
      // The reason (e.g. why an admission ended) lets a client say more than the code.
      const reason = appErr.details?.reason;
      failure.data = reason === undefined ? { code: appErr.code } : { code: appErr.code, reason };
      next(failure);
    }
  }

  private onConnection(socket: FanSocket): void {
    const { claims, entry } = socket.data;
    const { concertId, userId } = claims;
    this.countAddress(socket);
    void socket.join(fanRoom(concertId, userId));
    let fans = this.sockets.get(concertId);
    if (!fans) this.sockets.set(concertId, (fans = new Map()));
    const mine = fans.get(userId) ?? new Set<FanSocket>();
    fans.set(userId, mine.add(socket));

    const waiting = entry.state === 'prequeue' || entry.state === 'waiting';
    if (waiting && !this.line(concertId).track(toTracked(claims, entry), entry.rate)) {
      // A tick during the handshake admitted the fan (or it left): its queue:admitted went to the
      // fan's room before this socket joined it. Without this the fan would wait forever.
      void this.catchUp(socket);
    } else this.pushTo(concertId, userId, entry);

    // Admission or ending reaches this socket through the adapter; the fan then stops waiting here.
    socket.onAnyOutgoing((event, payload: { admittedAt?: string }) => {
      if (event === 'queue:admitted' && payload?.admittedAt)
        this.deps.onAdmissionNotice?.(Date.parse(payload.admittedAt));
      if (event === 'queue:admitted' || event === 'queue:ended')
        this.lines.get(concertId)?.untrack(userId);
    });
    // The ack is the last argument whatever comes before it, so a client that sends no payload or
    // extra arguments still gets its answer instead of waiting for one that never comes.
    socket.on(
      'queue:leave',
      (...args: unknown[]) =>
        void this.answer(
          lastAck(args),
          async () => (await this.deps.queue.leaveWith(claims), null),
        ),
    );
    socket.on(
      'seats:subscribe',
      (...args: unknown[]) =>
        void this.answer(lastAck(args), async () => {
          const { scheduleId } = this.parseSubscription(args[0]);
          if ((await this.deps.catalogue.concertOfSchedule(scheduleId)) !== concertId) {
            throw new AppError('NOT_ADMITTED', {
              details: { reason: 'schedule of another concert', status: null, position: null },
            });
          }
          await this.deps.queue.requireActive(socket.data.token, userId, concertId);
          await socket.join(scheduleRoom(scheduleId));
          return { scheduleId };
        }),
    );
    socket.on(
      'seats:unsubscribe',
      (...args: unknown[]) =>
        void this.answer(lastAck(args), async () => {
          const { scheduleId } = this.parseSubscription(args[0]);
          await socket.leave(scheduleRoom(scheduleId));
          return { scheduleId };
        }),
    );
    socket.on('disconnect', () => {
      mine.delete(socket);
      if (mine.size === 0) {
        fans.delete(userId);
        this.lines.get(concertId)?.untrack(userId);
        this.lastPush.delete(`${concertId}:${userId}`);
      }
    });
  }

  private parseSubscription(payload: unknown): SeatsSubscription {
    const parsed = SeatsSubscription.safeParse(payload);
    if (!parsed.success) throw new AppError('VALIDATION_FAILED');
    return parsed.data;
  }

  private async answer<T>(ack: Ack<T> | undefined, work: () => Promise<T>): Promise<void> {
    let result: AckResult<T>;
    try {
      result = { ok: true, data: await work() };
    } catch (err) {
      const appErr = toAppError(err);
      result = { ok: false, error: { code: appErr.code, message: appErr.message } };
    }
    if (typeof ack === 'function') ack(result);
  }

  /** Tells one socket where its fan stands now, with the event it missed (admitted or ended). */
  private async catchUp(socket: FanSocket): Promise<void> {
    const { concertId, userId } = socket.data.claims;
    try {
      const entry = await this.deps.queue.entry(socket.data.claims);
      const view = this.deps.queue.view(concertId, entry);
      socket.emit('queue:status', view);
      if (entry.state === 'active' && view.activeUntil)
        socket.emit('queue:admitted', { concertId, activeUntil: view.activeUntil });
      else if (entry.state === 'prequeue' || entry.state === 'waiting') {
        this.line(concertId).track(toTracked(socket.data.claims, entry), entry.rate);
        this.lastPush.set(`${concertId}:${userId}`, Date.now());
      }
    } catch (err) {
      const appErr = toAppError(err);
      if (appErr.code === 'ADMISSION_EXPIRED' || appErr.code === 'QUEUE_ENTRY_NOT_FOUND') {
        const reason = appErr.details?.reason;
        socket.emit('queue:ended', {
          concertId,
          reason: QueueEndReason.safeParse(reason).data ?? 'removed',
        });
      } else this.deps.logger.warn({ err: appErr.message }, 'socket catch-up failed');
    }
  }

  /** Local queue events: the instance that learns of an event tells every instance. */
  private onQueueEvent(event: QueueEvent): void {
    if (event.type === 'admitted') {
      this.nsp.to(fanRoom(event.concertId, event.userId)).emit('queue:admitted', {
        concertId: event.concertId,
        activeUntil: new Date(event.activeUntil).toISOString(),
        admittedAt: new Date(event.admittedAt).toISOString(),
      });
    } else if (event.type === 'ended') {
      this.nsp
        .to(fanRoom(event.concertId, event.userId))
        .emit('queue:ended', { concertId: event.concertId, reason: event.reason });
    } else {
      const delta = {
        concertId: event.concertId,
        tick: event.tick,
        admittedTickets: event.admittedTickets,
        departedTickets: event.departedTickets,
        prequeue: event.prequeue,
        ratePerSecond: event.ratePerSecond,
        shuffled: event.shuffled,
      };
      this.nsp.serverSideEmit('queue:tick', delta);
      void this.onTick(delta);
    }
  }

  private async onTick(delta: TickDelta & { concertId: number }): Promise<void> {
    const line = this.line(delta.concertId);
    const result = line.apply(delta);
    if (result.resync) return this.resync(delta.concertId);
    for (const fan of result.moved) this.pushTo(delta.concertId, fan.userId);
  }

  /** Re-reads every local fan of a concert from Redis (after a missed delta or the shuffle). */
  private async resync(concertId: number): Promise<void> {
    const line = this.line(concertId);
    const fans = [...line.fans.values()];
    try {
      const statuses = await this.deps.store.statuses(
        concertId,
        fans,
        this.deps.config.queue.activeIdleSeconds,
      );
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

  /** Sends queue:status to every local socket of a fan: from the tracked position, or `entry`. */
  private pushTo(concertId: number, userId: number, entry?: StatusResult): void {
    const sockets = this.sockets.get(concertId)?.get(userId);
    if (!sockets?.size) return;
    const line = this.lines.get(concertId);
    const fan = line?.fans.get(userId);
    const status = fan
      ? {
          concertId,
          status: fan.state,
          position: fan.position,
          estimatedWaitSeconds: line!.estimatedWaitSeconds(fan),
          activeUntil: null,
        }
      : entry
        ? this.deps.queue.view(concertId, entry)
        : null;
    if (!status) return;
    for (const socket of sockets) socket.emit('queue:status', status);
    this.lastPush.set(`${concertId}:${userId}`, Date.now());
  }

  /** The heartbeat: a waiting fan hears from us at least every QUEUE_PUSH_INTERVAL_MS. */
  private pushDue(checkMs: number): void {
    const due = Date.now() - (this.deps.config.queue.pushIntervalMs - checkMs);
    for (const [concertId, line] of this.lines) {
      for (const userId of line.fans.keys()) {
        if ((this.lastPush.get(`${concertId}:${userId}`) ?? 0) <= due)
          this.pushTo(concertId, userId);
      }
    }
  }

  /** A connected socket is a sign of life: one call per concert for all local waiting fans. */
  private async touchWaiting(): Promise<void> {
    for (const [concertId, line] of this.lines) {
      if (line.fans.size === 0) continue;
      await this.deps.store.touchSeen(concertId, [...line.fans.keys()]).catch((err: Error) => {
        this.deps.logger.warn({ err: err.message, concertId }, 'sign-of-life update failed');
      });
    }
  }

  private line(concertId: number): ConcertLine {
    let line = this.lines.get(concertId);
    if (!line) this.lines.set(concertId, (line = new ConcertLine()));
    return line;
  }
}

function lastAck<T>(args: unknown[]): Ack<T> | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as Ack<T>) : undefined;
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
