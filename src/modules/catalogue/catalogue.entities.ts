import { EntitySchema, type Opt } from '@mikro-orm/core';

export const GRADES = ['VIP', 'R', 'S', 'A'] as const;
export type Grade = (typeof GRADES)[number];
export type Prices = Record<Grade, number>;

export class Venue {
  id!: number;
  name!: string;
  createdAt: Date & Opt = new Date();
}

export class Seat {
  id!: number;
  venueId!: number;
  label!: string;
  grade!: Grade;
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

/** Inventory row: one per (schedule, seat). `held` with a past `heldUntil` counts as available. */
export class ScheduleSeat {
  id!: number;
  scheduleId!: number;
  seatId!: number;
  status: 'available' | 'held' | 'sold' = 'available';
  reservationId: number | null = null;
  heldUntil: Date | null = null;
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

export const SeatSchema = new EntitySchema<Seat>({
  class: Seat,
  tableName: 'seats',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    venueId: { type: 'integer' },
    label: { type: 'string', length: 20 },
    grade: { type: 'string', length: 3 },
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

export const ScheduleSeatSchema = new EntitySchema<ScheduleSeat>({
  class: ScheduleSeat,
  tableName: 'schedule_seats',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    scheduleId: { type: 'integer' },
    seatId: { type: 'integer' },
    status: { type: 'string', length: 10 },
    reservationId: { type: 'integer', nullable: true },
    heldUntil: { ...timestamptz, nullable: true },
  },
});

export function pricesOf(s: Schedule): Prices {
  return { VIP: s.priceVip, R: s.priceR, S: s.priceS, A: s.priceA };
}
