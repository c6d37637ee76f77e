import WebSocket from 'ws';
import type { QueueProgress, QueueSocketStatus } from '@lineup/client-sdk/contract';

// A minimal Socket.IO v5 client over Engine.IO v4, on `ws` directly: what the load runner uses
// when it holds tens of thousands of sockets, where socket.io-client's per-socket machinery (a
// Manager, timers, an emitter chain, JSON parsing of every packet) costs more CPU and memory
// than the server under test. Framing (all text frames):
//   server `0{"sid":..,"pingInterval":..}`      Engine.IO open
//   client `40/queue,{"token":"<queueToken>"}`  Socket.IO CONNECT to the namespace with auth
//   server `40/queue,{"sid":..}` or `44/queue,{"message":"QUEUE_TOKEN_INVALID","data":{..}}`
//   server `2` -> client `3`                     Engine.IO ping / pong (the server pings)
//   server `42/queue,["queue:status",{...}]`     an event
//   client `42/queue,7["queue:leave"]` -> server `43/queue,7[{"ok":true,...}]`   with an ack
//   `41/queue,` namespace disconnect; `1` Engine.IO close
//   server `42/queue,["queue:progress",{...}]`   the line's frame of a tick, the same for all
// A progress frame is parsed once per process, not per socket: every socket of a line receives
// the very same string, so the last one parsed is reused (SPEC §5: clients do the arithmetic).

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

const STATUS_PREFIX = '["queue:status"';
const PROGRESS_PREFIX = '["queue:progress"';

let lastProgressBody = '';
let lastProgress: QueueProgress | undefined;
function parseProgress(body: string): QueueProgress {
  if (body !== lastProgressBody || !lastProgress) {
    lastProgress = (JSON.parse(body) as [string, QueueProgress])[1];
    lastProgressBody = body;
  }
  return lastProgress;
}
const ADMITTED_PREFIX = '["queue:admitted"';
const ENDED_PREFIX = '["queue:ended"';

export class LiteQueueSocket {
  private ws: WebSocket | undefined;
  private connected = false;
  private closedByUs = false;
  private nextAck = 1;
  private readonly acks = new Map<number, (value: unknown) => void>();
  private readonly nsp: string;
  private readonly eventPrefix: string;
  private readonly ackPrefix: string;

  constructor(
    private readonly options: LiteOptions,
    private readonly on: LiteHandlers = {},
  ) {
    this.nsp = options.namespace ?? '/queue';
    this.eventPrefix = `42${this.nsp},`;
    this.ackPrefix = `43${this.nsp},`;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Opens the socket and joins the namespace; rejects with the handshake's error code. */
  connect(): Promise<void> {
    const { baseUrl, token, localAddress, handshakeTimeoutMs = 30_000 } = this.options;
    const url = `${baseUrl.replace(/^http/, 'ws')}${this.options.path ?? '/socket.io/'}?EIO=4&transport=websocket`;
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
      const ws = new WebSocket(url, {
        localAddress,
        perMessageDeflate: false,
        skipUTF8Validation: true,
        handshakeTimeout: handshakeTimeoutMs,
      });
      this.ws = ws;
      ws.on('error', (err: NodeJS.ErrnoException) => settle(new Error(err.code ?? err.message)));
      ws.on('close', () => {
        const was = this.connected;
        this.connected = false;
        for (const done of this.acks.values()) done({ ok: false, error: { code: 'CLOSED' } });
        this.acks.clear();
        settle(new Error('CLOSED_BEFORE_CONNECT'));
        if (was && !this.closedByUs) this.on.closed?.('transport close');
      });
      ws.on('message', (data: Buffer) => {
        const frame = data.toString();
        const at = Date.now();
        const type = frame.charCodeAt(0);
        if (type === 50 /* '2' ping */) {
          ws.send('3');
        } else if (type === 52 /* '4' message */) {
          this.onPacket(frame, at, settle);
        } else if (type === 48 /* '0' open */) {
          ws.send(`40${this.nsp},${JSON.stringify({ token })}`);
        } else if (type === 49 /* '1' close */) {
          ws.close();
        }
      });
    });
  }

  private onPacket(frame: string, at: number, settle: (err?: Error) => void): void {
    if (frame.startsWith(this.eventPrefix)) {
      const body = frame.slice(this.eventPrefix.length);
      if (body.startsWith(PROGRESS_PREFIX)) this.on.progress?.(at, parseProgress(body));
      else if (body.startsWith(STATUS_PREFIX))
        this.on.status?.(at, (JSON.parse(body) as [string, QueueSocketStatus])[1]);
      else if (body.startsWith(ADMITTED_PREFIX))
        this.on.admitted?.(at, (JSON.parse(body) as [string, never])[1]);
      else if (body.startsWith(ENDED_PREFIX))
        this.on.ended?.(at, (JSON.parse(body) as [string, never])[1]);
      else if (this.on.seats) this.on.seats(at, (JSON.parse(body) as [string, unknown])[1]);
      return;
    }
    if (frame.startsWith(this.ackPrefix)) {
      const body = frame.slice(this.ackPrefix.length);
      const open = body.indexOf('[');
      const id = Number(body.slice(0, open));
      const done = this.acks.get(id);
      this.acks.delete(id);
      done?.((JSON.parse(body.slice(open)) as unknown[])[0]);
      return;
    }
    const kind = frame.charCodeAt(1);
    if (kind === 48 /* '0' connect */) {
      this.connected = true;
      settle();
    } else if (kind === 52 /* '4' connect error */) {
      const comma = frame.indexOf(',');
      const err = JSON.parse(frame.slice(comma + 1)) as { message?: string };
      settle(new Error(err.message ?? 'CONNECT_ERROR'));
    } else if (kind === 49 /* '1' disconnect */) {
      this.connected = false;
      this.on.closed?.('io server disconnect');
      this.closedByUs = true;
      this.ws?.close();
    }
  }

  /** Emits an event with an acknowledgement; resolves with the ack's payload. */
  call(event: string, ...args: unknown[]): Promise<unknown> {
    const ws = this.ws;
    if (!ws || !this.connected)
      return Promise.resolve({ ok: false, error: { code: 'NOT_CONNECTED' } });
    const id = this.nextAck++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      ws.send(`42${this.nsp},${id}${JSON.stringify([event, ...args])}`);
    });
  }

  close(): void {
    this.closedByUs = true;
    this.connected = false;
    const ws = this.ws;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) ws.close();
    else ws.terminate();
  }
}
