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
import type { TickDelta } from './position-book.js';
import type { SeatEventPublisher } from './seat-events.js';
import { clientAddress, originAllowed } from '../../infra/http/security.js';
import { adapterClients } from './adapter-clients.js';
import { ConnectionsPerAddress } from './connections-per-address.js';
import { WaitingFans } from './waiting-fans.js';

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
const SCHEDULE_ROOM = 's:';
const scheduleRoom = (scheduleId: number) => `${SCHEDULE_ROOM}${scheduleId}`;

function leaveScheduleRooms(socket: FanSocket): void {
  for (const room of [...socket.rooms]) if (room.startsWith(SCHEDULE_ROOM)) void socket.leave(room);
}

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
  private readonly fans: WaitingFans<FanSocket>;
  private readonly adapterConnections: RedisClient[];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: () => void;
  private closed = false;
  private readonly connections: ConnectionsPerAddress;

  constructor(private readonly deps: GatewayDeps) {
    const { config } = deps;
    this.connections = new ConnectionsPerAddress(config.socketsPerIp, (req) =>
      clientAddress(req, deps.trustProxy),
    );
    this.fans = new WaitingFans(deps, (socket, status) => socket.emit('queue:status', status));
    const { pub, sub } = adapterClients(deps.redis, deps.logger);
    this.adapterConnections = [pub, sub];
    this.io = new Server(deps.httpServer, {
      // WebSocket only: HTTP long-polling would need sticky sessions across instances.
      transports: ['websocket'],
      allowRequest: (req, callback) => {
        if (!originAllowed(req.headers.origin, req.headers.host, config.corsOrigins))
          return callback(null, false);
        // Refused before any namespace: the client sees a failed upgrade (400, body RATE_LIMITED).
        if (!this.connections.take(req)) return callback('RATE_LIMITED', false);
        callback(null, true);
      },
      serveClient: false,
      adapter:
        // Redis Cluster needs the sharded adapter (SPUBLISH); it is optional on a single Redis 7.
        config.socketAdapter === 'sharded' || config.redisClusterNodes
          ? createShardedAdapter(pub, sub, { channelPrefix: `${config.redisKeyPrefix}socket.io` })
          : createAdapter(pub, sub, { key: `${config.redisKeyPrefix}socket.io` }),
    });
    this.nsp = this.io.of(QUEUE_NAMESPACE);
    this.nsp.use((socket, next) => void this.authenticate(socket, next));
    this.nsp.on('connection', (socket) => this.onConnection(socket));
    this.nsp.on('queue:tick', (delta) => void this.fans.onTick(delta));
    this.unsubscribe = deps.events.subscribe((event) => this.onQueueEvent(event));

    // The heartbeat is checked ten times per interval (see WaitingFans.pushDue: with ticks a
    // little faster than the interval, a fan hears once per tick, not twice).
    const checkMs = Math.max(10, Math.round(config.queue.pushIntervalMs / 10));
    const push = setInterval(() => this.fans.pushDue(checkMs), checkMs);
    const alive = setInterval(
      () => void this.fans.touchConnected(),
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
    void socket.join(fanRoom(concertId, userId));
    this.fans.add(concertId, userId, socket);

    const waiting = entry.state === 'prequeue' || entry.state === 'waiting';
    if (waiting && !this.fans.track(claims, entry)) {
      // A tick during the handshake admitted the fan (or it left): its queue:admitted went to the
      // fan's room before this socket joined it. Without this the fan would wait forever.
      void this.catchUp(socket);
    } else this.fans.pushTo(concertId, userId, entry);

    // Admission or ending reaches this socket through the adapter, whichever instance learned of
    // it; the fan then stops waiting here. An ended admission also ends its seat updates: the
    // socket leaves its schedule rooms (SPEC §5), on every instance that holds one of its sockets.
    let endings = 0;
    socket.onAnyOutgoing((event, payload: { admittedAt?: string }) => {
      if (event === 'queue:admitted' && payload?.admittedAt)
        this.deps.onAdmissionNotice?.(Date.parse(payload.admittedAt));
      if (event === 'queue:admitted' || event === 'queue:ended')
        this.fans.untrack(concertId, userId);
      if (event === 'queue:ended') {
        endings++;
        leaveScheduleRooms(socket);
      }
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
          const endingsBefore = endings;
          await this.deps.queue.requireActive(socket.data.token, userId, concertId);
          await socket.join(scheduleRoom(scheduleId));
          if (endings !== endingsBefore) {
            // The admission ended while this was being checked: no seat updates after all.
            leaveScheduleRooms(socket);
            throw new AppError('ADMISSION_EXPIRED');
          }
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
    socket.on('disconnect', () => this.fans.remove(concertId, userId, socket));
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
      if (entry.state === 'prequeue' || entry.state === 'waiting') {
        this.fans.track(socket.data.claims, entry);
        return this.fans.pushTo(concertId, userId, entry);
      }
      const view = this.deps.queue.socketView(concertId, entry);
      socket.emit('queue:status', view);
      if (entry.state === 'active' && view.activeUntil)
        socket.emit('queue:admitted', { concertId, activeUntil: view.activeUntil });
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
    } else if (event.type === 'endedMany') {
      // One adapter message for all of them, whatever their number: the rooms travel with it.
      const rooms = event.userIds.map((userId) => fanRoom(event.concertId, userId));
      this.nsp.to(rooms).emit('queue:ended', { concertId: event.concertId, reason: event.reason });
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
      void this.fans.onTick(delta);
    }
  }
}

function lastAck<T>(args: unknown[]): Ack<T> | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as Ack<T>) : undefined;
}
