import type { Logger } from 'pino';
import {
  QueueEndReason,
  SeatsSubscription,
  type Ack,
  type AckResult,
} from '@lineup/client-sdk/contract';
import { AppError } from '../../infra/app-error.js';
import { toAppError } from '../../infra/http/error.middleware.js';
import type { CatalogueService } from '../catalogue/catalogue.service.js';
import type { QueueService } from '../queue/queue.service.js';
import type { FanSocket } from './fan-sockets.gateway.js';
import { waitingRoom } from './waiting-room.gateway.js';

const SCHEDULE_ROOM = 's:';
export const scheduleRoom = (scheduleId: number) => `${SCHEDULE_ROOM}${scheduleId}`;

export function leaveScheduleRooms(socket: FanSocket): void {
  for (const room of [...socket.rooms]) if (room.startsWith(SCHEDULE_ROOM)) void socket.leave(room);
}

type Handler = (this: FanSocket, ...args: unknown[]) => void;

/** What every authenticated socket's `handshake` is (see `authenticate`). */
const SHARED_HANDSHAKE: FanSocket['handshake'] = Object.freeze({
  headers: Object.freeze({}),
  time: '',
  address: '',
  xdomain: false,
  secure: false,
  issued: 0,
  url: '',
  query: Object.freeze({}),
  auth: Object.freeze({}),
});

/**
 * What a fan's socket asks (SPEC §5 client to server), and the handshake's check. Each event has
 * one listener function shared by every socket — socket.io calls a listener with the socket as
 * `this` — instead of closures made per connection: four closures, their context and the claims
 * they captured were ~300 bytes of every waiting socket, for events a waiting fan rarely sends.
 */
export class FanSocketHandlers {
  readonly listeners: Record<
    'queue:leave' | 'seats:subscribe' | 'seats:unsubscribe' | 'queue:sync',
    Handler
  >;

  constructor(
    private readonly queue: QueueService,
    private readonly catalogue: CatalogueService,
    private readonly logger: Logger,
  ) {
    const answer = <T>(ack: Ack<T> | undefined, work: () => Promise<T>) => this.answer(ack, work);
    // The ack is the last argument whatever comes before it, so a client that sends no payload or
    // extra arguments still gets its answer instead of waiting for one that never comes.
    const answering = (work: (socket: FanSocket, args: unknown[]) => Promise<unknown>): Handler =>
      function (this: FanSocket, ...args: unknown[]) {
        void answer(lastAck(args), () => work(this, args));
      };
    this.listeners = {
      'queue:leave': answering(async (socket) => {
        await this.queue.leaveWith(socket.data.claims);
        return null;
      }),
      'seats:subscribe': answering((socket, args) => this.subscribe(socket, args[0])),
      'seats:unsubscribe': answering(async (socket, args) => {
        const { scheduleId } = parseSubscription(args[0]);
        await socket.leave(scheduleRoom(scheduleId));
        return { scheduleId };
      }),
      'queue:sync': answering(async (socket) => {
        const { claims } = socket.data;
        return this.queue.socketView(claims.concertId, await this.queue.entry(claims));
      }),
    };
  }

  /** The handshake (namespace middleware): a valid queue token of an entry that exists. */
  async authenticate(socket: FanSocket, next: (err?: Error) => void): Promise<void> {
    try {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const claims = await this.queue.claims(typeof token === 'string' ? token : undefined);
      const entry = await this.queue.entry(claims);
      socket.data = { claims, entry, endings: 0, ws: null, tcp: null };
      // socket.io keeps the handshake (headers and query objects, a time string, the auth object
      // and with it the token, ~500 bytes) for the socket's whole life; nothing reads it after
      // this check (the claims are kept), so every socket shares one empty handshake instead.
      (socket as { handshake: FanSocket['handshake'] }).handshake = SHARED_HANDSHAKE;
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

  /** Listens to the socket's requests with the shared listeners. */
  listen(socket: FanSocket): void {
    for (const [event, listener] of Object.entries(this.listeners))
      socket.on(event as 'queue:leave', listener);
  }

  /** Tells one socket where its fan stands now, with the event it missed (admitted or ended). */
  async catchUp(socket: FanSocket): Promise<void> {
    const { concertId } = socket.data.claims;
    try {
      const entry = await this.queue.entry(socket.data.claims);
      const view = this.queue.socketView(concertId, entry);
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
      } else this.logger.warn({ err: appErr.message }, 'socket catch-up failed');
    }
  }

  private async subscribe(socket: FanSocket, payload: unknown): Promise<{ scheduleId: number }> {
    const { scheduleId } = parseSubscription(payload);
    const { concertId } = socket.data.claims;
    if ((await this.catalogue.concertOfSchedule(scheduleId)) !== concertId) {
      throw new AppError('NOT_ADMITTED', {
        details: { reason: 'schedule of another concert', status: null, position: null },
      });
    }
    const endingsBefore = socket.data.endings;
    await this.queue.requireActiveClaims(socket.data.claims);
    await socket.join(scheduleRoom(scheduleId));
    if (socket.data.endings !== endingsBefore) {
      // The admission ended while this was being checked: no seat updates after all.
      leaveScheduleRooms(socket);
      throw new AppError('ADMISSION_EXPIRED');
    }
    return { scheduleId };
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
}

function parseSubscription(payload: unknown): SeatsSubscription {
  const parsed = SeatsSubscription.safeParse(payload);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED');
  return parsed.data;
}

function lastAck<T>(args: unknown[]): Ack<T> | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as Ack<T>) : undefined;
}
