import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsList } from '../../src/infra/db/migrations/index.js';
import type { RunningServer } from '../../src/server.js';
import { seedDemoData } from '../../src/seed/demo-seed.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';
import { client, signUp } from '../support/http.js';
import { flushPrefix, startTestServer } from '../support/server.js';

const servers: RunningServer[] = [];
const databases: TestDatabase[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const s of servers) await flushPrefix(s.config.redisKeyPrefix);
  for (const db of databases) await db.drop();
});

async function database(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const db = await createTestDatabase(options);
  databases.push(db);
  return db;
}

async function startThreeAtOnce(db: TestDatabase, env: Record<string, string> = {}) {
  const started = await Promise.all([1, 2, 3].map(() => startTestServer(db.url, env)));
  servers.push(...started);
  return started;
}

describe('booting several instances at once', () => {
  it('migrates an empty database exactly once, and every instance becomes ready', async () => {
    const db = await database({ empty: true });
    const instances = await startThreeAtOnce(db);

    const applied = instances.flatMap((s) => s.appliedMigrations);
    expect(applied.sort()).toEqual(migrationsList.map((m) => m.name).sort());
    // One instance did all the work; the others waited on the lock and found nothing pending.
    expect(instances.filter((s) => s.appliedMigrations.length > 0)).toHaveLength(1);
    const recorded = await sql<{ name: string; n: number }>(
      db.url,
      `select name, count(*)::int as n from mikro_orm_migrations group by name order by name`,
    );
    expect(recorded).toEqual(
      migrationsList
        .map((m) => ({ name: m.name, n: 1 }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );

    for (const s of instances) {
      const ready = await client(s.url).get('/readyz');
      expect(ready.status).toBe(200);
    }
  });

  it('seeds the demo data exactly once when SEED_ON_EMPTY=true', async () => {
    const db = await database({ empty: true });
    const instances = await startThreeAtOnce(db, { SEED_ON_EMPTY: 'true' });

    const venues = await sql<{ name: string; seats: number }>(
      db.url,
      `select v.name, count(s.id)::int as seats from venues v left join seats s on s.venue_id = v.id
       group by v.name order by seats`,
    );
    expect(venues).toEqual([
      { name: 'Blue Note Hall', seats: 50 },
      { name: 'Olympic Hall', seats: 100 },
      { name: 'Gocheok Sky Dome', seats: 1000 },
    ]);
    const concerts = await sql<{ title: string; n: number }>(
      db.url,
      `select title, count(*)::int as n from concerts group by title`,
    );
    expect(concerts).toHaveLength(3);
    expect(concerts.every((c) => c.n === 1)).toBe(true);
    const [fans] = await sql<{ n: number }>(db.url, `select count(*)::int as n from users`);
    expect(fans!.n).toBe(3);
    const [inventory] = await sql<{ n: number; expected: number }>(
      db.url,
      `select (select count(*)::int from schedule_seats) as n,
              (select sum(seat_count)::int from schedules sc
                 join (select venue_id, count(*) as seat_count from seats group by venue_id) v
                   on v.venue_id = sc.venue_id) as expected`,
    );
    expect(inventory!.n).toBe(inventory!.expected);

    // A later boot on the seeded database neither migrates nor seeds again.
    const later = await startTestServer(db.url, { SEED_ON_EMPTY: 'true' });
    servers.push(later);
    expect(later.appliedMigrations).toEqual([]);
    const listed = await client(instances[0]!.url).get('/concerts');
    expect(listed.body).toHaveLength(3);
  });
});

describe('a production boot', () => {
  it('seeds no demo data on an empty database, and refuses to seed it on request', async () => {
    const db = await database({ empty: true });
    const secret = () => randomBytes(32).toString('hex');
    const s = await startTestServer(db.url, {
      NODE_ENV: 'production',
      SEED_ON_EMPTY: '', // unset: production's default
      AUTH_JWT_SECRET: secret(),
      QUEUE_TOKEN_SECRET: secret(),
      ADMIN_TOKEN: secret(),
    });
    servers.push(s);
    expect(s.config.seedOnEmpty).toBe(false);
    await expect(seedDemoData(s.orm, s.config)).rejects.toThrow(/never seeded/);
    const [counts] = await sql<{ users: number; venues: number }>(
      db.url,
      `select (select count(*)::int from users) as users, (select count(*)::int from venues) as venues`,
    );
    expect(counts).toEqual({ users: 0, venues: 0 });
  });
});

/** Sends a request whose body is held back, so it stays in flight until `finish()` is called. */
async function heldRequest(s: RunningServer, path: string, token: string, body: string) {
  const socket = connect(s.port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk) => (received += chunk));
  const ended = once(socket, 'end');
  const arrived = once(s.server, 'request');
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 3)}`,
  );
  await arrived; // the server has parsed the headers: the request is in flight
  return {
    async finish() {
      socket.write(body.slice(3));
      await ended; // the server ends the connection after answering (it is shutting down)
      const [head = '', payload = ''] = received.split('\r\n\r\n');
      return { head, status: Number(head.split(' ')[1]), body: JSON.parse(payload) as unknown };
    },
  };
}

describe('graceful shutdown', () => {
  it('finishes an in-flight request, then refuses new connections', async () => {
    const db = await database();
    const s = await startTestServer(db.url);
    servers.push(s);
    const fan = await signUp(client(s.url));
    const inFlight = await heldRequest(s, '/users/me/points/charge', fan.token, '{"amount": 1000}');

    let closed = false;
    const closing = s.close().then(() => (closed = true));
    while (s.server.listening) await sleep(5);
    // A new TCP connection, not fetch: fetch may reuse a kept-alive connection that the server is
    // just closing ("other side closed"), which says nothing about new connections.
    expect(await newConnection(s.port)).toBe('ECONNREFUSED');
    expect(closed).toBe(false); // still waiting for the in-flight request

    const answer = await inFlight.finish();
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ balance: 1_000 });
    expect(answer.head).toMatch(/^connection: close$/im);
    await closing;
    expect(closed).toBe(true);
    const ledger = await sql(db.url, `select amount::int from point_ledger where user_id = $1`, [
      fan.id,
    ]);
    expect(ledger).toEqual([{ amount: 1_000 }]);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });

  it('close() is idempotent and resolves when nothing is in flight', async () => {
    const db = await database();
    const s = await startTestServer(db.url);
    servers.push(s);
    expect((await client(s.url).get('/healthz')).status).toBe(200);
    await Promise.all([s.close(), s.close()]);
    expect(s.server.listening).toBe(false);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });
});

/** Opens a fresh TCP connection: 'connected', or the error code that refused it. */
function newConnection(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
