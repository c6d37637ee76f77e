import { SignJWT } from 'jose';
import { Redis } from 'ioredis';
import type { RunningServer } from '../../src/server.js';
import { admittedFans } from './booking.js';
import { createTestDatabase, sql, type TestDatabase } from './db.js';
import { createConcert, createVenue, setQueuePolicy } from './fixtures.js';
import { client, signUp, uniquePhone } from './http.js';
import { startPrivateRedis, type PrivateRedis } from './redis-server.js';
import { ADMIN_TOKEN, startTestServer } from './server.js';
import { bulkFans } from './users.js';
import { WriteWatch } from './fuzz.js';
import { QUEUE_TOKEN_AUDIENCE } from '../../src/modules/queue/queue-tokens.crypto.js';

// The world the HTTP fuzz tests attack: real fans in every state, real holds and a payment, and
// every endpoint of SPEC §4 with the good and bad credentials and ids it may be sent.

export interface Endpoint {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Express-style, e.g. `/reservations/:id`. */
  path: string;
  /** Ids that exist, per path parameter (the generators mix them with anything). */
  params?: Record<string, (number | string)[]>;
  /** Access tokens to send (the first is the one that passes); admin routes get admin tokens. */
  auth: string[];
  /** X-Queue-Token values to send ([admitted] routes and the queue's own routes). */
  queueTokens?: string[];
  idempotent?: boolean;
  query?: boolean;
  /** A fresh valid body (mutated by the generators). */
  valid?: () => unknown;
}

/** Which test file fuzzes which route (the lists are needed before the world exists). */
export const FUZZ_ROUTES = {
  http: [
    'POST /users', 'POST /auth/login', 'GET /users/me/points', 'POST /users/me/points/charge',
    'POST /users/me/points/withdraw', 'GET /users/me/points/history', 'GET /concerts', 'POST /concerts/:concertId/queue',
    'GET /concerts/:concertId/queue/fairness', 'GET /concerts/:concertId/queue/challenge',
    'GET /queue/status', 'DELETE /queue', 'POST /admin/venues', 'POST /admin/concerts',
    'POST /admin/concerts/:id/schedules', 'GET /admin/concerts/:id/queue',
    'PATCH /admin/concerts/:id/queue', 'GET /admin/stats', 'POST /admin/concerts/:id/queue/close',
    'GET /admin/concerts', 'GET /admin/venues',
  ],
  booking: [
    'GET /concerts/:concertId/schedules', 'GET /schedules/:scheduleId/seats', 'POST /reservations',
    'GET /reservations/:id', 'DELETE /reservations/:id', 'POST /reservations/:id/payment',
    'POST /reservations/:id/refund', 'GET /users/me/reservations',
  ],
}; // prettier-ignore

export interface HttpFuzzWorld {
  server: RunningServer;
  watch: WriteWatch;
  endpoints: Endpoint[];
  endpoint(route: string): Endpoint;
  close(): Promise<void>;
}

const DAY = 86_400_000;
const enc = (s: string) => new TextEncoder().encode(s);

function jwt(secret: string, sub: string, claims: Record<string, unknown> = {}, exp: string | number = '1h') {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setExpirationTime(exp)
    .sign(enc(secret));
} // prettier-ignore

export async function httpFuzzWorld(): Promise<HttpFuzzWorld> {
  const db: TestDatabase = await createTestDatabase();
  // A private Redis: the write watch looks at every key in it.
  const redisServer: PrivateRedis = await startPrivateRedis();
  const env = {
    REDIS_URL: redisServer.url,
    QUEUE_TICK_MS: '50',
    LEADER_LEASE_MS: '600',
    ABANDON_SECONDS: '3600', // nobody leaves the line on their own while the properties run
  };
  const server = await startTestServer(db.url, env);
  const redis = new Redis(redisServer.url);
  const api = client(server.url);
  // Concert ids far from the small integers the generators like, so only the ids chosen on
  // purpose reach the live line (a random PATCH must not unpause it).
  await sql(db.url, `select setval('concerts_id_seq', 700000)`);

  const a = await createConcert(api, { seats: 20 });
  const b = await createConcert(api, { seats: 10, saleOpensAt: new Date(Date.now() + 400 * DAY) });
  // Nobody's line: the close route may close it any number of times.
  const closable = await createConcert(api, { seats: 2 });
  await setQueuePolicy(api, a.concertId, { maxActive: 100, admitPerMinute: 60_000 });
  // booker: the [admitted] routes; other: someone else's credentials; payer: reservations.
  const [booker, other, payer] = await admittedFans(server, a.concertId, 3);
  const sA = a.scheduleIds[0]!;
  const seats = (await api.get(`/schedules/${sA}/seats`, booker!.auth)).body.map((s: any) => s.id);
  const hold = async (fan: typeof payer, seatIds: number[]) =>
    (await api.post('/reservations', { scheduleId: sA, seatIds }, fan!.auth)).body.id as number;
  const held = await hold(payer, [seats[0]]);
  const paid = await hold(payer, [seats[1]]);
  const othersHold = await hold(other, [seats[2]]);
  const payment = await api.post(`/reservations/${paid}/payment`, undefined, payer!.auth);
  if (payment.status !== 200) throw new Error(`payment: ${payment.status}`);
  await setQueuePolicy(api, a.concertId, { paused: true });
  // waiter: in line (paused), for the queue's own routes; the booker also waits for concert B.
  const [waiter] = await bulkFans(server, 1);
  const join = (token: string, concertId: number) =>
    api.post(`/concerts/${concertId}/queue`, undefined, { token });
  const waiterQueue = (await join(waiter!.token, a.concertId)).body.queueToken as string;
  const bookerQueueB = (await join(booker!.token, b.concertId)).body.queueToken as string;
  const login = await signUp(api);

  const { authJwtSecret: auth, queueTokenSecret: queue } = server.config;
  const badUser = await Promise.all([
    jwt('another-secret-0123456789abcdef', String(payer!.id)),
    jwt(auth, String(payer!.id), {}, Math.floor(Date.now() / 1000) - 60),
    jwt(auth, 'abc'),
    jwt(auth, '0'),
    jwt(auth, '-5'),
    jwt(auth, '1.5'),
    jwt(auth, '999999'),
    jwt(auth, String(2 ** 31)),
    jwt(auth, String(2 ** 40)),
    jwt(queue, String(payer!.id)),
  ]);
  const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: String(payer!.id) })}.`;
  const badUserTokens = [...badUser, algNone, 'not.a.jwt', ADMIN_TOKEN];
  // With the queue tokens' audience, so only the claim under test is wrong.
  const claims = (concertId: unknown, eid: unknown) => ({
    concertId,
    eid,
    aud: QUEUE_TOKEN_AUDIENCE,
  });
  const badQueue = await Promise.all([
    jwt('another-secret-0123456789abcdef', String(booker!.id), claims(a.concertId, 1)),
    jwt(queue, String(booker!.id), claims(a.concertId, 1), Math.floor(Date.now() / 1000) - 60),
    jwt(queue, String(booker!.id), claims(a.concertId, 999)),
    jwt(queue, String(booker!.id), claims(999_999, 1)),
    jwt(queue, String(booker!.id), claims(2 ** 40, 2 ** 40)),
    jwt(queue, String(booker!.id), claims(String(a.concertId), '1')),
    jwt(queue, 'abc', claims(a.concertId, 1)),
    jwt(queue, String(2 ** 31), claims(a.concertId, 1)),
    jwt(auth, String(booker!.id), claims(a.concertId, 1)),
  ]);
  const badQueueTokens = [...badQueue, 'not.a.jwt', booker!.token];
  const queueTokens = [
    booker!.queueToken,
    other!.queueToken,
    waiterQueue,
    bookerQueueB,
    ...badQueueTokens,
  ];

  const fan = (first: string) => [first, other!.token, ...badUserTokens];
  const admin = [ADMIN_TOKEN, 'not-the-admin-token', `${ADMIN_TOKEN}x`, payer!.token];
  const concerts = [a.concertId, b.concertId];
  const reservations = [held, paid, othersHold];
  const venueId = await createVenue(api, 4);
  const future = () => new Date(Date.now() + 30 * DAY).toISOString();
  let n = 0;
  const endpoints: Endpoint[] = [
    { method: 'POST', path: '/users', auth: [], valid: () => ({ name: 'Fuzz', phone: uniquePhone(), password: 'password123' }) },
    { method: 'POST', path: '/auth/login', auth: [], valid: () => ({ phone: login.phone, password: 'password123' }) },
    { method: 'GET', path: '/users/me/points', auth: fan(payer!.token) },
    { method: 'POST', path: '/users/me/points/charge', auth: fan(payer!.token), idempotent: true, valid: () => ({ amount: 1_000 }) },
    { method: 'POST', path: '/users/me/points/withdraw', auth: fan(payer!.token), idempotent: true, valid: () => ({ amount: 1_000 }) },
    { method: 'GET', path: '/users/me/points/history', auth: fan(payer!.token), query: true },
    { method: 'GET', path: '/concerts', auth: [], query: true },
    { method: 'POST', path: '/concerts/:concertId/queue', params: { concertId: concerts }, auth: fan(booker!.token) },
    { method: 'GET', path: '/concerts/:concertId/queue/fairness', params: { concertId: [...concerts, closable.concertId] }, auth: [] },
    { method: 'GET', path: '/concerts/:concertId/queue/challenge', params: { concertId: concerts }, auth: fan(booker!.token) },
    { method: 'GET', path: '/queue/status', auth: [], queueTokens: [waiterQueue, ...queueTokens] },
    { method: 'DELETE', path: '/queue', auth: [], queueTokens: [waiterQueue, ...badQueueTokens] },
    { method: 'GET', path: '/concerts/:concertId/schedules', params: { concertId: concerts }, auth: fan(booker!.token), queueTokens },
    { method: 'GET', path: '/schedules/:scheduleId/seats', params: { scheduleId: [sA, b.scheduleIds[0]!] }, auth: fan(booker!.token), queueTokens, query: true },
    { method: 'POST', path: '/reservations', auth: fan(booker!.token), queueTokens, idempotent: true, valid: () => ({ scheduleId: sA, seatIds: [seats[3 + (n++ % 17)]] }) },
    { method: 'GET', path: '/reservations/:id', params: { id: reservations }, auth: fan(payer!.token) },
    { method: 'DELETE', path: '/reservations/:id', params: { id: reservations }, auth: fan(payer!.token) },
    { method: 'POST', path: '/reservations/:id/payment', params: { id: reservations }, auth: fan(payer!.token), idempotent: true },
    { method: 'POST', path: '/reservations/:id/refund', params: { id: reservations }, auth: fan(payer!.token) },
    { method: 'GET', path: '/users/me/reservations', auth: fan(payer!.token) },
    { method: 'POST', path: '/admin/venues', auth: admin, valid: () => ({ name: `Fuzz Hall ${n++}`, rows: [{ name: 'A', seats: 2, grade: 'R' }] }) },
    { method: 'POST', path: '/admin/concerts', auth: admin, valid: () => ({ title: 'Fuzz', artist: 'F', saleOpensAt: future() }) },
    { method: 'POST', path: '/admin/concerts/:id/schedules', params: { id: concerts }, auth: admin, valid: () => ({ venueId, startsAt: future(), prices: { VIP: 4, R: 3, S: 2, A: 1 } }) },
    { method: 'GET', path: '/admin/concerts/:id/queue', params: { id: concerts }, auth: admin },
    { method: 'GET', path: '/admin/stats', auth: admin, query: true },
    { method: 'GET', path: '/admin/concerts', auth: admin },
    { method: 'GET', path: '/admin/venues', auth: admin },
    // Only concert B: a PATCH that unpaused A would admit the waiting fans mid-run.
    { method: 'PATCH', path: '/admin/concerts/:id/queue', params: { id: [b.concertId] }, auth: admin, valid: () => ({ maxActive: 5 }) },
    { method: 'POST', path: '/admin/concerts/:id/queue/close', params: { id: [closable.concertId] }, auth: admin },
  ]; // prettier-ignore

  const watch = new WriteWatch(db.url, redis);
  await watch.start();
  return {
    server,
    watch,
    endpoints,
    endpoint: (route) => {
      const ep = endpoints.find((e) => `${e.method} ${e.path}` === route);
      if (!ep) throw new Error(`no endpoint ${route}`);
      return ep;
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

function b64(o: object): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}
