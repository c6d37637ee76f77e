// PostgreSQL backend CPU of a keyed hold and a keyed payment, the previous release's functions
// (migration 20261222000000: the key claimed, then completed: two writes) against the current
// ones (migration 20261228000000: the record written once), on one connection, in alternating
// rounds. Both sets live in the same migrated database, so the rounds differ only by the call.
// CPU is the backend's own (/proc/<pid>/stat: PostgreSQL must run on this host), not wall time.
//
//   npx tsx load/bench/keyed-cpu.ts [calls per round = 1000] [rounds per version = 3]
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { migrate } from '../../src/infra/db/migrate.js';
import { createOrm } from '../../src/infra/db/orm.js';

const ADMIN = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CALLS = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 3);
const DB = `lineup_keyed_cpu_${process.pid}`;
const url = (() => {
  const u = new URL(ADMIN);
  u.pathname = `/${DB}`;
  return u.toString();
})();

const HOLD = {
  old: `select booking_hold($1, $2, $3, $4, 10, 600, null, now(), $5, $6, 30, 1000) as r`,
  new: `select booking_hold($1, $2, $3, $4, 10, 600, null, now(), $5, $6, 1000) as r`,
};
const PAY = {
  old: `select booking_pay($1, $2, 1, $3, $4, 30, 1000) as r`,
  new: `select booking_pay($1, $2, 1, $3, $4, 1000) as r`,
};

/** The backend's user + system CPU, ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
}

async function main() {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`create database "${DB}"`);
  try {
    const orm = await createOrm(url, undefined, 2);
    await migrate(orm);
    await orm.close(true);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const n = CALLS * ROUNDS * 2;
    // One schedule per 500 seats, one fan per hold (a fan's owned-seat count stays small).
    const schedules = Math.ceil(n / 500);
    await c.query(
      `insert into venues (name) values ('cpu');
       insert into seats (venue_id, label, grade)
         select v.id, 'S' || g, (array['VIP','R','S','A'])[1 + g % 4] from venues v, generate_series(1, 500) g;
       insert into concerts (title, artist, sale_opens_at)
         select 'c' || g, 'a', now() - interval '1 day' from generate_series(1, ${schedules}) g;
       insert into schedules (concert_id, venue_id, starts_at, price_vip, price_r, price_s, price_a)
         select c.id, (select min(id) from venues), now() + interval '10 days', 100, 80, 60, 40 from concerts c;
       insert into schedule_seats (schedule_id, seat_id) select s.id, st.id from schedules s, seats st;
       insert into users (name, phone, password_hash)
         select 'u' || g, 'p-cpu-' || g, 'x' from generate_series(1, ${n}) g;
       insert into wallets (user_id, balance) select id, 1000000 from users;
       analyze;`,
    );
    const slots = (
      await c.query<{ concert: number; schedule: number; seat: number }>(
        `select s.concert_id as concert, ss.schedule_id as schedule, ss.seat_id as seat
         from schedule_seats ss join schedules s on s.id = ss.schedule_id
         order by ss.schedule_id, ss.seat_id`,
      )
    ).rows;
    const users = (await c.query<{ id: number }>(`select id from users order by id`)).rows;
    const pid = (await c.query<{ pid: number }>(`select pg_backend_pid() as pid`)).rows[0]!.pid;
    const results: Record<'old' | 'new', { hold: number[]; pay: number[]; writes: number[] }> = {
      old: { hold: [], pay: [], writes: [] },
      new: { hold: [], pay: [], writes: [] },
    };
    // idempotency_keys' row writes so far, as reported by our backend (flushed on demand).
    const stats = new pg.Client({ connectionString: url });
    await stats.connect();
    const keyWrites = async () => {
      await c.query('select pg_stat_force_next_flush()');
      await c.query('select 1');
      const [w] = (
        await stats.query<{ n: string }>(
          `select n_tup_ins + n_tup_upd + n_tup_del as n from pg_stat_user_tables
           where relname = 'idempotency_keys'`,
        )
      ).rows;
      return Number(w!.n);
    };
    let next = 0;
    for (let round = 0; round < ROUNDS * 2; round++) {
      const version = round % 2 === 0 ? 'old' : 'new';
      const batch = Array.from({ length: CALLS }, () => ({
        slot: slots[next]!,
        user: users[next++]!.id,
      }));
      const held: { user: number; id: number }[] = [];
      const w = await keyWrites();
      let t = cpuMs(pid);
      for (const { slot, user } of batch) {
        const r = await c.query<{ r: { body: { id: number } } }>(HOLD[version], [
          user,
          slot.concert,
          slot.schedule,
          [slot.seat],
          `h-${user}`,
          'hash-h',
        ]);
        held.push({ user, id: r.rows[0]!.r.body.id });
      }
      results[version].hold.push((cpuMs(pid) - t) / CALLS);
      t = cpuMs(pid);
      for (const { user, id } of held)
        await c.query(PAY[version], [user, id, `p-${user}`, 'hash-p']);
      results[version].pay.push((cpuMs(pid) - t) / CALLS);
      results[version].writes.push(((await keyWrites()) - w) / (2 * CALLS));
    }
    await c.end();
    await stats.end();
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' ');
    for (const v of ['old', 'new'] as const)
      console.log(
        `${v}: hold ms/call ${fmt(results[v].hold)} | pay ms/call ${fmt(results[v].pay)}` +
          ` | idempotency_keys writes per call ${fmt(results[v].writes)}`,
      );
  } finally {
    await admin.query(`drop database if exists "${DB}" with (force)`);
    await admin.end();
  }
}

await main();
