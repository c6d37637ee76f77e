import type WebSocket from 'ws';
import type { QueueProgress } from '@lineup/client-sdk/contract';
import type { FanNamespace, FanServer, FanSocket } from './fan-sockets.gateway.js';

/** ws' WebSocket.OPEN (readyState). */
const WS_OPEN = 1;
/** socket.io-parser's PacketType.EVENT. */
const EVENT = 2;

/** What engine.io keeps of a connection that this module reads (all typed public by engine.io). */
interface EngineSocket {
  readyState: string;
  transport: { name: string; writable: boolean };
  request: { websocket?: WebSocket } | null;
  send(data: string): unknown;
}

/**
 * The waiting room's per-socket write, at the floor: one WebSocket frame, framed by ws from a
 * Buffer encoded once per broadcast, written straight to each socket's `ws` WebSocket.
 *
 * Why not socket.io's room broadcast: it encodes once too, but then runs, per socket, the
 * adapter's room walk, socket.io's `writeToEngine`, and engine.io's packet object, write buffer,
 * `packetCreate`/`flush`/`drain`/`ready` events and send callbacks — about 40 % of the CPU of a
 * frame write in a profile of 4,000 sockets (see BENCHMARKS.md), for a frame that needs none of
 * it. What this uses instead is public surface only: engine.io's handshake request's
 * `websocket` (typed `EngineRequest.websocket`), read once at connection; ws'
 * `WebSocket.send(data, {binary: false})` (a text frame, as engine.io sends); the server's
 * `encoder` (socket.io-parser's `Encoder.encode`); and engine.io's `transport.writable`.
 *
 * Order is kept with everything socket.io sends the same socket: engine.io writes a packet at
 * once while its transport is writable and buffers it otherwise, so a frame is written directly
 * only when the transport is writable (nothing of engine.io's is waiting); otherwise it goes
 * through engine.io's `send`, behind what is buffered. A socket on any other transport (HTTP
 * long-polling, if it were ever enabled) also gets it through engine.io's `send`: transport-neutral.
 */
export class FrameWriter {
  /** Each connection's ws WebSocket, from engine.io's `connection` until the namespace's. */
  private readonly pending = new WeakMap<object, WebSocket>();

  constructor(
    private readonly io: FanServer,
    private readonly nsp: FanNamespace,
  ) {
    // Registered after socket.io's own listener (its Client exists by then).
    io.engine.on('connection', (raw: EngineSocket) => {
      const ws = raw.request?.websocket;
      if (ws && raw.transport.name === 'websocket') this.pending.set(raw, ws);
      // socket.io's documented memory tip ("Discard the initial HTTP request", performance
      // tuning): engine.io would keep the handshake's IncomingMessage — headers, raw headers,
      // parsed query, ~1 KB and more with a browser's headers — for the socket's whole life;
      // nothing reads it after the handshake (the address cap counts in allowRequest, the queue
      // token comes in the namespace CONNECT packet). `socket.handshake` is built later from
      // what is left (no headers).
      raw.request = null;
    });
  }

  /** The socket's WebSocket, for the socket's data (null when its transport is not one). */
  webSocketOf(socket: FanSocket): WebSocket | null {
    const ws = this.pending.get(socket.conn) ?? null;
    this.pending.delete(socket.conn);
    return ws;
  }

  /** One `queue:progress` frame, encoded once, to every local socket of a room; sockets written. */
  progress(room: string, frame: QueueProgress): number {
    const ids = this.nsp.adapter.rooms.get(room);
    if (!ids || ids.size === 0) return 0;
    const [packet] = this.io.encoder.encode({
      type: EVENT,
      nsp: this.nsp.name,
      data: ['queue:progress', frame],
    }) as [string];
    // engine.io's message packet is '4' + socket.io's packet.
    const wire = Buffer.from(`4${packet}`);
    let written = 0;
    for (const id of ids) {
      const socket = this.nsp.sockets.get(id);
      if (!socket) continue;
      const conn = socket.conn as unknown as EngineSocket;
      if (conn.readyState !== 'open') continue;
      const ws = socket.data.ws;
      if (ws && conn.transport.writable && ws.readyState === WS_OPEN)
        ws.send(wire, { binary: false });
      else conn.send(packet);
      written++;
    }
    return written;
  }
}
