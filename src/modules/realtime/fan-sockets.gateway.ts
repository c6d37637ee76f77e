import type { Namespace, Server, Socket } from 'socket.io';
import type { Socket as TcpSocket } from 'node:net';
import type WebSocket from 'ws';
import type {
  ClientToServerEvents,
  QueueProgress,
  ServerToClientEvents,
} from '@lineup/client-sdk/contract';
import type { QueueEvent } from '../queue/queue.events.js';
import type { QueueClaims } from '../queue/queue-tokens.crypto.js';
import type { StatusResult } from '../queue/queue.service.js';

/** A fan's admission or ending, told by the instance that learned of it to every instance. */
export type FanEvent = Extract<QueueEvent, { type: 'admitted' | 'ended' | 'endedMany' }>;
export interface InterServerEvents {
  'queue:progress': (frame: QueueProgress) => void;
  'queue:fan': (event: FanEvent) => void;
}
export interface SocketData {
  claims: QueueClaims;
  /** The fan's entry read by the handshake, until the connection handler has used it. */
  entry: StatusResult | null;
  /** Endings heard by this socket (a seats:subscribe racing with one is undone). */
  endings: number;
  /** The connection's ws WebSocket (frame-writer.gateway.ts), null on another transport. */
  ws: WebSocket | null;
  /** The TCP socket under it, which frames are written to whole (frame-writer.gateway.ts). */
  tcp: TcpSocket | null;
}
export type FanServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type FanNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type FanSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/**
 * This instance's sockets by concert and fan: where an admission or an ending finds the fan's
 * sockets. It replaces a socket.io room per fan, which cost every socket a room name string, a
 * Set of one id in the adapter's room map and an entry in its socket-to-rooms Set (~250 bytes);
 * here a fan with one socket is one Map entry keyed by its user id (a small integer) whose value
 * is the socket itself (an array only for a fan with several tabs).
 *
 * An entry goes when its socket disconnects, told by the namespace's adapter, not by a
 * `disconnect` listener on each socket: a disconnecting socket leaves every room, its own-id room
 * last among them only then (socket.io joins it at connect and leaves it in `leaveAll`), and the
 * adapter's documented `leave-room` event says so while the socket is still in `nsp.sockets`.
 * One more event name on each socket would have grown its listener dictionary from 5 names to 6
 * (V8 keeps an EventEmitter's listeners in a dictionary: ~350 bytes for 4–5 names, ~540 for 6).
 */
export class FanSockets {
  private readonly byConcert = new Map<number, Map<number, FanSocket | FanSocket[]>>();

  /** Starts following the namespace's disconnections (once, for every socket). */
  watch(nsp: FanNamespace): void {
    nsp.adapter.on('leave-room', (room: string, id: string) => {
      if (room !== id) return; // another room: the socket stays connected
      const socket = nsp.sockets.get(id);
      if (socket?.data.claims) this.remove(socket);
    });
  }

  add(socket: FanSocket): void {
    const { concertId, userId } = socket.data.claims;
    let fans = this.byConcert.get(concertId);
    if (!fans) this.byConcert.set(concertId, (fans = new Map()));
    const held = fans.get(userId);
    if (held === undefined) fans.set(userId, socket);
    else if (Array.isArray(held)) held.push(socket);
    else fans.set(userId, [held, socket]);
  }

  /** The fan's sockets on this instance (a copy: callers may make them leave or disconnect). */
  of(concertId: number, userId: number): FanSocket[] {
    const held = this.byConcert.get(concertId)?.get(userId);
    if (held === undefined) return [];
    return Array.isArray(held) ? [...held] : [held];
  }

  private remove(socket: FanSocket): void {
    const { concertId, userId } = socket.data.claims;
    const fans = this.byConcert.get(concertId);
    const held = fans?.get(userId);
    if (!fans || held === undefined) return;
    if (held === socket) fans.delete(userId);
    else if (Array.isArray(held)) {
      const left = held.filter((s) => s !== socket);
      if (left.length === 0) fans.delete(userId);
      else fans.set(userId, left.length === 1 ? left[0]! : left);
    }
    if (fans.size === 0) this.byConcert.delete(concertId);
  }

  /** Sockets indexed (tests: the index empties as sockets go). */
  get size(): number {
    let n = 0;
    for (const fans of this.byConcert.values())
      for (const held of fans.values()) n += Array.isArray(held) ? held.length : 1;
    return n;
  }
}
