import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  QueueSocketStatus,
  ServerToClientEvents,
} from '@lineup/client-sdk/contract';
import { ProgressTracker, type ProgressOutcome } from '@lineup/client-sdk';

export type FanSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A raw socket.io client on the /queue namespace (the SDK wraps the same thing). */
const received = new WeakMap<FanSocket, { event: string; payload: unknown }[]>();

/**
 * A raw socket.io client on the /queue namespace (the SDK wraps the same thing). Every event it
 * receives is also recorded from the start, so a test cannot miss one that arrives right after
 * `connect` (see `seen`).
 */
export function queueSocket(baseUrl: string, token: string): FanSocket {
  const socket: FanSocket = io(`${baseUrl}/queue`, {
    transports: ['websocket'],
    auth: { token },
    reconnection: false,
    forceNew: true,
  });
  const log: { event: string; payload: unknown }[] = [];
  received.set(socket, log);
  socket.onAny((event: string, payload: unknown) => log.push({ event, payload }));
  followPlace(socket);
  return socket;
}

interface Place {
  tracker: ProgressTracker;
  /** Every status the fan knew, exact or computed from frames (SPEC §5 arithmetic), in order. */
  statuses: QueueSocketStatus[];
  syncs: number;
}
const places = new WeakMap<FanSocket, Place>();

/** Applies the socket's statuses and frames as a client must, syncing when it has to. */
function followPlace(socket: FanSocket): void {
  const place: Place = { tracker: new ProgressTracker(), statuses: [], syncs: 0 };
  places.set(socket, place);
  const take = (out: ProgressOutcome) => {
    place.statuses.push(...out.statuses);
    if (!out.sync) return;
    place.syncs++;
    socket.emit('queue:sync', (ack) => {
      if (ack.ok) take(place.tracker.onStatus(ack.data));
    });
  };
  socket.on('queue:status', (status) => take(place.tracker.onStatus(status)));
  socket.on('queue:progress', (frame) => take(place.tracker.onFrame(frame)));
}

/** The fan's places as a client computes them from this socket (exact statuses and frames). */
export function placesOf(socket: FanSocket): QueueSocketStatus[] {
  return places.get(socket)?.statuses ?? [];
}

/** How many times this socket asked `queue:sync` (a gap, a fan at the head). */
export function syncsOf(socket: FanSocket): number {
  return places.get(socket)?.syncs ?? 0;
}

/** Payloads of `event` this socket has received so far, oldest first. */
export function seen<E extends keyof ServerToClientEvents>(
  socket: FanSocket,
  event: E,
): Parameters<ServerToClientEvents[E]>[0][] {
  return (received.get(socket) ?? [])
    .filter((r) => r.event === event)
    .map((r) => r.payload as Parameters<ServerToClientEvents[E]>[0]);
}

/** The first `event` ever received (already, or when it comes). */
export async function firstEvent<E extends keyof ServerToClientEvents>(
  socket: FanSocket,
  event: E,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  const already = seen(socket, event);
  return already.length > 0 ? already[0]! : nextEvent(socket, event, timeoutMs);
}

/** Resolves on connect, rejects with the connect_error (whose message is the SPEC code). */
export function connected(socket: FanSocket): Promise<FanSocket> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: FanSocket,
  event: E,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${event} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once(
      event as never,
      ((payload: never) => {
        clearTimeout(timer);
        resolve(payload);
      }) as never,
    );
  });
}
