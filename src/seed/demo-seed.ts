import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Orm } from '../infra/db/orm.js';
import type { Prices } from '@lineup/client-sdk/contract';
import type { Grade } from '../modules/catalogue/catalogue.entities.js';
import { CatalogueRepository } from '../modules/catalogue/catalogue.repository.js';
import { AccountsRepository } from '../modules/accounts/accounts.repository.js';
import { hashPassword } from '../modules/accounts/passwords.crypto.js';
import { PointsRepository } from '../modules/points/points.repository.js';

const DAY = 86_400_000;

// The three venues of SPEC §2: rows of seats, best rows first.
const VENUES: { name: string; rows: { name: string; seats: number; grade: Grade }[] }[] = [
  {
    name: 'Blue Note Hall',
    rows: [
      { name: 'A', seats: 10, grade: 'VIP' },
      { name: 'B', seats: 10, grade: 'R' },
      { name: 'C', seats: 10, grade: 'S' },
      { name: 'D', seats: 10, grade: 'S' },
      { name: 'E', seats: 10, grade: 'A' },
    ],
  },
  {
    name: 'Olympic Hall',
    rows: 'ABCDEFGHIJ'.split('').map((name, i) => ({
      name,
      seats: 10,
      grade: (i < 2 ? 'VIP' : i < 4 ? 'R' : i < 7 ? 'S' : 'A') as Grade,
    })),
  },
  {
    name: 'Gocheok Sky Dome',
    rows: Array.from({ length: 20 }, (_, i) => ({
      name: `R${String(i + 1).padStart(2, '0')}`,
      seats: 50,
      grade: (i < 2 ? 'VIP' : i < 6 ? 'R' : i < 12 ? 'S' : 'A') as Grade,
    })),
  },
];

const PRICES: Record<string, Prices> = {
  'Blue Note Hall': { VIP: 120_000, R: 99_000, S: 77_000, A: 55_000 },
  'Olympic Hall': { VIP: 165_000, R: 143_000, S: 121_000, A: 99_000 },
  'Gocheok Sky Dome': { VIP: 198_000, R: 165_000, S: 132_000, A: 99_000 },
};

// Sale times relative to the seed time: one concert on sale now, one opening soon (a pre-queue
// to watch), one on sale with a show inside the 3-day refund cutoff.
const CONCERTS = [
  {
    title: 'IU — The Golden Hour Encore',
    artist: 'IU',
    opensIn: -DAY,
    schedules: [
      ['Gocheok Sky Dome', 14],
      ['Gocheok Sky Dome', 15],
    ],
  },
  {
    title: 'SEVENTEEN — Follow Again',
    artist: 'SEVENTEEN',
    opensIn: 10 * 60_000,
    schedules: [
      ['Olympic Hall', 30],
      ['Olympic Hall', 31],
      ['Gocheok Sky Dome', 33],
    ],
  },
  {
    title: 'Seoul Jazz Night',
    artist: 'Song So-hee Quartet',
    opensIn: -DAY,
    schedules: [
      ['Blue Note Hall', 2],
      ['Blue Note Hall', 7],
    ],
  },
] as const;

const FANS = [
  { name: 'Kim Min-ji', phone: '01000000001' },
  { name: 'Lee Ji-hoon', phone: '01000000002' },
  { name: 'Park Seo-yeon', phone: '01000000003' },
];
export const DEMO_PASSWORD = 'lineup-demo';

/** Idempotent: creates whatever of the demo data is missing, matched by name, title or phone. */
export async function seedDemoData(
  orm: Orm,
  config: Config,
  logger?: Logger,
  now = new Date(),
): Promise<void> {
  // The demo fans have a published password and 500,000 points each (SPEC §7).
  if (config.env === 'production')
    throw new Error('Demo data is never seeded when NODE_ENV=production.');
  const em = orm.em.fork() as EntityManager;
  const catalogue = new CatalogueRepository();
  const venueIds = new Map<string, number>();
  for (const v of VENUES) {
    const existing = await catalogue.findVenueByName(em, v.name);
    const seats = v.rows.flatMap((r) =>
      Array.from({ length: r.seats }, (_, i) => ({ label: `${r.name}-${i + 1}`, grade: r.grade })),
    );
    const id = existing?.id ?? (await catalogue.createVenue(em, v.name, seats))!.id;
    venueIds.set(v.name, id);
  }
  for (const c of CONCERTS) {
    if (await catalogue.findConcertByTitle(em, c.title)) continue;
    const concert = await catalogue.createConcert(em, {
      title: c.title,
      artist: c.artist,
      saleOpensAt: new Date(now.getTime() + c.opensIn),
    });
    for (const [venue, inDays] of c.schedules) {
      const startsAt = new Date(Math.ceil((now.getTime() + inDays * DAY) / 3_600_000) * 3_600_000);
      await catalogue.createSchedule(em, {
        concertId: concert.id,
        venueId: venueIds.get(venue)!,
        startsAt,
        prices: PRICES[venue]!,
      });
    }
  }
  const accounts = new AccountsRepository();
  const points = new PointsRepository();
  for (const fan of FANS) {
    if (await accounts.findByPhone(em, fan.phone)) continue;
    const user = await accounts.create(em, {
      ...fan,
      passwordHash: await hashPassword(DEMO_PASSWORD),
    });
    if (user) {
      await em.transactional((tx) =>
        points.applyChange(tx, {
          userId: user.id,
          delta: 500_000,
          cap: config.points.balanceCap,
          type: 'charge',
        }),
      );
    }
  }
  logger?.info('demo data in place');
}

/** `npm start` on an empty database seeds it, so the two-command quick start shows something. */
export async function seedIfEmpty(orm: Orm, config: Config, logger?: Logger): Promise<void> {
  const count = await new CatalogueRepository().countVenues(orm.em.fork() as EntityManager);
  if (count === 0) await seedDemoData(orm, config, logger);
}
