import type { QueueProgress, QueueSocketStatus } from '@lineup/client-sdk/contract';
import { connectFrame, emitFrame, parseFrame, PONG, socketUrl } from './sio-framing.js';
import { WsLite } from './ws-lite.js';

// A minimal Socket.IO v5 client over Engine.IO v4, on a raw WebSocket (ws-lite.ts): what the load runner uses
// when it holds tens of thousands of sockets, where socket.io-client's per-socket machinery (a
// Manager, timers, an emitter chain, JSON parsing of every packet) costs more CPU and memory
// than the server under test. The framing is sio-framing.ts, shared with the k6 scripts; a
// progress frame is parsed once per process there, not per socket (every socket of a line
// receives the very same string; SPEC §5: clients do the arithmetic).

export interface LiteHandlers {
  /** A `queue:status` arrived (rare now: connect, sync, ticks whose frame cannot be applied). */
  status?: (at: number, status: QueueSocketStatus) => void;
  /** A `queue:progress` frame arrived (parsed once for all sockets that receive the same frame). */
  progress?: (at: number, frame: QueueProgress) => void;
  admitted?: (
    at: number,
    payload: { concertId: number; activeUntil: string; admittedAt?: string },
  ) => void;
  ended?: (at: number, payload: { concertId: number; reason: string }) => void;
  seats?: (at: number, payload: unknown) => void;
  /** The socket closed after it had connected (server or network); not called for close(). */
  closed?: (reason: string) => void;
}

export interface LiteOptions {
  /** The server's base URL, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  token: string;
  namespace?: string;
  path?: string;
  localAddress?: string;
  handshakeTimeoutMs?: number;
}

export class LiteQueueSocket {
  private ws: WsLite | undefined;
  private connected = false;
  private closedByUs = false;
  private nextAck = 1;
  private readonly acks = new Map<number, (value: unknown) => void>();
  private readonly nsp: string;

  constructor(
    private readonly options: LiteOptions,
    private readonly on: LiteHandlers = {},
  ) {
    this.nsp = options.namespace ?? '/queue';
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Opens the socket and joins the namespace; rejects with the handshake's error code. */
  connect(): Promise<void> {
    const { baseUrl, localAddress, handshakeTimeoutMs = 30_000 } = this.options;
    const url = socketUrl(baseUrl, this.options.path);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          this.closedByUs = true;
          this.ws?.terminate();
          reject(err);
        } else resolve();
      };
      const timer = setTimeout(() => settle(new Error('HANDSHAKE_TIMEOUT')), handshakeTimeoutMs);
      // The handshake's time limit is the timer above (ws had a second one of its own).
      const ws = new WsLite(
        url,
        { localAddress },
        {
          open: () => undefined,
          error: (err) => settle(new Error(err.code ?? err.message)),
          close: () => {
            const was = this.connected;
            this.connected = false;
            for (const done of this.acks.values()) done({ ok: false, error: { code: 'CLOSED' } });
            this.acks.clear();
            settle(new Error('CLOSED_BEFORE_CONNECT'));
            if (was && !this.closedByUs) this.on.closed?.('transport close');
          },
          text: (data) => this.onFrame(data, Date.now(), settle),
        },
      );
      this.ws = ws;
    });
  }

  private onFrame(raw: string, at: number, settle: (err?: Error) => void): void {
    const frame = parseFrame(raw, this.nsp);
    switch (frame.kind) {
      case 'ping':
        this.ws?.send(PONG);
        break;
      case 'open':
        this.ws?.send(connectFrame(this.options.token, this.nsp));
        break;
      case 'close':
        this.ws?.close();
        break;
      case 'connected':
        this.connected = true;
        settle();
        break;
      case 'refused':
        settle(new Error(frame.code));
        break;
      case 'disconnected':
        this.connected = false;
        this.on.closed?.('io server disconnect');
        this.closedByUs = true;
        this.ws?.close();
        break;
      case 'ack': {
        const done = this.acks.get(frame.id);
        this.acks.delete(frame.id);
        done?.(frame.payload);
        break;
      }
      case 'event':
        this.onEvent(frame.event, frame.payload, at);
        break;
    }
  }

  private onEvent(event: string, payload: unknown, at: number): void {
    if (event === 'queue:progress') this.on.progress?.(at, payload as QueueProgress);
    else if (event === 'queue:status') this.on.status?.(at, payload as QueueSocketStatus);
    else if (event === 'queue:admitted') this.on.admitted?.(at, payload as never);
    else if (event === 'queue:ended') this.on.ended?.(at, payload as never);
    else this.on.seats?.(at, payload);
  }

  /** Emits an event with an acknowledgement; resolves with the ack's payload. */
  call(event: string, ...args: unknown[]): Promise<unknown> {
    const ws = this.ws;
    if (!ws || !this.connected)
      return Promise.resolve({ ok: false, error: { code: 'NOT_CONNECTED' } });
    const id = this.nextAck++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      ws.send(emitFrame(event, id, this.nsp, ...args));
    });
  }

  close(): void {
    this.closedByUs = true;
    this.connected = false;
    this.ws?.close();
  }
}
