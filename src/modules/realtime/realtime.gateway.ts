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
  type QueueProgress,
  type SeatsChanged,
  type ServerToClientEvents,
} from '@lineup/client-sdk/contract';
import type { Config } from '../../config/index.js';
import { AppError } from '../../infra/app-error.js';
import { toAppError } from '../../infra/http/error.middleware.js';
import type { CatalogueService } from '../catalogue/catalogue.service.js';
import type { QueueEvent, QueueEventBus } from '../queue/queue.events.js';
import type { QueueClaims } from '../queue/queue-tokens.crypto.js';
import type { QueueService, StatusResult } from '../queue/queue.service.js';
import type { SeatEventPublisher } from './seat.events.js';
import { clientAddress, originAllowed } from '../../infra/http/security.js';
import { adapterClients } from './adapter-clients.gateway.js';
import { ConnectionsPerAddress } from './connections-per-address.middleware.js';
import { WaitingRoom, waitingRoom } from './waiting-room.gateway.js';

/** A fan's admission or ending, told by the instance that learned of it to every instance. */
type FanEvent = Extract<QueueEvent, { type: 'admitted' | 'ended' | 'endedMany' }>;
interface InterServerEvents {
  'queue:progress': (frame: QueueProgress) => void;
  'queue:fan': (event: FanEvent) => void;
}
interface SocketData {
  claims: QueueClaims;
  token: string;
  entry: StatusResult | null;
  /** Endings heard by this socket (a seats:subscribe racing with one is undone). */
  endings: number;
}
type FanSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface GatewayDeps {
  httpServer: HttpServer;
  redis: RedisClient;
  config: Config;
  queue: QueueService;
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
 * adapter: the leader's `queue:progress` frame goes to every instance as one server-side event
 * per tick, and each instance broadcasts it to its waiting sockets (waiting-room.gateway.ts); admissions
 * and endings go to every instance too, which tells the fan's sockets it holds.
 */
export class RealtimeGateway implements SeatEventPublisher {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
  private readonly nsp: Namespace<
    ClientToServerEvents,
    ServerToClientEvents,
    InterServerEvents,
    SocketData
  >;
  private readonly room: WaitingRoom;
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
      // Every frame is small and identical for thousands of sockets: compressing it per socket
      // would cost CPU and a zlib context per socket (the default is already off; kept explicit).
      perMessageDeflate: false,
      adapter:
        // Redis Cluster needs the sharded adapter (SPUBLISH); it is optional on a single Redis 7.
        config.socketAdapter === 'sharded' || config.redisClusterNodes
          ? createShardedAdapter(pub, sub, { channelPrefix: `${config.redisKeyPrefix}socket.io` })
          : createAdapter(pub, sub, { key: `${config.redisKeyPrefix}socket.io` }),
    });
    this.nsp = this.io.of(QUEUE_NAMESPACE);
    this.nsp.use((socket, next) => void this.authenticate(socket, next));
    this.nsp.on('connection', (socket) => this.onConnection(socket));
    this.room = new WaitingRoom(
      this.nsp as unknown as Namespace,
      deps.queue,
      deps.logger,
      config.queue.pushIntervalMs,
    );
    this.nsp.on('queue:progress', (frame) => this.room.onFrame(frame));
    this.nsp.on('queue:fan', (event) => this.tellFan(event));
    this.unsubscribe = deps.events.subscribe((event) => this.onQueueEvent(event));

    // Frames come every tick; the heartbeat only repeats a line's last frame when ticks stall
    // (checked four times per interval: a stalled line is heard within 1.25 intervals).
    const heartbeat = setInterval(
      () => this.room.heartbeat(),
      Math.max(10, Math.round(config.queue.pushIntervalMs / 4)),
    );
    const alive = setInterval(
      () => void this.room.touchConnected(),
      Math.max(500, (config.queue.abandonSeconds * 1000) / 3),
    );
    this.timers.push(heartbeat, alive);
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
      socket.data = { claims, token: token as string, entry, endings: 0 };
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
    const { claims } = socket.data;
    const entry = socket.data.entry!;
    socket.data.entry = null; // only the handshake needs it
    const { concertId, userId } = claims;
    void socket.join(fanRoom(concertId, userId));
    if (entry.state === 'prequeue' || entry.state === 'waiting') {
      void socket.join(waitingRoom(concertId));
      // A tick during the handshake may have admitted the fan (its queue:admitted went to the
      // fan before this socket could hear it) or moved the line: read the place again.
      if (this.room.lastTick(concertId) > (entry.tick ?? 0)) void this.catchUp(socket);
      else socket.emit('queue:status', this.deps.queue.socketView(concertId, entry));
    } else socket.emit('queue:status', this.deps.queue.socketView(concertId, entry));

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
          const endingsBefore = socket.data.endings;
          await this.deps.queue.requireActive(socket.data.token, userId, concertId);
          await socket.join(scheduleRoom(scheduleId));
          if (socket.data.endings !== endingsBefore) {
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
    socket.on(
      'queue:sync',
      (...args: unknown[]) =>
        void this.answer(lastAck(args), async () => {
          const now = await this.deps.queue.entry(claims);
          return this.deps.queue.socketView(concertId, now);
        }),
    );
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
    const { concertId } = socket.data.claims;
    try {
      const entry = await this.deps.queue.entry(socket.data.claims);
      const view = this.deps.queue.socketView(concertId, entry);
      socket.emit('queue:status', view);
      if (entry.state === 'active') {
        void socket.leave(waitingRoom(concertId));
        if (view.activeUntil)
          socket.emit('queue:admitted', { concertId, activeUntil: view.activeUntil });
      }
    } catch (err) {
      const appErr = toAppError(err);
      if (appErr.code === 'ADMISSION_EXPIRED' || appErr.code === 'QUEUE_ENTRY_NOT_FOUND') {
        const reason = appErr.details?.reason;
        void socket.leave(waitingRoom(concertId));
        socket.emit('queue:ended', {
          concertId,
          reason: QueueEndReason.safeParse(reason).data ?? 'removed',
        });
      } else this.deps.logger.warn({ err: appErr.message }, 'socket catch-up failed');
    }
  }

  /** Local queue events: the instance that learns of an event tells every instance. */
  private onQueueEvent(event: QueueEvent): void {
    if (this.closed) return;
    if (event.type === 'tick') {
      this.nsp.serverSideEmit('queue:progress', event.frame);
      this.room.onFrame(event.frame);
    } else {
      this.nsp.serverSideEmit('queue:fan', event);
      this.tellFan(event);
    }
  }

  /**
   * An admission or ending, to the fan's sockets on this instance: they stop waiting here, and an
   * ended admission also ends its seat updates (the socket leaves its schedule rooms, SPEC §5).
   */
  private tellFan(event: FanEvent): void {
    const { concertId } = event;
    const users = event.type === 'endedMany' ? event.userIds : [event.userId];
    for (const userId of users) {
      const ids = this.nsp.adapter.rooms.get(fanRoom(concertId, userId));
      if (!ids) continue;
      for (const id of [...ids]) {
        const socket = this.nsp.sockets.get(id);
        if (!socket) continue;
        void socket.leave(waitingRoom(concertId));
        if (event.type === 'admitted') {
          socket.emit('queue:admitted', {
            concertId,
            activeUntil: new Date(event.activeUntil).toISOString(),
            admittedAt: new Date(event.admittedAt).toISOString(),
          });
          this.deps.onAdmissionNotice?.(event.admittedAt);
        } else {
          socket.data.endings++;
          leaveScheduleRooms(socket);
          socket.emit('queue:ended', { concertId, reason: event.reason });
        }
      }
    }
  }
}

function lastAck<T>(args: unknown[]): Ack<T> | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as Ack<T>) : undefined;
}
