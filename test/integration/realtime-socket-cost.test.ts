import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { flushPrefix, startTestServer } from '../support/server.js';
import {
  connected,
  firstEvent,
  nextEvent,
  queueSocket,
  type FanSocket,
} from '../support/sockets.js';
import { bulkFans, type TestFan } from '../support/users.js';
import { until } from '../support/wait.js';

// What each waiting socket costs the server (issue 13: JS heap and CPU per 1,000 sockets). Each
// test states one property the per-socket figures rely on, on a real instance and real socket.io
// clients; each fails if the saving is undone.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let db: TestDatabase;
let server: RunningServer;
let api: Client;
const opened: FanSocket[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db.url, { QUEUE_TICK_MS: '50' });
  api = client(server.url);
});
afterEach(() => {
  for (const s of opened.splice(0)) s.disconnect();
});
afterAll(async () => {
  await server?.close();
  if (server) await flushPrefix(server.config.redisKeyPrefix);
  await db?.drop();
});

async function waitingFans(count: number): Promise<{ concertId: number; tokens: string[] }> {
  const { concertId } = await createConcert(api);
  await setQueuePolicy(api, concertId, { paused: true });
  const fans: TestFan[] = await bulkFans(server, count);
  const tokens: string[] = [];
  for (const fan of fans) {
    const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });
    tokens.push(res.body.queueToken as string);
  }
  return { concertId, tokens };
}

async function open(token: string): Promise<FanSocket> {
  const socket = queueSocket(server.url, token);
  opened.push(socket);
  await connected(socket);
  await firstEvent(socket, 'queue:status');
  return socket;
}

const nsp = () => server.gateway.io.of('/queue');

describe('what a connected socket keeps', () => {
  it('keeps no reference to its handshake request: the IncomingMessage is collected', async () => {
    const { tokens } = await waitingFans(1);
    const requests: WeakRef<IncomingMessage>[] = [];
    const onUpgrade = (req: IncomingMessage) => requests.push(new WeakRef(req));
    server.server.prependListener('upgrade', onUpgrade);
    const socket = await open(tokens[0]!);
    server.server.off('upgrade', onUpgrade);
    expect(requests).toHaveLength(1);
    const held = nsp().sockets.get(socket.id!)!;
    expect(held.conn.request).toBeNull();
    // Collected while the socket stays open and in use: nothing else holds the request either.
    await until(
      async () => {
        gc();
        await sleep(10);
        return requests[0]!.deref() === undefined;
      },
      5_000,
      'handshake request collected',
    );
    expect(socket.connected).toBe(true);
    const sync = await socket.timeout(3_000).emitWithAck('queue:sync');
    expect(sync.ok).toBe(true);
  });

  it('keeps no handshake of its own: one shared empty handshake, no headers, query, auth or token', async () => {
    const { tokens } = await waitingFans(2);
    await Promise.all(tokens.map((t) => open(t)));
    const [a, b] = [...nsp().sockets.values()];
    expect(a!.handshake).toBe(b!.handshake);
    expect(a!.handshake.auth).toEqual({});
    expect(a!.handshake.headers).toEqual({});
    for (const s of [a!, b!]) {
      const kept = JSON.stringify({ handshake: s.handshake, data: { ...s.data, ws: 0, tcp: 0 } });
      for (const token of tokens) expect(kept).not.toContain(token);
    }
  });

  it("keeps one error listener on its WebSocket: engine.io's handshake closure is removed", async () => {
    const { tokens } = await waitingFans(1);
    await open(tokens[0]!);
    const [held] = [...nsp().sockets.values()];
    const listeners = held!.data.ws!.listeners('error');
    expect(listeners).toHaveLength(1);
    expect(listeners[0]!.name).not.toBe('onUpgradeError');
  });

  it('puts a waiting socket in no room of its own fan: its id and the line room only', async () => {
    const { concertId, tokens } = await waitingFans(3);
    const sockets = await Promise.all(tokens.map((t) => open(t)));
    const rooms = nsp().adapter.rooms;
    const ids = sockets.map((s) => s.id!);
    // socket.io's own room per socket id, and the line's waiting room shared by all of them.
    expect([...rooms.keys()].sort()).toEqual([...ids, `w:${concertId}`].sort());
    expect(server.gateway.fans.size).toBe(3);
    for (const s of sockets) s.disconnect();
    await until(() => server.gateway.fans.size === 0, 5_000, 'index emptied on disconnect');
    expect(rooms.size).toBe(0);
  });

  it('gives every socket the same listener functions, not closures made per connection', async () => {
    const { tokens } = await waitingFans(2);
    await Promise.all(tokens.map((t) => open(t)));
    const [a, b] = [...nsp().sockets.values()];
    for (const event of [
      'queue:leave',
      'queue:sync',
      'seats:subscribe',
      'seats:unsubscribe',
    ] as const) {
      expect(a!.listeners(event), event).toHaveLength(1);
      expect(a!.listeners(event)[0], event).toBe(b!.listeners(event)[0]);
    }
    // The index learns of disconnections from the adapter: no listener (and no sixth event name
    // in each socket's listener dictionary) for it.
    expect(a!.listeners('disconnect')).toHaveLength(0);
  });

  it('drops a socket from the fan index when it disconnects however it ends, and only then', async () => {
    const { concertId, tokens } = await waitingFans(3);
    const sockets = await Promise.all(tokens.map((t) => open(t)));
    const [byClient, byServer, stays] = sockets.map((s) => nsp().sockets.get(s.id!)!);
    const fans = server.gateway.fans;
    expect(fans.size).toBe(3);
    // Leaving rooms (the waiting room on admission, a schedule's) is not disconnecting.
    await stays!.leave(`w:${concertId}`);
    expect(fans.size).toBe(3);
    sockets[0]!.disconnect();
    await until(() => fans.size === 2, 5_000, 'client disconnect');
    byServer!.disconnect(true);
    await until(() => fans.size === 1, 5_000, 'server disconnect');
    expect(fans.of(concertId, stays!.data.claims.userId)).toEqual([stays]);
    expect(fans.of(concertId, byClient!.data.claims.userId)).toEqual([]);
  });
});

describe('how a frame is written to each waiting socket', () => {
  it('writes it whole, framed once, straight to the TCP socket, and through engine.io where there is no WebSocket, identically', async () => {
    const { concertId, tokens } = await waitingFans(2);
    const [direct, viaEngine] = await Promise.all(tokens.map((t) => open(t)));
    const onServer = (s: FanSocket) => nsp().sockets.get(s.id!)!;
    const { ws, tcp } = onServer(direct!).data;
    expect(ws).not.toBeNull();
    expect(tcp).not.toBeNull();
    // What the direct socket's TCP socket is given: each frame one write of one whole frame
    // (ws' send would write a header and a payload), and ws' send is not used for frames.
    const directWrites: Buffer[] = [];
    let wsSends = 0; // frames given to ws' send
    const write = tcp!.write.bind(tcp!);
    tcp!.write = ((chunk: Buffer, ...rest: unknown[]) => (
      directWrites.push(chunk),
      (write as (...a: unknown[]) => boolean)(chunk, ...rest)
    )) as typeof write;
    const send = ws!.send.bind(ws!);
    ws!.send = ((...args: Parameters<typeof send>) => (
      String(args[0]).includes('queue:progress') && wsSends++,
      send(...args)
    )) as typeof send;
    // As a socket on another transport would be (long-polling): no WebSocket of its own.
    onServer(viaEngine!).data.ws = null;
    onServer(viaEngine!).data.tcp = null;
    let engineWrites = 0;
    const conn = onServer(viaEngine!).conn;
    const engineSend = conn.send.bind(conn);
    conn.send = ((...args: Parameters<typeof engineSend>) => (
      engineWrites++,
      engineSend(...args)
    )) as typeof engineSend;

    // The paused line still sends its frame every tick: the next tick's frame, on both sockets.
    const frames = await Promise.all(
      [direct!, viaEngine!].map((s) => nextEvent(s, 'queue:progress')),
    );
    const later = await Promise.all(
      [direct!, viaEngine!].map(async (s) => {
        for (;;) {
          const f = await nextEvent(s, 'queue:progress');
          if (f.tick > Math.max(frames[0]!.tick, frames[1]!.tick)) return f;
        }
      }),
    );
    expect(later[0]).toEqual(later[1]);
    expect(later[0]!.concertId).toBe(concertId);
    expect(engineWrites).toBeGreaterThan(0);
    const frames2 = directWrites.filter((b) => b.includes('queue:progress'));
    expect(frames2.length).toBeGreaterThan(0);
    for (const b of frames2) {
      // FIN + text opcode, unmasked, and the length in the header is the rest of this one write.
      expect(b[0]).toBe(0x81);
      const len = b[1]! & 0x7f;
      const [headerLength, payloadLength] =
        len === 126
          ? [4, b.readUInt16BE(2)]
          : len === 127
            ? [10, Number(b.readBigUInt64BE(2))]
            : [2, len];
      expect(b.length).toBe(headerLength + payloadLength);
    }
    expect(wsSends).toBe(0);
    // Both sockets still answer requests in order (engine.io's own writes are unaffected).
    for (const s of [direct!, viaEngine!])
      expect((await s.timeout(3_000).emitWithAck('queue:sync')).ok).toBe(true);
  });
});
