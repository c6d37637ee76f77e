// The load runner's WebSocket client (load/lib/ws-lite.ts, under LiteQueueSocket) against the
// `ws` library's server, the one socket.io serves with: the opening request `ws` sent, frames of
// every length class, fragments, pings, both closings, and the handshakes it must refuse.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { WsLite } from '../../load/lib/ws-lite.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/socket.io/?EIO=4&transport=websocket`;
}

async function wsServer(onConnection: (ws: WebSocket, req: IncomingMessage) => void) {
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', onConnection);
  closers.push(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  return { url: await listen(server), wss };
}

/** A WsLite whose events are recorded; `opened` resolves on open, rejects on error. */
function client(url: string, localAddress?: string) {
  const texts: string[] = [];
  const errors: string[] = [];
  let closed = false;
  let ws!: WsLite;
  const opened = new Promise<void>((resolve, reject) => {
    ws = new WsLite(
      url,
      { localAddress },
      {
        open: resolve,
        text: (t) => texts.push(t),
        error: (e) => {
          errors.push(e.message);
          reject(e);
        },
        close: () => (closed = true),
      },
    );
  });
  closers.push(() => ws.terminate());
  return { ws, texts, errors, opened, isClosed: () => closed };
}

const until = async (check: () => boolean, ms = 2_000) => {
  const stop = Date.now() + ms;
  while (!check()) {
    if (Date.now() > stop) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('WsLite', () => {
  it('sends the opening request ws sent, from the source address asked', async () => {
    const raw: string[] = [];
    const from: string[] = [];
    const server = net.createServer((socket) => {
      from.push(String(socket.remoteAddress));
      socket.once('data', (d: Buffer) => {
        raw.push(d.toString('latin1'));
        socket.destroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/socket.io/?EIO=4&transport=websocket`;
    const lite = client(url, '127.0.0.7');
    await expect(lite.opened).rejects.toThrow('socket hang up');
    const viaWs = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    await new Promise((r) => viaWs.on('error', r));
    await until(() => raw.length === 2);
    const withoutKey = (s: string) => s.replace(/Sec-WebSocket-Key: \S+/, 'Sec-WebSocket-Key: *');
    expect(withoutKey(raw[0]!)).toBe(withoutKey(raw[1]!));
    expect(from[0]).toBe('127.0.0.7');
  });

  it('exchanges text frames of every length class, fragments and pings, then closes cleanly', async () => {
    const got: string[] = [];
    let closeCode = 0;
    let pongs = 0;
    const big = 'x'.repeat(70_000);
    const mid = 'é'.repeat(200);
    const srv = await wsServer((ws) => {
      ws.on('message', (d: Buffer) => got.push(d.toString()));
      ws.on('pong', () => pongs++);
      ws.on('close', (code) => (closeCode = code));
      ws.send('0{"sid":"a"}');
      ws.send(mid);
      ws.send(big);
      ws.send('part-1 ', { fin: false });
      ws.send('part-2', { fin: true });
      ws.ping('p');
    });
    const lite = client(srv.url);
    await lite.opened;
    expect(lite.ws.isOpen).toBe(true);
    await until(() => lite.texts.length === 4 && pongs === 1);
    expect(lite.texts).toEqual(['0{"sid":"a"}', mid, big, 'part-1 part-2']);
    lite.ws.send('40/queue,{"token":"t"}');
    lite.ws.send(mid);
    lite.ws.send(big);
    await until(() => got.length === 3);
    expect(got).toEqual(['40/queue,{"token":"t"}', mid, big]);
    lite.ws.close();
    await until(() => lite.isClosed() && closeCode !== 0);
    expect(closeCode).toBe(1005);
    expect(lite.errors).toEqual([]);
  });

  it('leaves ending the connection to the server after its close (TIME_WAIT on its side)', async () => {
    const events: string[] = [];
    let serverSocket: Socket | undefined;
    const server = net.createServer((socket) => {
      serverSocket = socket;
      socket.once('data', (d: Buffer) => {
        const key = /Sec-WebSocket-Key: (\S+)/.exec(d.toString('latin1'))![1]!;
        const accept = createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        socket.on('data', (f: Buffer) => events.push(`frame ${f[0]! & 0x0f}`));
      });
      socket.on('end', () => events.push('client ended'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => {
      serverSocket?.destroy();
      server.close();
    });
    const lite = client(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await lite.opened;
    lite.ws.close();
    await until(() => events.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual(['frame 8']);
    // The server's close frame and end: only then does the client end its side.
    serverSocket!.end(Buffer.from([0x88, 0x00]));
    await until(() => lite.isClosed());
    expect(events).toEqual(['frame 8', 'client ended']);
  });

  it("answers the server's close and tells it closed", async () => {
    const srv = await wsServer((ws) => setTimeout(() => ws.close(1001, 'bye'), 10));
    const lite = client(srv.url);
    await lite.opened;
    await until(() => lite.isClosed());
    expect(lite.ws.isOpen).toBe(false);
    expect(lite.errors).toEqual([]);
  });

  it('refuses an answer that is not an upgrade, or has the wrong accept key', async () => {
    const plain = createServer((_req, res) => res.writeHead(400).end());
    const url = await listen(plain);
    plain.on('upgrade', (_req, socket: Socket) =>
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'),
    );
    const a = client(url);
    await expect(a.opened).rejects.toThrow('Unexpected server response: 400');

    const liar = createServer();
    const url2 = await listen(liar);
    liar.on('upgrade', (_req, socket: Socket) =>
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Accept: bm90IHRoZSBrZXk=\r\n\r\n',
      ),
    );
    const b = client(url2);
    await expect(b.opened).rejects.toThrow('Invalid Sec-WebSocket-Accept header');
    await until(() => b.isClosed());
    expect(b.errors).toHaveLength(1);
  });
});
