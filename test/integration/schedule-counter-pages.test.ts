import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';

// Every hold and payment on a schedule updates the schedule's row (its counters and version), and
// PostgreSQL can prune the old versions of a row only on a page no other backend has pinned. The
// schedules table keeps a few rows per page (fillfactor 10, migration 20261227000000), so a hot
// schedule's versions have room on its own page; with ~70 rows per page they piled up unpruned and
// every update walked them (BENCHMARKS.md "The schedule counter row").
let db: TestDatabase;
const SCHEDULES = 60;

beforeAll(async () => {
  db = await createTestDatabase();
  await sql(
    db.url,
    `insert into venues (name) values ('pages');
     insert into concerts (title, artist, sale_opens_at)
       select 'c' || g, 'a', now() - interval '1 day' from generate_series(1, ${SCHEDULES}) g;
     insert into schedules (concert_id, venue_id, starts_at, price_vip, price_r, price_s, price_a)
       select c.id, (select min(id) from venues), now() + interval '10 days', 100, 80, 60, 40
       from concerts c;`,
  );
});
afterAll(async () => {
  await db?.drop();
});

async function rowsPerPage(client: pg.Client): Promise<number[]> {
  const { rows } = await client.query<{ n: number }>(
    `select count(*)::int as n from schedules group by (ctid::text::point)[0] order by 1 desc`,
  );
  return rows.map((r) => r.n);
}

describe('schedule counter rows', () => {
  it('leave room on their page for their own updates', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ options: string[] | null }>(
        `select reloptions as options from pg_class where relname = 'schedules'`,
      );
      expect(rows[0]!.options).toContain('fillfactor=10');
      const pages = await rowsPerPage(client);
      // 60 schedules at the default fillfactor share one page.
      expect(pages.length).toBeGreaterThanOrEqual(SCHEDULES / 8);
      expect(pages[0]).toBeLessThanOrEqual(8);

      // A hot schedule's updates stay on its page (HOT, pruned there), without pushing its
      // neighbours off theirs.
      const { rows: before } = await client.query<{ id: number; page: string }>(
        `select id, (ctid::text::point)[0]::text as page from schedules order by id`,
      );
      for (let i = 0; i < 300; i++)
        await client.query(
          `update schedules set seat_version = seat_version + 1, available_seats = available_seats
           where id = $1`,
          [before[0]!.id],
        );
      const { rows: after } = await client.query<{ id: number; page: string }>(
        `select id, (ctid::text::point)[0]::text as page from schedules order by id`,
      );
      expect(after.map((r) => r.page)).toEqual(before.map((r) => r.page));
      expect(await rowsPerPage(client)).toEqual(pages);
    } finally {
      await client.end();
    }
  });
});
