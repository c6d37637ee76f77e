import type { Socket as TcpSocket } from 'node:net';
import type WebSocket from 'ws';
import * as ws from 'ws';
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
  request: { websocket?: WebSocket; socket: TcpSocket } | null;
  send(data: string): unknown;
}

/** A connection's WebSocket and the TCP socket under it (the handshake request's `socket`). */
export interface FrameWire {
  ws: WebSocket;
  tcp: TcpSocket;
}

/**
 * ws' own framing (`Sender.frame`, exported by ws, untyped in @types/ws): the header and the
 * payload of one unmasked frame, as ws' `send` would write them.
 */
const { Sender } = ws as unknown as {
  Sender: {
    frame(
      data: Buffer,
      options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
    ): Buffer[];
  };
};
/** WebSocket text frame (RFC 6455 §5.2). */
const TEXT = 1;

/**
 * The waiting room's per-socket write, at the floor: one WebSocket frame, framed once per
 * broadcast, written whole with one `write` to each socket's TCP socket.
 *
 * Why not socket.io's room broadcast: it encodes once too, but then runs, per socket, the
 * adapter's room walk, socket.io's `writeToEngine`, and engine.io's packet object, write buffer,
 * `packetCreate`/`flush`/`drain`/`ready` events and send callbacks — about 40 % of the CPU of a
 * frame write in a profile of 4,000 sockets (see BENCHMARKS.md), for a frame that needs none of
 * it. Why not ws' `WebSocket.send` per socket either: for the same bytes it builds an options
 * object and a frame header per socket, and writes header and payload as two corked writes
 * (a `writev`); a server's frame is unmasked, so the whole frame is the same bytes for every
 * socket and is framed once here by ws' own `Sender.frame`. What this uses: engine.io's
 * handshake request's `websocket` and `socket` (typed `EngineRequest.websocket`, Node's
 * `IncomingMessage.socket`: the TCP socket ws took over), read once at connection; ws'
 * `Sender.frame` and `readyState`; the server's `encoder` (socket.io-parser's `Encoder.encode`);
 * and engine.io's `transport.writable`. It relies on ws writing each of its own frames whole
 * (no fragmentation, no per-message deflate: off in socket-server.gateway.ts), so a frame
 * written between two of ws' writes is a frame boundary.
 *
 * Order is kept with everything socket.io sends the same socket: engine.io writes a packet at
 * once while its transport is writable and buffers it otherwise, so a frame is written directly
 * only when the transport is writable (nothing of engine.io's is waiting); otherwise it goes
 * through engine.io's `send`, behind what is buffered. A socket on any other transport (HTTP
 * long-polling, if it were ever enabled) also gets it through engine.io's `send`: transport-neutral.
 */
export class FrameWriter {
  /** Each connection's WebSocket and TCP socket, from engine.io's `connection` until the namespace's. */
  private readonly pending = new WeakMap<object, FrameWire>();

  constructor(
    private readonly io: FanServer,
    private readonly nsp: FanNamespace,
  ) {
    // Registered after socket.io's own listener (its Client exists by then).
    io.engine.on('connection', (raw: EngineSocket) => {
      const ws = raw.request?.websocket;
      if (ws && raw.request && raw.transport.name === 'websocket') {
        this.pending.set(raw, { ws, tcp: raw.request.socket });
        // engine.io's handshake leaves its `onUpgradeError` listener (a closure per connection,
        // with its context) on the WebSocket for the connection's life; it only logs, and the
        // transport's own `error` listener has taken over (engine.io removes it so on upgrades).
        for (const listener of ws.listeners('error'))
          if (listener.name === 'onUpgradeError')
            ws.off('error', listener as (...args: unknown[]) => void);
      }
      // socket.io's documented memory tip ("Discard the initial HTTP request", performance
      // tuning): engine.io would keep the handshake's IncomingMessage — headers, raw headers,
      // parsed query, ~1 KB and more with a browser's headers — for the socket's whole life;
      // nothing reads it after the handshake (the address cap counts in allowRequest, the queue
      // token comes in the namespace CONNECT packet). `socket.handshake` is built later from
      // what is left (no headers).
      raw.request = null;
    });
  }

  /** The socket's WebSocket and TCP socket, for the socket's data (null on another transport). */
  wireOf(socket: FanSocket): FrameWire | null {
    const wire = this.pending.get(socket.conn) ?? null;
    this.pending.delete(socket.conn);
    return wire;
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
    // engine.io's message packet is '4' + socket.io's packet, sent as a text frame.
    const framed = Buffer.concat(
      Sender.frame(Buffer.from(`4${packet}`), {
        fin: true,
        opcode: TEXT,
        mask: false,
        readOnly: true,
        rsv1: false,
      }),
    );
    let written = 0;
    for (const id of ids) {
      const socket = this.nsp.sockets.get(id);
      if (!socket) continue;
      const conn = socket.conn as unknown as EngineSocket;
      if (conn.readyState !== 'open') continue;
      const { ws, tcp } = socket.data;
      if (ws && tcp && conn.transport.writable && ws.readyState === WS_OPEN) tcp.write(framed);
      else conn.send(packet);
      written++;
    }
    return written;
  }
}
