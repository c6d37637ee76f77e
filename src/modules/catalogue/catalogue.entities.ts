import { EntitySchema, type Opt } from '@mikro-orm/core';

import type { Prices } from '@lineup/client-sdk/contract';

export type { Grade, Prices } from '@lineup/client-sdk/contract';

// Entities only for what is read or written through the ORM; seats and schedule_seats are SQL
// only (booking). The migrations are the schema's truth: test/integration/schema-agreement.test.ts
// fails when an entity, or a column the SQL names, disagrees with the migrated database.

export class Venue {
  id!: number;
  name!: string;
  createdAt: Date & Opt = new Date();
}

export class Concert {
  id!: number;
  title!: string;
  artist!: string;
  saleOpensAt!: Date;
  createdAt: Date & Opt = new Date();
}

export class Schedule {
  id!: number;
  concertId!: number;
  venueId!: number;
  startsAt!: Date;
  priceVip!: number;
  priceR!: number;
  priceS!: number;
  priceA!: number;
  createdAt: Date & Opt = new Date();
}

const timestamptz = { type: 'datetime', columnType: 'timestamptz' } as const;

export const VenueSchema = new EntitySchema<Venue>({
  class: Venue,
  tableName: 'venues',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    name: { type: 'string', length: 200 },
    createdAt: timestamptz,
  },
});

export const ConcertSchema = new EntitySchema<Concert>({
  class: Concert,
  tableName: 'concerts',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    title: { type: 'string', length: 200 },
    artist: { type: 'string', length: 200 },
    saleOpensAt: timestamptz,
    createdAt: timestamptz,
  },
});

export const ScheduleSchema = new EntitySchema<Schedule>({
  class: Schedule,
  tableName: 'schedules',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    concertId: { type: 'integer' },
    venueId: { type: 'integer' },
    startsAt: timestamptz,
    priceVip: { type: 'integer' },
    priceR: { type: 'integer' },
    priceS: { type: 'integer' },
    priceA: { type: 'integer' },
    createdAt: timestamptz,
  },
});

export function pricesOf(s: Schedule): Prices {
  return { VIP: s.priceVip, R: s.priceR, S: s.priceS, A: s.priceA };
}
