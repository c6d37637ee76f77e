import type { RunningServer } from '../../src/server.js';
import { sql } from './db.js';
import { client } from './http.js';
import { bulkFans, type TestFan } from './users.js';
import { until } from './wait.js';

export interface AdmittedFan extends TestFan {
  queueToken: string;
  /** Headers for [admitted] requests: access token + queue token. */
  auth: { token: string; headers: Record<string, string> };
}

/** Gives fans points straight in the database (with the matching ledger row). */
export async function givePoints(
  server: RunningServer,
  userIds: number[],
  amount: number,
): Promise<void> {
  await sql(
    server.config.databaseUrl,
    `with w as (update wallets set balance = balance + $2 where user_id = any($1::int[]) returning user_id, balance)
     insert into point_ledger (user_id, type, amount, balance_after) select user_id, 'charge', $2, balance from w`,
    [userIds, amount],
  );
}

/** `count` fans with `points` each, joined to the concert and admitted (the policy must allow it). */
export async function admittedFans(
  server: RunningServer,
  concertId: number,
  count: number,
  points = 1_000_000,
): Promise<AdmittedFan[]> {
  const api = client(server.url);
  const fans = await bulkFans(server, count);
  if (points > 0)
    await givePoints(
      server,
      fans.map((f) => f.id),
      points,
    );
  const joined = await Promise.all(
    fans.map(async (fan) => {
      const res = await api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token });
      if (res.status >= 300) throw new Error(`join: ${res.status} ${JSON.stringify(res.body)}`);
      const queueToken = res.body.queueToken as string;
      return {
        ...fan,
        queueToken,
        auth: { token: fan.token, headers: { 'x-queue-token': queueToken } },
      };
    }),
  );
  const activeKey = server.services.queueStore.keys.concert(concertId).active;
  await until(
    async () => (await server.redis.zcard(activeKey)) >= count,
    30_000,
    `${count} fans admitted`,
  );
  return joined;
}

/** Seats that are in more than one live reservation item, or sold without one paid reservation. */
export async function doubleBookings(server: RunningServer): Promise<unknown[]> {
  const url = server.config.databaseUrl;
  const twice = await sql(
    url,
    `select ri.schedule_seat_id, count(*) from reservation_items ri join reservations r on r.id = ri.reservation_id
     where r.status = 'paid' or (r.status = 'held' and r.expires_at > now())
     group by ri.schedule_seat_id having count(*) > 1`,
  );
  const soldWrong = await sql(
    url,
    `select ss.id from schedule_seats ss
     where ss.status = 'sold' and (select count(*) from reservation_items ri join reservations r on r.id = ri.reservation_id
                                   where ri.schedule_seat_id = ss.id and r.status = 'paid') <> 1`,
  );
  const heldWrong = await sql(
    url,
    `select ss.id from schedule_seats ss join reservations r on r.id = ss.reservation_id
     where ss.status = 'held' and r.status <> 'held'`,
  );
  return [...twice, ...soldWrong, ...heldWrong];
}

/** Fans whose balance differs from the sum of their ledger. */
export async function ledgerMismatches(server: RunningServer): Promise<unknown[]> {
  return sql(
    server.config.databaseUrl,
    `select w.user_id, w.balance, coalesce(sum(l.amount), 0) as ledger from wallets w
     left join point_ledger l on l.user_id = w.user_id group by w.user_id, w.balance
     having w.balance <> coalesce(sum(l.amount), 0)`,
  );
}

/**
 * Schedules whose counters disagree with their seats: `available_seats` must equal the seats with
 * status 'available', `held_seats` those 'held', `total_seats` all of them, at every commit.
 */
export async function counterMismatches(server: RunningServer): Promise<unknown[]> {
  return sql(
    server.config.databaseUrl,
    `select s.id, s.available_seats, s.held_seats, s.total_seats, c.available, c.held, c.total
     from schedules s left join lateral (
       select count(*) filter (where status = 'available')::int as available,
              count(*) filter (where status = 'held')::int as held, count(*)::int as total
       from schedule_seats ss where ss.schedule_id = s.id) c on true
     where (s.available_seats, s.held_seats, s.total_seats) <> (c.available, c.held, c.total)`,
  );
}
