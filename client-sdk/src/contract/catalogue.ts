import { z } from 'zod';
import { Grade, IsoDateTime, Prices, Text } from './common.js';

export const VenueRef = z.object({ id: z.number().int(), name: z.string() });

export const ConcertListItem = z.object({
  id: z.number().int(),
  title: z.string(),
  artist: z.string(),
  saleOpensAt: IsoDateTime,
  schedules: z.array(z.object({ id: z.number().int(), startsAt: IsoDateTime, venue: VenueRef })),
});
export type ConcertListItem = z.infer<typeof ConcertListItem>;
export const ConcertList = z.array(ConcertListItem);

const Label = Text(20);

export const CreateVenueBody = z.union([
  z.strictObject({
    name: Text(200),
    seats: z
      .array(z.strictObject({ label: Label, grade: Grade }))
      .min(1)
      .max(50_000),
  }),
  z.strictObject({
    name: Text(200),
    rows: z
      .array(
        z.strictObject({
          name: Text(8),
          seats: z.number().int().min(1).max(1_000),
          grade: Grade,
        }),
      )
      .min(1)
      .max(500),
  }),
]);
export type CreateVenueBody = z.input<typeof CreateVenueBody>;
export const VenueCreated = z.object({
  id: z.number().int(),
  name: z.string(),
  seatCount: z.number().int(),
});

export const CreateConcertBody = z.strictObject({
  title: Text(200),
  artist: Text(200),
  saleOpensAt: IsoDateTime,
});
export type CreateConcertBody = z.input<typeof CreateConcertBody>;
export const ConcertCreated = z.object({
  id: z.number().int(),
  title: z.string(),
  artist: z.string(),
  saleOpensAt: IsoDateTime,
  createdAt: IsoDateTime,
});

export const CreateScheduleBody = z.strictObject({
  venueId: z.number().int().positive().max(2_147_483_647),
  startsAt: IsoDateTime,
  prices: Prices,
});
export type CreateScheduleBody = z.input<typeof CreateScheduleBody>;
export const ScheduleCreated = z.object({
  id: z.number().int(),
  concertId: z.number().int(),
  venue: VenueRef,
  startsAt: IsoDateTime,
  prices: Prices,
  totalSeats: z.number().int(),
});
