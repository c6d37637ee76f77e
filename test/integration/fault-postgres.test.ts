import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';
import { admittedFans, doubleBookings, ledgerMismatches } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type HttpResponse } from '../support/http.js';
import { flushPrefix, startTestServer } from '../support/server.js';

let db: TestDatabase;
let server: RunningServer;
/** What the server logged for requests that ended in 500: shown if one ever does. */
const internalErrors: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const logger = pino(
    { level: 'error' },
    {
      write: (line: string) => {
        if (line.includes('INTERNAL_ERROR')) internalErrors.push(line.slice(0, 2_000));
      },
    },
  );
  server = await startTestServer(
    db.url,
    { QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' },
    { logger },
  );
});
afterAll(async () => {
  await server?.close();
  if (server) await flushPrefix(server.config.redisKeyPrefix);
  await db?.drop();
});

/** Kills every server connection to the test database (as a DBA or a failover would). */
async function killBackends(): Promise<number> {
  const rows = await sql<{ killed: boolean }>(
    db.url,
    `select pg_terminate_backend(pid) as killed from pg_stat_activity
     where datname = current_database() and pid <> pg_backend_pid()`,
  );
  return rows.filter((r) => r.killed).length;
}

describe('PostgreSQL backends killed in the middle of payments', () => {
  it('leaves no partial write; failed payments answer 503 and a retry with the same key pays exactly once', async () => {
    const api = client(server.url);
    const { concertId, scheduleIds } = await createConcert(api, { seats: 60 });
    await setQueuePolicy(api, concertId, { maxActive: 60, admitPerMinute: 600_000 });
    const fans = await admittedFans(server, concertId, 60, 1_000_000);
    const seats = (await api.get(`/schedules/${scheduleIds[0]}/seats`, fans[0]!.auth)).body as {
      id: number;
    }[];
    const holds = await Promise.all(
      fans.map((f, i) =>
        api.post('/reservations', { scheduleId: scheduleIds[0], seatIds: [seats[i]!.id] }, f.auth),
      ),
    );
    expect(holds.every((h) => h.status === 201)).toBe(true);

    const pay = (i: number): Promise<HttpResponse> =>
      api.post(`/reservations/${holds[i]!.body.id}/payment`, undefined, {
        token: fans[i]!.token,
        headers: { 'idempotency-key': `pay-${holds[i]!.body.id}` },
      });
    let killed = 0;
    const killer = (async () => {
      // Two waves, so some payments finish between them and others die mid-transaction.
      for (const pause of [20, 60]) {
        await sleep(pause);
        killed += await killBackends();
      }
    })();
    const first = await Promise.all(fans.map((_, i) => pay(i)));
    await killer;
    const codes = first.map((r) =>
      r.status === 200 ? 'ok' : `${r.status} ${r.body?.error?.code}`,
    );
    console.log(
      `payments during backend kills (${killed} backends killed):`,
      JSON.stringify(countBy(codes)),
    );
    for (const r of first) {
      // SERVICE_UNAVAILABLE, or IN_USE while a claim is held
      if (r.status !== 200) expect([503, 409], internalErrors.join('\n')).toContain(r.status);
      if (r.status === 503) expect(r.body.error.code).toBe('SERVICE_UNAVAILABLE');
    }
    expect(killed).toBeGreaterThan(0);

    // Retry everything that did not succeed, with the same key, until it does.
    const final = [...first];
    for (let round = 0; round < 50 && final.some((r) => r.status !== 200); round++) {
      await sleep(100);
      await Promise.all(
        final.map(async (r, i) => (r.status === 200 ? r : (final[i] = await pay(i)))),
      );
    }
    expect(final.every((r) => r.status === 200)).toBe(true);
    // Replays answer exactly what the first success said.
    const replays = await Promise.all(fans.map((_, i) => pay(i)));
    replays.forEach((r, i) => expect(r.body).toEqual(final[i]!.body));

    const ids = holds.map((h) => h.body.id);
    const [counts] = await sql<{ payments: number; debits: number; paid: number; sold: number }>(
      db.url,
      `select (select count(*)::int from payments where reservation_id = any($1::int[])) as payments,
              (select count(*)::int from point_ledger where type = 'payment' and reservation_id = any($1::int[])) as debits,
              (select count(*)::int from reservations where status = 'paid' and id = any($1::int[])) as paid,
              (select count(*)::int from schedule_seats where status = 'sold' and reservation_id = any($1::int[])) as sold`,
      [ids],
    );
    expect(counts).toEqual({ payments: 60, debits: 60, paid: 60, sold: 60 });
    expect(await ledgerMismatches(server)).toEqual([]);
    expect(await doubleBookings(server)).toEqual([]);
  });
});

function countBy(items: string[]): Record<string, number> {
  return items.reduce((m: Record<string, number>, k) => ((m[k] = (m[k] ?? 0) + 1), m), {});
}
