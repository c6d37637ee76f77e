import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import net from 'node:net';

// A minimal WebSocket client (RFC 6455) on a net.Socket, for LiteQueueSocket: text frames in
// and out, pings answered, close frames. `ws` builds its opening handshake on node:http's
// ClientRequest and runs every frame through a Writable stream receiver and a sender queue; in
// the booking bench the runner's socket connect and admission wait cost ~0.5 ms of CPU per fan,
// mostly there, CPU taken from the server under test on the same cores. It sends the opening
// request `ws` sent (same headers, same order) and checks the answer as `ws` does (101, Upgrade,
// Sec-WebSocket-Accept, no extension or subprotocol we did not ask for). No permessage-deflate,
// no UTF-8 validation (the runner had both off).

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const CRLF2 = '\r\n\r\n';
const CLOSE_TIMEOUT_MS = 30_000;

export interface WsLiteHandlers {
  open: () => void;
  text: (data: string) => void;
  /** The connection failed (handshake or socket error); `close` follows. */
  error: (err: Error & { code?: string }) => void;
  close: () => void;
}

/** Random mask keys from a pool (one getrandom call per 2,048 frames, not one per frame). */
let maskPool = Buffer.alloc(0);
let maskAt = 0;
function maskKey(): Buffer {
  if (maskAt + 4 > maskPool.length) {
    maskPool = randomFillSync(Buffer.allocUnsafe(8192));
    maskAt = 0;
  }
  const key = maskPool.subarray(maskAt, maskAt + 4);
  maskAt += 4;
  return key;
}

/** One client frame: FIN, the opcode, a masked payload. */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + 4 + n);
  frame[0] = 0x80 | opcode;
  if (n < 126) frame[1] = 0x80 | n;
  else if (n < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  const key = maskKey();
  key.copy(frame, head);
  const at = head + 4;
  for (let i = 0; i < n; i++) frame[at + i] = payload[i]! ^ key[i & 3]!;
  return frame;
}

export class WsLite {
  private readonly socket: net.Socket;
  private readonly key = randomBytes(16).toString('base64');
  private state: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  private failed = false;
  private buf: Buffer | undefined;
  /** A fragmented text message's parts so far. */
  private parts: Buffer[] | undefined;

  constructor(
    url: string,
    options: { localAddress?: string },
    private readonly on: WsLiteHandlers,
  ) {
    const u = new URL(url);
    if (u.protocol !== 'ws:') throw new TypeError(`ws-lite speaks ws: only, not ${u.protocol}`);
    const port = Number(u.port || 80);
    this.socket = net.connect({
      host: u.hostname,
      port,
      localAddress: options.localAddress,
      noDelay: true,
    });
    this.socket.write(
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Key: ${this.key}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Host: ${u.port ? `${u.hostname}:${u.port}` : u.hostname}\r\n\r\n`,
    );
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: Error & { code?: string }) => this.fail(err));
    this.socket.on('close', () => {
      const was = this.state;
      this.state = 'closed';
      if (was === 'connecting' && !this.failed) this.on.error(new Error('socket hang up'));
      this.on.close();
    });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  send(text: string): void {
    if (this.state !== 'open') return;
    this.socket.write(clientFrame(0x1, Buffer.from(text)));
  }

  /**
   * The closing handshake as `ws` does it: our close frame, the server's close frame and its end
   * of the connection, then ours (the side that ends first keeps the port in TIME_WAIT: the
   * server's side, not our source addresses' ephemeral ports), or a cut after 30 s.
   */
  close(): void {
    if (this.state !== 'open') return this.terminate();
    this.state = 'closing';
    this.socket.write(clientFrame(0x8, Buffer.alloc(0)));
    this.socket.setTimeout(CLOSE_TIMEOUT_MS, () => this.socket.destroy());
  }

  terminate(): void {
    this.socket.destroy();
  }

  private fail(err: Error & { code?: string }): void {
    if (this.state === 'closed' || this.failed) return;
    this.failed = true;
    this.on.error(err);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    this.buf = undefined;
    if (this.state === 'connecting') {
      const end = buf.indexOf(CRLF2);
      if (end < 0) {
        this.buf = Buffer.from(buf);
        return;
      }
      const problem = this.checkHandshake(buf.toString('latin1', 0, end));
      if (problem) return this.fail(new Error(problem));
      this.state = 'open';
      this.on.open();
      buf = buf.subarray(end + 4);
    }
    while (buf.length >= 2 && this.state !== 'closed') {
      const fin = (buf[0]! & 0x80) !== 0;
      const opcode = buf[0]! & 0x0f;
      if ((buf[1]! & 0x80) !== 0 || (buf[0]! & 0x70) !== 0)
        return this.fail(new Error('Invalid WebSocket frame: masked or RSV bits set'));
      let len = buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) break;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) break;
        len = buf.readUInt32BE(2) * 2 ** 32 + buf.readUInt32BE(6);
        at = 10;
      }
      if (buf.length < at + len) break;
      const payload = buf.subarray(at, at + len);
      buf = buf.subarray(at + len);
      this.onFrame(fin, opcode, payload);
    }
    if (buf.length > 0 && this.state !== 'closed') this.buf = Buffer.from(buf);
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === 0x1 || opcode === 0x0) {
      if (opcode === 0x1 && fin && !this.parts) return this.on.text(payload.toString());
      (this.parts ??= []).push(Buffer.from(payload));
      if (!fin) return;
      const whole = Buffer.concat(this.parts);
      this.parts = undefined;
      return this.on.text(whole.toString());
    }
    if (opcode === 0x9) {
      if (this.state === 'open') this.socket.write(clientFrame(0xa, payload));
      return;
    }
    if (opcode === 0x8) {
      // The server's close: answer it (unless we started it) and end our side.
      // (Ending twice would build a write-after-end error for nothing.)
      if (this.state === 'open') {
        this.state = 'closing';
        this.socket.end(clientFrame(0x8, payload.subarray(0, 2)));
      } else if (this.socket.writable) this.socket.end();
    }
    // Binary and pong frames: none expected, ignored.
  }

  /** What is wrong with the server's answer to the opening request, or undefined. */
  private checkHandshake(head: string): string | undefined {
    const lines = head.split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0]!)?.[1];
    if (status !== '101') return `Unexpected server response: ${status ?? lines[0]}`;
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i]!.indexOf(':');
      if (colon > 0)
        headers[lines[i]!.slice(0, colon).trim().toLowerCase()] = lines[i]!.slice(colon + 1).trim();
    }
    if (headers.upgrade?.toLowerCase() !== 'websocket') return 'Invalid Upgrade header';
    const accept = createHash('sha1')
      .update(this.key + GUID)
      .digest('base64');
    if (headers['sec-websocket-accept'] !== accept) return 'Invalid Sec-WebSocket-Accept header';
    if (headers['sec-websocket-protocol'] !== undefined)
      return 'Server sent a subprotocol but none was requested';
    if (headers['sec-websocket-extensions'] !== undefined)
      return 'Server sent a Sec-WebSocket-Extensions header but no extension was requested';
    return undefined;
  }
}
