import { io } from 'socket.io-client';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { expect } from 'vitest';
import { QUEUE_TOKEN_AUDIENCE } from '../../src/modules/queue/queue-tokens.crypto.js';
import type { RunningServer } from '../../src/server.js';
import { admittedFans, type AdmittedFan } from './booking.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { createConcert, setQueuePolicy } from './fixtures.js';
import { WriteWatch } from './fuzz.js';
import { client, type Client } from './http.js';
import { startPrivateRedis, type PrivateRedis } from './redis-server.js';
import { startTestServer } from './server.js';
import type { FanSocket } from './sockets.js';
import { bulkFans } from './users.js';

// The world the socket fuzz tests attack: one admitted fan, fans waiting in a paused line, a
// schedule of the fan's concert and one of another concert, good and bad queue tokens, and a
// write watch over the database and a private Redis.

export interface SocketFuzzWorld {
  server: RunningServer;
  api: Client;
  watch: WriteWatch;
  concertId: number;
  /** A schedule of the admitted fan's concert, and one of another concert. */
  scheduleId: number;
  otherScheduleId: number;
  active: AdmittedFan;
  /** Queue tokens for handshakes: the first two are live (active, waiting), the rest are not. */
  tokens: string[];
  /** A new fan waiting in the (paused) line; returns the queue token. */
  joinWaiting(): Promise<string>;
  /** A socket.io client on /queue with this handshake auth (closed by `closeSockets`). */
  open(auth: unknown): FanSocket;
  /** The rooms the server has this socket in. */
  roomsOf(socket: FanSocket): string[];
  closeSockets(): void;
  close(): Promise<void>;
}

export async function socketFuzzWorld(): Promise<SocketFuzzWorld> {
  const db: TestDatabase = await createTestDatabase();
  const redisServer: PrivateRedis = await startPrivateRedis();
  const redis = new Redis(redisServer.url);
  const env = { REDIS_URL: redisServer.url, QUEUE_TICK_MS: '50', ABANDON_SECONDS: '3600' };
  const server = await startTestServer(db.url, env);
  const api = client(server.url);
  const a = await createConcert(api, { seats: 10 });
  const b = await createConcert(api, { seats: 10 });
  const concertId = a.concertId;
  await setQueuePolicy(api, concertId, { maxActive: 100, admitPerMinute: 60_000 });
  const [active] = (await admittedFans(server, concertId, 1)) as [AdmittedFan];
  await setQueuePolicy(api, concertId, { paused: true }); // later fans wait in line

  const joinWaiting = async () => {
    const [fan] = await bulkFans(server, 1);
    const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token: fan!.token });
    expect(res.body.status).toBe('waiting');
    return res.body.queueToken as string;
  };
  const secret = new TextEncoder().encode(server.config.queueTokenSecret);
  const sign = (sub: string, claims: object, key = secret) =>
    new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(QUEUE_TOKEN_AUDIENCE)
      .setSubject(sub)
      .setExpirationTime('1h')
      .sign(key);
  const forged = new TextEncoder().encode('another-secret-0123456789abcdef');
  const tokens = [
    active.queueToken,
    await joinWaiting(),
    await sign(String(active.id), { concertId, eid: 1 }, forged),
    await sign(String(active.id), { concertId, eid: 999 }),
    await sign(String(active.id), { concertId: 999_999, eid: 1 }),
    await sign(String(2 ** 40), { concertId: 2 ** 40, eid: 2 ** 40 }),
    await sign('abc', { concertId: String(concertId), eid: '1' }),
    active.token, // an access token is not a queue token
    'not.a.jwt',
    '',
  ];
  const watch = new WriteWatch(db.url, redis);
  await watch.start();

  const opened: FanSocket[] = [];
  return {
    server,
    api,
    watch,
    concertId,
    scheduleId: a.scheduleIds[0]!,
    otherScheduleId: b.scheduleIds[0]!,
    active,
    tokens,
    joinWaiting,
    open: (auth) => {
      const socket = io(`${server.url}/queue`, {
        transports: ['websocket'],
        auth: auth as object,
        reconnection: false,
        forceNew: true,
      }) as FanSocket;
      opened.push(socket);
      return socket;
    },
    roomsOf: (socket) => [...(server.gateway.io.of('/queue').sockets.get(socket.id!)?.rooms ?? [])],
    closeSockets: () => {
      for (const s of opened.splice(0)) s.disconnect();
    },
    close: async () => {
      await watch.close();
      await server.close();
      redis.disconnect();
      await redisServer.stop();
      await db.drop();
    },
  };
}
