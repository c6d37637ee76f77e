// The load runner's fetch (load/lib/http.ts on load/lib/http1.ts, its own HTTP/1.1 client):
// it must send what node:http sent for the same calls, read every way a server frames an
// answer, keep connections alive per source address, resend on the keep-alive race only, and
// give up on time. Against real local servers (node:net and node:http), no mocks.
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LineupClient, LineupError } from '@lineup/client-sdk';
import { SourceAddresses } from '../../load/lib/addresses.js';
import { loadFetch } from '../../load/lib/http.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A raw TCP server: `onRequest` gets each request's bytes (one write each) and the socket. */
async function rawServer(onRequest: (raw: string, socket: net.Socket, n: number) => void) {
  const sockets = new Set<net.Socket>();
  let n = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      const raw = buf.slice(0, end + 4 + len);
      buf = buf.slice(end + 4 + len);
      onRequest(raw, socket, n++);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, sockets };
}

const ok = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

function fetcher(options: Parameters<typeof loadFetch>[0] = {}) {
  const f = loadFetch(options);
  closers.push(() => f.agent.destroy());
  return f;
}

describe('loadFetch requests', () => {
  it('writes byte for byte what node:http wrote for the same calls', async () => {
    const seen: string[] = [];
    const srv = await rawServer((raw, socket) => {
      seen.push(raw);
      socket.write(ok('{}'));
    });
    const calls: [string, string | undefined][] = [
      ['POST', '{"name":"Kim Ji-su é"}'],
      ['POST', undefined],
      ['DELETE', undefined],
      ['GET', undefined],
    ];
    const headers = (body?: string) => ({
      accept: 'application/json',
      authorization: 'Bearer t',
      'Idempotency-Key': 'k-1',
      ...(body ? { 'content-type': 'application/json' } : {}),
    });
    const agent = new http.Agent({ keepAlive: true });
    closers.push(() => agent.destroy());
    for (const [method, body] of calls) {
      await new Promise<void>((resolve, reject) => {
        const h: Record<string, string> = headers(body);
        if (body !== undefined) h['content-length'] = String(Buffer.byteLength(body));
        const req = http.request(
          { agent, host: '127.0.0.1', port: srv.port, path: '/a/b?c=1', method, headers: h },
          (res) => res.resume().on('end', resolve),
        );
        req.on('error', reject);
        req.end(body);
      });
    }
    const byNode = seen.splice(0);
    const f = fetcher();
    for (const [method, body] of calls)
      await f(`${srv.url}/a/b?c=1`, { method, headers: headers(body), body });
    expect(seen).toEqual(byNode);
  });

  it('reads answers split anywhere, chunked, empty, interim, up to the close, and their headers', async () => {
    const answers = [
      // Head and body split mid-way, a repeated header.
      ['HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Le', 'ngth: 10\r\nX-A: 2\r\n\r\n{"a":', '"é"}'],
      // Chunked, with a chunk extension and the chunks split.
      [
        'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\n[1,2\r\n',
        '3\r\n,3]\r\n0\r\n\r\n',
      ],
      ['HTTP/1.1 204 No Content\r\nX-B: b\r\n\r\n'],
      ['HTTP/1.1 100 Continue\r\n\r\n', ok('[]')],
      [
        'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nConnection: close\r\n\r\n{"error":{"code":"SERVICE_UNAVAILABLE","message":"x"}}',
      ],
    ];
    const srv = await rawServer((_raw, socket, n) => {
      const parts = answers[n]!;
      parts.forEach((p, i) => setTimeout(() => socket.write(p), i * 5));
      if (n === answers.length - 1) setTimeout(() => socket.end(), parts.length * 5 + 5);
    });
    const f = fetcher();
    const a = await f(`${srv.url}/1`);
    expect([a.status, await a.text(), a.headers.get('X-A')]).toEqual([200, '{"a":"é"}', '1, 2']);
    const b = await f(`${srv.url}/2`);
    expect([b.status, await b.json()]).toEqual([201, [1, 2, 3]]);
    const c = await f(`${srv.url}/3`);
    expect([c.status, c.ok, await c.text(), c.headers.get('x-b'), c.headers.get('x-c')]).toEqual([
      204,
      true,
      '',
      'b',
      null,
    ]);
    const d = await f(`${srv.url}/4`);
    expect([d.status, await d.text()]).toEqual([200, '[]']);
    const e = await f(`${srv.url}/5`);
    expect([e.status, e.ok, e.headers.get('retry-after')]).toEqual([503, false, '7']);
    expect(await e.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
  });

  it("shares a target's kept-alive connections across source addresses, new ones from the request's", async () => {
    const peers: string[] = [];
    const srv = await rawServer((_raw, socket) => {
      peers.push(socket.remoteAddress!);
      setTimeout(() => socket.write(ok('{}')), 5);
    });
    const f = fetcher({ maxSockets: 1, sources: SourceAddresses.loopback(4, 10) });
    // One at a time: the first connection serves them all, whatever each request's source.
    for (let i = 0; i < 6; i++) await f(`${srv.url}/x`);
    expect(f.pool.opened).toBe(1);
    // Four at once: three more, each from the source of the request that needed it.
    await Promise.all(Array.from({ length: 4 }, () => f(`${srv.url}/y`)));
    expect(f.pool.opened).toBe(4);
    // Six requests took sources .10-.13 in turn, so these four took .12, .13, .10, .11: the first
    // reused the connection from .10, the others opened theirs from their own source.
    expect([...srv.sockets].map((s) => s.remoteAddress).sort()).toEqual([
      '127.0.0.10',
      '127.0.0.10',
      '127.0.0.11',
      '127.0.0.13',
    ]);
    // At most maxSockets x sources at once.
    await Promise.all(Array.from({ length: 12 }, () => f(`${srv.url}/z`)));
    expect(f.pool.connections).toBe(4);
    expect(peers.length).toBe(22);
  });

  it('keeps connections alive: one per lane in turn, at most maxSockets at once', async () => {
    let inFlight = 0;
    let most = 0;
    const srv = await rawServer((_raw, socket) => {
      most = Math.max(most, ++inFlight);
      setTimeout(() => {
        inFlight--;
        socket.write(ok('{}'));
      }, 5);
    });
    const f = fetcher({ maxSockets: 3 });
    for (let i = 0; i < 5; i++) await f(`${srv.url}/x`);
    expect(f.pool.connections).toBe(1);
    await Promise.all(Array.from({ length: 20 }, () => f(`${srv.url}/y`)));
    expect(most).toBe(3);
    expect(f.pool.connections).toBe(3);
  });

  it('resends on the keep-alive race only (an idle connection the server closed), counted', async () => {
    const srv = await rawServer((_raw, socket, n) => {
      // The 2nd request comes on the kept connection: close it unanswered, as an idle timeout would.
      if (n === 1) socket.destroy();
      else socket.write(ok(`{"n":${n}}`));
    });
    const f = fetcher();
    expect(await (await f(`${srv.url}/a`)).json()).toEqual({ n: 0 });
    expect(await (await f(`${srv.url}/b`)).json()).toEqual({ n: 2 });
    expect(f.stats.staleRetries).toBe(1);

    // A fresh connection reset is an answer's failure: not resent, and said to be fresh.
    const rude = await rawServer((_raw, socket) => socket.destroy());
    const g = fetcher();
    await expect(g(`${rude.url}/c`)).rejects.toMatchObject({
      code: 'ECONNRESET',
      message: expect.stringContaining('(reused connection: false)'),
    });
    expect(g.stats.staleRetries).toBe(0);
  });

  it('gives up after timeoutMs, and the SDK sees a network error with its cause', async () => {
    const srv = await rawServer(() => undefined);
    const f = fetcher({ timeoutMs: 200 });
    const sdk = new LineupClient({ baseUrl: srv.url, fetch: f });
    const err = (await sdk.concerts().catch((e: unknown) => e)) as LineupError;
    expect(err).toBeInstanceOf(LineupError);
    expect(err.code).toBe('NETWORK_ERROR');
    expect(String((err as { cause?: Error }).cause?.message)).toBe('timeout after 200 ms');
    // The connection that timed out is closed, not kept.
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.sockets.size).toBe(0);
    expect(f.pool.connections).toBe(0);
  });

  it("carries the SDK's calls: bodies, error envelopes, Retry-After", async () => {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/users/me/points/charge') {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
          res.end(JSON.stringify({ error: { code: 'RATE_LIMITED', message: body } }));
        } else res.end(JSON.stringify([{ id: 1, echo: req.headers['x-queue-token'] }]));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const { port } = server.address() as net.AddressInfo;
    const sdk = new LineupClient({ baseUrl: `http://127.0.0.1:${port}`, fetch: fetcher() });
    expect(await sdk.schedules(5, 'qt')).toEqual([{ id: 1, echo: 'qt' }]);
    const err = (await sdk.charge(5_000).catch((e: unknown) => e)) as LineupError;
    expect(err).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterSeconds: 3 });
    expect(err.message).toBe('{"amount":5000}');
  });
});
