import type { EntityManager } from '@mikro-orm/postgresql';
import { intArray } from './booking.repository.js';

/** What the seat filter is repaired from: the truth in PostgreSQL. */
export class SeatFilterRepository {
  /** Schedules on sale now: the only ones whose seats can be held, sold or refunded. */
  async schedulesOnSale(em: EntityManager): Promise<number[]> {
    const rows = await em.execute<{ id: number }[]>(
      `select s.id from schedules s join concerts c on c.id = s.concert_id
       where c.sale_opens_at <= now() and s.starts_at > now()`,
    );
    return rows.map((r) => r.id);
  }

  /** Which of these (schedule, seat) pairs are available right now (a hold past its deadline is). */
  async availableAmong(
    em: EntityManager,
    seats: { scheduleId: number; seatId: number }[],
  ): Promise<{ scheduleId: number; seatId: number }[]> {
    if (seats.length === 0) return [];
    return em.execute(
      `select ss.schedule_id as "scheduleId", ss.seat_id as "seatId"
       from unnest(?::int[], ?::int[]) as t(schedule_id, seat_id)
       join schedule_seats ss on ss.schedule_id = t.schedule_id and ss.seat_id = t.seat_id
       where ss.status = 'available' or (ss.status = 'held' and ss.held_until <= now())`,
      [intArray(seats.map((s) => s.scheduleId)), intArray(seats.map((s) => s.seatId))],
    );
  }
}
