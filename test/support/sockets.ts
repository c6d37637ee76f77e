import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@lineup/client-sdk/contract';

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
  return socket;
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
