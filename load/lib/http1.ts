import net from 'node:net';
import { performance } from 'node:perf_hooks';

// A lean HTTP/1.1 keep-alive client for the load runner: one request at a time per connection,
// the request written as one string, the answer parsed by hand (status line, headers, a body by
// Content-Length, chunked or up to the close). node:http's ClientRequest, Agent, IncomingMessage
// and their streams were most of the runner's CPU per request in the booking bench (profile),
// CPU the server under test then lacks on the same cores. It sends what node:http sent for the
// SDK's calls: the request line, Host, Connection: keep-alive, the caller's headers and a
// Content-Length when there is a body.

export interface Http1Answer {
  status: number;
  /** Lower-case names; a repeated header's values joined with ', '. */
  headers: Record<string, string>;
  body: string;
}

export interface Http1Request {
  host: string;
  port: number;
  localAddress?: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** A failure, with `reused` saying whether the connection had served a request before. */
export type Http1Error = NodeJS.ErrnoException & { reused?: boolean; answered?: boolean };

const CRLF2 = '\r\n\r\n';
/** Methods node:http sends without a length when they have no body. */
const NO_BODY_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** One kept-alive connection: runs one exchange at a time. */
class Connection {
  readonly socket: net.Socket;
  reused = false;
  private headPart: Buffer | undefined;
  /** When the exchange in flight was sent (performance.now()), for the pool's time limit. */
  since = 0;
  private status = 0;
  private headers: Record<string, string> = {};
  private bodyChunks: Buffer[] = [];
  private bodyLength = 0;
  /** Bytes of body still expected (-1: chunked, -2: up to the close). */
  private left = 0;
  private chunkState: Buffer | undefined;
  private inBody = false;
  private gotBytes = false;
  private keepAlive = true;
  private done: Waiting | undefined;
  private noBody = false;

  constructor(
    host: string,
    port: number,
    localAddress: string | undefined,
    private readonly onIdle: (c: Connection) => void,
    private readonly onGone: (c: Connection) => void,
  ) {
    this.socket = net.connect({ host, port, localAddress, noDelay: true });
    this.socket.setKeepAlive(true, 1_000);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: Http1Error) => this.fail(err));
    this.socket.on('close', () => {
      if (this.left === -2 && this.inBody) this.finish();
      else {
        const err: Http1Error = new Error('socket hang up');
        err.code = 'ECONNRESET';
        this.fail(err);
      }
      this.onGone(this);
    });
  }

  get busy(): boolean {
    return this.done !== undefined;
  }

  send(w: Waiting): void {
    const req = w.req;
    this.done = w;
    this.since = performance.now();
    this.headPart = undefined;
    this.inBody = false;
    this.gotBytes = false;
    this.noBody = req.method === 'HEAD';
    // Byte for byte what node:http wrote for the same call: the caller's headers, the body's
    // length, Host, Connection, and `Content-Length: 0` for a POST without a body.
    let text = `${req.method} ${req.path} HTTP/1.1\r\n`;
    for (const name in req.headers) {
      const value = req.headers[name]!;
      if (/[\r\n]/.test(name) || /[\r\n]/.test(value))
        throw new TypeError(`Invalid character in header ${JSON.stringify(name)}`);
      text += `${name}: ${value}\r\n`;
    }
    if (req.body !== undefined) text += `content-length: ${Buffer.byteLength(req.body)}\r\n`;
    text += `Host: ${req.port === 80 ? req.host : `${req.host}:${req.port}`}\r\nConnection: keep-alive\r\n`;
    if (req.body === undefined && !NO_BODY_BY_DEFAULT.has(req.method))
      text += 'Content-Length: 0\r\n';
    text += '\r\n';
    if (req.body !== undefined) text += req.body;
    this.socket.write(text);
  }

  /** Ends the exchange in flight (if any) with `err`, and the connection with it. */
  fail(err: Http1Error): void {
    const done = this.done;
    this.done = undefined;
    this.keepAlive = false;
    this.socket.destroy();
    if (!done) return;
    err.reused = this.reused;
    err.answered = this.gotBytes;
    done.reject(err);
  }

  private onData(chunk: Buffer): void {
    if (!this.done) {
      const err: Http1Error = new Error('unexpected data on an idle connection');
      err.code = 'HPE_UNEXPECTED';
      return this.fail(err);
    }
    this.gotBytes = true;
    if (this.inBody) return this.onBody(chunk);
    // The head is looked for in the bytes: a seat map's 16 kB are not decoded twice.
    const buf = this.headPart ? Buffer.concat([this.headPart, chunk]) : chunk;
    const end = buf.indexOf(CRLF2);
    if (end < 0) {
      this.headPart = Buffer.from(buf);
      return;
    }
    this.headPart = undefined;
    const rest = buf.subarray(end + 4);
    const kind = this.parseHead(buf.toString('latin1', 0, end));
    if (kind === 'bad') return;
    if (kind === 'interim') {
      // A 1xx answer: the real one follows.
      if (rest.length > 0) this.onData(rest);
      return;
    }
    this.inBody = true;
    this.bodyChunks = [];
    this.bodyLength = 0;
    this.chunkState = undefined;
    if (this.left === 0) return this.finish();
    if (rest.length > 0) this.onBody(rest);
  }

  /** Reads the status line and headers. */
  private parseHead(head: string): 'ok' | 'interim' | 'bad' {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) {
      this.protocolError(`bad status line ${JSON.stringify(lines[0])}`);
      return 'bad';
    }
    this.status = Number(m[1]);
    if (this.status >= 100 && this.status < 200) return 'interim';
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    this.headers = headers;
    this.keepAlive = !/\bclose\b/i.test(headers.connection ?? '');
    if (this.noBody || this.status === 204 || this.status === 304) this.left = 0;
    else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) this.left = -1;
    else if (headers['content-length'] !== undefined) this.left = Number(headers['content-length']);
    else {
      this.left = -2;
      this.keepAlive = false;
    }
    return 'ok';
  }

  private onBody(chunk: Buffer): void {
    if (this.left === -2) {
      this.push(chunk);
      return;
    }
    if (this.left === -1) return this.onChunked(chunk);
    if (chunk.length > this.left) return this.protocolError('more body than its Content-Length');
    this.push(chunk);
    this.left -= chunk.length;
    if (this.left === 0) this.finish();
  }

  /** Chunked transfer coding: `<hex size>[;ext]\r\n<data>\r\n`..., `0\r\n[trailers]\r\n`. */
  private onChunked(chunk: Buffer): void {
    let buf = this.chunkState ? Buffer.concat([this.chunkState, chunk]) : chunk;
    for (;;) {
      const eol = buf.indexOf('\r\n');
      if (eol < 0) break;
      const size = parseInt(buf.toString('latin1', 0, eol), 16);
      if (!Number.isFinite(size)) return this.protocolError('bad chunk size');
      if (size === 0) {
        // The last chunk: trailers (none expected) up to an empty line.
        if (buf.indexOf(CRLF2, eol) < 0) break;
        this.chunkState = undefined;
        return this.finish();
      }
      if (buf.length < eol + 2 + size + 2) break;
      this.push(buf.subarray(eol + 2, eol + 2 + size));
      buf = buf.subarray(eol + 2 + size + 2);
    }
    this.chunkState = buf.length > 0 ? Buffer.from(buf) : undefined;
  }

  private push(chunk: Buffer): void {
    this.bodyChunks.push(chunk);
    this.bodyLength += chunk.length;
  }

  private finish(): void {
    const done = this.done;
    if (!done) return;
    this.done = undefined;
    this.inBody = false;
    const chunks = this.bodyChunks;
    const body =
      chunks.length === 0
        ? ''
        : chunks.length === 1
          ? chunks[0]!.toString('utf8')
          : Buffer.concat(chunks, this.bodyLength).toString('utf8');
    this.bodyChunks = [];
    const answer = { status: this.status, headers: this.headers, body };
    if (this.keepAlive) {
      this.reused = true;
      this.onIdle(this);
    } else this.socket.destroy();
    done.resolve(answer);
  }

  private protocolError(message: string): void {
    const err: Http1Error = new Error(message);
    err.code = 'HPE_INVALID';
    this.fail(err);
  }
}

/** A request and its promise's settlers (no closure per request: see `request`). */
interface Waiting {
  req: Http1Request;
  resolve: (answer: Http1Answer) => void;
  reject: (err: Http1Error) => void;
}

/**
 * Kept-alive connections to one target (host, port), at most `maxSockets`: a request takes any
 * idle one, whatever source address it was opened from, as a load balancer's upstream pool does
 * (deploy/nginx.conf: `keepalive`). A new one is opened only when none is idle, from the
 * request's own source address, so the addresses stay spread. One lane per (target, source), as
 * before, opened a connection whenever that one lane was busy: ~500 in the middle of a 10,000-hold
 * storm, and Node 20's libuv accepts one connection per event-loop iteration (libuv PR #3696), so
 * on a loaded instance each waited 200-400 ms in the accept queue (`ss -lnt` Recv-Q 40-90): the
 * storm's p95-p99 was the runner's own connection churn, not the holds.
 */
class Lane {
  /** Idle connections, least recently used first (as the Agent's `scheduling: 'fifo'`). */
  readonly idle: Connection[] = [];
  readonly all = new Set<Connection>();
  readonly waiting: Waiting[] = [];
  /** Connections this lane opened (the pool's `opened`). */
  opened = 0;
  constructor(
    private readonly key: Http1Request,
    private readonly maxSockets: number,
  ) {}

  run(w: Waiting): void {
    // An idle connection whose server just ended it (its close still to come) is passed over.
    let conn = this.idle.shift();
    while (conn && !conn.socket.writable) conn = this.idle.shift();
    if (conn) return this.start(conn, w);
    if (this.all.size < this.maxSockets) {
      this.opened++;
      const fresh = new Connection(
        this.key.host,
        this.key.port,
        w.req.localAddress,
        (c) => this.onIdle(c),
        (c) => this.onGone(c),
      );
      this.all.add(fresh);
      return this.start(fresh, w);
    }
    this.waiting.push(w);
  }

  private start(conn: Connection, w: Waiting): void {
    try {
      conn.send(w);
    } catch (err) {
      conn.fail(err as Http1Error);
    }
  }

  private onIdle(conn: Connection): void {
    const next = this.waiting.shift();
    if (next) {
      // After the answer in flight is handed over: the next request's errors are its own.
      queueMicrotask(() => this.start(conn, next));
      return;
    }
    this.idle.push(conn);
  }

  private onGone(conn: Connection): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    const next = this.waiting.shift();
    if (next) this.run(next);
  }

  destroy(): void {
    for (const c of this.all) c.socket.destroy();
  }
}

/** Requests over lanes of kept-alive connections; what loadFetch sends through. */
export class Http1Pool {
  private readonly lanes = new Map<string, Lane>();
  private readonly sweeper: NodeJS.Timeout;

  /** An exchange not answered within `timeoutMs` fails (one sweep a second, not a timer each). */
  constructor(
    private readonly maxSockets: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(1_000, timeoutMs));
    this.sweeper.unref();
  }

  private sweep(): void {
    const late = performance.now() - this.timeoutMs;
    for (const lane of this.lanes.values())
      for (const c of lane.all)
        if (c.busy && c.since < late) c.fail(new Error(`timeout after ${this.timeoutMs} ms`));
  }

  request(req: Http1Request): Promise<Http1Answer> {
    const key = `${req.host}|${req.port}`;
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = new Lane(req, this.maxSockets)));
    // The executor is the only closure made per request (tsx names every named one it
    // compiles, a defineProperty per call on the hot path).
    return new Promise((resolve, reject) => lane.run({ req, resolve, reject }));
  }

  /** Connections opened so far (all lanes), closed ones included. */
  get opened(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.opened;
    return n;
  }

  /** Open connections (all lanes). */
  get connections(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.all.size;
    return n;
  }

  /** Closes every connection (an exchange in flight fails). */
  destroy(): void {
    clearInterval(this.sweeper);
    for (const lane of this.lanes.values()) lane.destroy();
    this.lanes.clear();
  }
}
