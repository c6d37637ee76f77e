import { ADMIN_TOKEN } from './server.js';
import type { Client } from './http.js';

const DAY = 86_400_000;
const admin = { token: ADMIN_TOKEN };

/** A venue of `seats` seats in rows of 10 (first row VIP, then R, S, A), via the admin API. */
export async function createVenue(api: Client, seats = 20): Promise<number> {
  const grades = ['VIP', 'R', 'S', 'A'] as const;
  const rows = Array.from({ length: Math.ceil(seats / 10) }, (_, i) => ({
    name: `R${i + 1}`,
    seats: Math.min(10, seats - i * 10),
    grade: grades[Math.min(i, 3)],
  }));
  const res = await api.post(
    '/admin/venues',
    { name: `Venue ${Math.random().toString(36).slice(2)}`, rows },
    admin,
  );
  if (res.status !== 201) throw new Error(`venue: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export interface ConcertFixture {
  concertId: number;
  scheduleIds: number[];
  venueId: number;
}

/** A concert with schedules in the future; sale open unless `saleOpensAt` says otherwise. */
export async function createConcert(
  api: Client,
  options: { saleOpensAt?: Date; seats?: number; schedules?: number; startsInDays?: number } = {},
): Promise<ConcertFixture> {
  const venueId = await createVenue(api, options.seats ?? 20);
  const saleOpensAt = (options.saleOpensAt ?? new Date(Date.now() - DAY)).toISOString();
  const concert = await api.post(
    '/admin/concerts',
    { title: 'Test Concert', artist: 'Test Artist', saleOpensAt },
    admin,
  );
  if (concert.status !== 201)
    throw new Error(`concert: ${concert.status} ${JSON.stringify(concert.body)}`);
  const scheduleIds: number[] = [];
  for (let i = 0; i < (options.schedules ?? 1); i++) {
    const startsAt = new Date(Date.now() + ((options.startsInDays ?? 10) + i) * DAY).toISOString();
    const res = await api.post(
      `/admin/concerts/${concert.body.id}/schedules`,
      { venueId, startsAt, prices: { VIP: 150_000, R: 120_000, S: 90_000, A: 60_000 } },
      admin,
    );
    if (res.status !== 201) throw new Error(`schedule: ${res.status} ${JSON.stringify(res.body)}`);
    scheduleIds.push(res.body.id);
  }
  return { concertId: concert.body.id, scheduleIds, venueId };
}

export async function setQueuePolicy(
  api: Client,
  concertId: number,
  patch: Record<string, unknown>,
): Promise<void> {
  const res = await api.patch(`/admin/concerts/${concertId}/queue`, patch, admin);
  if (res.status !== 200) throw new Error(`policy: ${res.status} ${JSON.stringify(res.body)}`);
}
