import { describe, expect, it } from 'vitest';
import { sql } from '../support/db.js';
import { ADMIN_TOKEN, useTestServer } from '../support/server.js';

const ctx = useTestServer();
const admin = { token: ADMIN_TOKEN };

const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();
const prices = { VIP: 150_000, R: 120_000, S: 90_000, A: 60_000 };
let nameCounter = 0;
const uniqueName = (base: string) => `${base} ${++nameCounter}`;

async function createVenue(seats = 4): Promise<{ id: number; name: string }> {
  const res = await ctx.api.post(
    '/admin/venues',
    { name: uniqueName('Hall'), rows: [{ name: 'A', seats, grade: 'R' }] },
    admin,
  );
  expect(res.status).toBe(201);
  return res.body;
}

async function createConcert(title = uniqueName('Concert')): Promise<{ id: number }> {
  const res = await ctx.api.post(
    '/admin/concerts',
    { title, artist: 'Artist', saleOpensAt: inDays(1) },
    admin,
  );
  expect(res.status).toBe(201);
  return res.body;
}

describe('POST /admin/venues', () => {
  it('creates a venue from a seat list', async () => {
    const name = uniqueName('List Hall');
    const seats = [
      { label: 'VIP-1', grade: 'VIP' },
      { label: 'VIP-2', grade: 'VIP' },
      { label: 'Z-9', grade: 'A' },
    ];
    const res = await ctx.api.post('/admin/venues', { name, seats }, admin);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(Number), name, seatCount: 3 });
    const stored = await sql(
      ctx.db.url,
      `select label, grade from seats where venue_id = $1 order by id`,
      [res.body.id],
    );
    expect(stored).toEqual(seats);
  });

  it('creates a venue from rows, labelling seats row-number (A-1 ...)', async () => {
    const name = uniqueName('Row Hall');
    const rows = [
      { name: 'A', seats: 3, grade: 'VIP' },
      { name: 'B', seats: 2, grade: 'S' },
    ];
    const res = await ctx.api.post('/admin/venues', { name, rows }, admin);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(Number), name, seatCount: 5 });
    const stored = await sql<{ label: string; grade: string }>(
      ctx.db.url,
      `select label, grade from seats where venue_id = $1 order by id`,
      [res.body.id],
    );
    expect(stored.map((s) => `${s.label}:${s.grade}`)).toEqual([
      'A-1:VIP',
      'A-2:VIP',
      'A-3:VIP',
      'B-1:S',
      'B-2:S',
    ]);
  });

  it('refuses a taken name with 409 VENUE_NAME_TAKEN and adds no seats', async () => {
    const venue = await createVenue(2);
    const res = await ctx.api.post(
      '/admin/venues',
      { name: venue.name, seats: [{ label: 'X-1', grade: 'A' }] },
      admin,
    );
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('VENUE_NAME_TAKEN');
    const [row] = await sql(ctx.db.url, `select count(*)::int as n from seats where label = 'X-1'`);
    expect(row).toEqual({ n: 0 });
  });

  it('refuses duplicate labels (also from overlapping rows) with 400 VALIDATION_FAILED', async () => {
    const name = uniqueName('Dup Hall');
    const fromSeats = await ctx.api.post(
      '/admin/venues',
      {
        name,
        seats: [
          { label: 'A-1', grade: 'R' },
          { label: 'A-1', grade: 'S' },
        ],
      },
      admin,
    );
    expect(fromSeats.status).toBe(400);
    expect(fromSeats.body.error.details.issues[0]).toEqual({
      path: 'body.seats',
      message: expect.stringContaining('A-1'),
    });
    const fromRows = await ctx.api.post(
      '/admin/venues',
      {
        name,
        rows: [
          { name: 'A', seats: 2, grade: 'R' },
          { name: 'A', seats: 1, grade: 'S' },
        ],
      },
      admin,
    );
    expect(fromRows.status).toBe(400);
    expect(fromRows.body.error.code).toBe('VALIDATION_FAILED');
    const venues = await sql(ctx.db.url, `select id from venues where name = $1`, [name]);
    expect(venues).toEqual([]);
  });
});

describe('POST /admin/concerts and /admin/concerts/:id/schedules', () => {
  it('creates a concert', async () => {
    const saleOpensAt = '2030-05-01T10:00:00+09:00';
    const res = await ctx.api.post(
      '/admin/concerts',
      { title: 'Spring Tour', artist: 'IU', saleOpensAt },
      admin,
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      title: 'Spring Tour',
      artist: 'IU',
      saleOpensAt: '2030-05-01T01:00:00.000Z',
      createdAt: expect.any(String),
    });
  });

  it('creates a schedule whose inventory has one row per venue seat', async () => {
    const venue = await createVenue(7);
    const concert = await createConcert();
    const startsAt = inDays(30);
    const res = await ctx.api.post(
      `/admin/concerts/${concert.id}/schedules`,
      { venueId: venue.id, startsAt, prices },
      admin,
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      concertId: concert.id,
      venue: { id: venue.id, name: venue.name },
      startsAt,
      prices,
      totalSeats: 7,
    });
    const inventory = await sql<{ seat_id: number; status: string }>(
      ctx.db.url,
      `select ss.seat_id, ss.status from schedule_seats ss where ss.schedule_id = $1 order by ss.seat_id`,
      [res.body.id],
    );
    const seats = await sql<{ id: number }>(
      ctx.db.url,
      `select id from seats where venue_id = $1 order by id`,
      [venue.id],
    );
    expect(inventory.map((r) => r.seat_id)).toEqual(seats.map((s) => s.id));
    expect(new Set(inventory.map((r) => r.status))).toEqual(new Set(['available']));
  });

  it('answers 404 CONCERT_NOT_FOUND / VENUE_NOT_FOUND for unknown ids, writing nothing', async () => {
    const venue = await createVenue(1);
    const concert = await createConcert();
    const unknownConcert = await ctx.api.post(
      '/admin/concerts/999999/schedules',
      { venueId: venue.id, startsAt: inDays(10), prices },
      admin,
    );
    expect(unknownConcert.status).toBe(404);
    expect(unknownConcert.body.error.code).toBe('CONCERT_NOT_FOUND');
    const unknownVenue = await ctx.api.post(
      `/admin/concerts/${concert.id}/schedules`,
      { venueId: 999_999, startsAt: inDays(10), prices },
      admin,
    );
    expect(unknownVenue.status).toBe(404);
    expect(unknownVenue.body.error.code).toBe('VENUE_NOT_FOUND');
    expect(
      await sql(ctx.db.url, `select id from schedules where concert_id = $1`, [concert.id]),
    ).toEqual([]);
  });

  it('refuses a schedule that starts in the past with 400', async () => {
    const venue = await createVenue(1);
    const concert = await createConcert();
    const res = await ctx.api.post(
      `/admin/concerts/${concert.id}/schedules`,
      { venueId: venue.id, startsAt: inDays(-1), prices },
      admin,
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ path: 'body.startsAt', message: expect.any(String) }] },
    });
    expect(
      await sql(ctx.db.url, `select id from schedules where concert_id = $1`, [concert.id]),
    ).toEqual([]);
  });

  it.each([
    ['POST', '/admin/venues', { name: 'Nope', seats: [{ label: 'A-1', grade: 'R' }] }],
    ['POST', '/admin/concerts', { title: 'Nope', artist: 'N', saleOpensAt: inDays(1) }],
    ['POST', '/admin/concerts/1/schedules', { venueId: 1, startsAt: inDays(5), prices }],
  ])(
    '%s %s needs the admin token: 401 UNAUTHENTICATED without or with a wrong one',
    async (method, path, body) => {
      for (const token of [undefined, 'wrong-admin-token', `${ADMIN_TOKEN}x`]) {
        const res = await ctx.api.request(method, path, body, { token });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHENTICATED');
      }
    },
  );
});

describe('GET /concerts', () => {
  it('lists concerts publicly, each with its upcoming schedules and venue {id, name}', async () => {
    const venue = await createVenue(2);
    const title = uniqueName('Listed');
    const concert = await createConcert(title);
    const later = inDays(20);
    const sooner = inDays(10);
    for (const startsAt of [later, sooner]) {
      const res = await ctx.api.post(
        `/admin/concerts/${concert.id}/schedules`,
        { venueId: venue.id, startsAt, prices },
        admin,
      );
      expect(res.status).toBe(201);
    }
    // A schedule that has already started is not upcoming: put one in the past directly.
    await sql(
      ctx.db.url,
      `insert into schedules (concert_id, venue_id, starts_at, price_vip, price_r, price_s, price_a)
       values ($1, $2, now() - interval '1 day', 1, 1, 1, 1)`,
      [concert.id, venue.id],
    );

    const res = await ctx.api.get('/concerts');
    expect(res.status).toBe(200);
    const listed = (res.body as { id: number }[]).find((c) => c.id === concert.id);
    expect(listed).toEqual({
      id: concert.id,
      title,
      artist: 'Artist',
      saleOpensAt: expect.any(String),
      schedules: [
        { id: expect.any(Number), startsAt: sooner, venue: { id: venue.id, name: venue.name } },
        { id: expect.any(Number), startsAt: later, venue: { id: venue.id, name: venue.name } },
      ],
    });
  });
});
