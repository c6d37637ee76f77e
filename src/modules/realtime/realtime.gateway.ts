import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { QUEUE_NAMESPACE, type SeatsChanged } from '@lineup/client-sdk/contract';
import type { Config } from '../../config/index.js';
import type { RedisClient } from '../../infra/redis/scripts.js';
import { clientAddress } from '../../infra/http/security.js';
import type { CatalogueService } from '../catalogue/catalogue.service.js';
import type { QueueEvent, QueueEventBus } from '../queue/queue.events.js';
import type { QueueService } from '../queue/queue.service.js';
import type { SeatEventPublisher } from './seat.events.js';
import { adapterClients } from './adapter-clients.gateway.js';
import { ConnectionsPerAddress } from './connections-per-address.middleware.js';
import {
  FanSocketHandlers,
  leaveScheduleRooms,
  scheduleRoom,
} from './fan-socket-handlers.gateway.js';
import {
  FanSockets,
  type FanEvent,
  type FanNamespace,
  type FanServer,
  type FanSocket,
} from './fan-sockets.gateway.js';
import { FrameWriter } from './frame-writer.gateway.js';
import { createSocketServer } from './socket-server.gateway.js';
import { WaitingRoom, waitingRoom } from './waiting-room.gateway.js';

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

/**
 * socket.io on the app's HTTP server (SPEC §5). Any instance can reach any fan through the Redis
 * adapter: the leader's `queue:progress` frame goes to every instance as one server-side event
 * per tick, and each instance broadcasts it to its waiting sockets (waiting-room.gateway.ts); admissions
 * and endings go to every instance too, which tells the fan's sockets it holds (fan-sockets.gateway.ts).
 * What a socket asks is answered in fan-socket-handlers.gateway.ts; the server's options in
 * socket-server.gateway.ts.
 */
export class RealtimeGateway implements SeatEventPublisher {
  readonly io: FanServer;
  private readonly nsp: FanNamespace;
  private readonly room: WaitingRoom;
  /** This instance's sockets by concert and fan. */
  readonly fans = new FanSockets();
  private readonly handlers: FanSocketHandlers;
  private readonly frames: FrameWriter;
  private readonly adapterConnections: RedisClient[];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly deps: GatewayDeps) {
    const { config } = deps;
    const connections = new ConnectionsPerAddress(config.socketsPerIp, (req) =>
      clientAddress(req, deps.trustProxy),
    );
    const adapter = adapterClients(deps.redis, deps.logger);
    this.adapterConnections = [adapter.pub, adapter.sub];
    this.io = createSocketServer(deps.httpServer, config, connections, adapter);
    this.handlers = new FanSocketHandlers(deps.queue, deps.catalogue, deps.logger);
    this.nsp = this.io.of(QUEUE_NAMESPACE);
    this.fans.watch(this.nsp);
    this.frames = new FrameWriter(this.io, this.nsp);
    this.nsp.use((socket, next) => void this.handlers.authenticate(socket, next));
    this.nsp.on('connection', (socket) => this.onConnection(socket));
    this.room = new WaitingRoom(
      this.nsp as never,
      (room, frame) => this.frames.progress(room, frame),
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

  private onConnection(socket: FanSocket): void {
    const { claims } = socket.data;
    const entry = socket.data.entry!;
    socket.data.entry = null; // only the handshake needs it
    const wire = this.frames.wireOf(socket);
    socket.data.ws = wire?.ws ?? null;
    socket.data.tcp = wire?.tcp ?? null;
    const { concertId } = claims;
    this.fans.add(socket);
    if (entry.state === 'prequeue' || entry.state === 'waiting') {
      void socket.join(waitingRoom(concertId));
      // A tick during the handshake may have admitted the fan (its queue:admitted went to the
      // fan before this socket could hear it) or moved the line: read the place again.
      if (this.room.lastTick(concertId) > (entry.tick ?? 0)) void this.handlers.catchUp(socket);
      else socket.emit('queue:status', this.deps.queue.socketView(concertId, entry));
    } else socket.emit('queue:status', this.deps.queue.socketView(concertId, entry));
    this.handlers.listen(socket);
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
      for (const socket of this.fans.of(concertId, userId)) {
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
