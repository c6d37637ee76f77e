import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { KEEP_ALIVE_MS } from '../../src/app.js';
import { useTestServer } from '../support/server.js';

// A kept-alive connection left idle is not closed before a load balancer stops reusing it: nginx
// (deploy/nginx.conf) keeps idle upstream connections 60 s, and a request it sends on one the
// instance has closed fails with 502 (a POST is not retried). Node's default was 5 s.
const ctx = useTestServer();

/** Sends one request on the socket and resolves with the answer's status line (null: closed). */
function exchange(socket: net.Socket, path: string): Promise<string | null> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      done(buf.slice(0, buf.indexOf('\r\n')));
    };
    const onClose = () => done(null);
    const done = (v: string | null) => {
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(v);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    if (socket.destroyed) return done(null);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: lineup\r\nConnection: keep-alive\r\n\r\n`);
  });
}

describe('HTTP keep-alive', () => {
  it('keeps an idle connection open past a load balancer reuse window (more than 60 s)', () => {
    expect(KEEP_ALIVE_MS).toBeGreaterThan(60_000);
    expect(ctx.server.server.keepAliveTimeout).toBe(KEEP_ALIVE_MS);
  });

  it('answers on a connection left idle longer than Node’s default (5 s, closed at 6 s on Node 20)', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: ctx.server.port });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    try {
      expect(await exchange(socket, '/healthz')).toBe('HTTP/1.1 200 OK');
      await new Promise((r) => setTimeout(r, 7_000));
      expect(await exchange(socket, '/healthz')).toBe('HTTP/1.1 200 OK');
    } finally {
      socket.destroy();
    }
  }, 20_000);
});
