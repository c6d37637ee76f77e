import { BOOKING_GENERIC_SQL } from './booking-generic.sql.js';

// booking_hold of migration 20261227000000: the version of booking-generic.sql.ts with the lapsed
// holds on the requested seats looked up by seat, never through schedule_seats_reservation_idx.
//
// The lookup joined the requested seats' rows (h) to their reservations' other seats (o) on
// reservation_id. That join lets the planner read h from the partial index on reservation_id
// (every seat of every live or sold reservation, in every schedule) and filter by schedule and
// seat, and a generic plan made while that index looked empty (a new database, or stats from
// before a sale) did exactly that on every later hold: reads that grow with the seats sold in the
// whole database (booking-generic-plans test: 661 rows read in 29 calls). The requested seats'
// reservations are now read first, by schedule and seat (no condition on reservation_id, so that
// index cannot serve them), and their other seats by those ids.

const JOINED = `select o.seat_id from schedule_seats h join schedule_seats o on o.reservation_id = h.reservation_id
         where h.schedule_id = p_schedule and h.seat_id = any(p_seats) and h.status = 'held'
           and h.held_until <= now()))`;

const BY_SEAT = `select o.seat_id from schedule_seats o where o.reservation_id = any(array(
           select h.reservation_id from schedule_seats h
           where h.schedule_id = p_schedule and h.seat_id = any(p_seats) and h.status = 'held'
             and h.held_until <= now()))))`;

function lapsedBySeat(): string {
  const hold = BOOKING_GENERIC_SQL.find((s) => s.includes('function booking_hold('))!;
  if (!hold.includes(JOINED)) throw new Error('booking_hold: lapsed-hold lookup not found');
  return hold.replace(JOINED, BY_SEAT);
}

export const BOOKING_LAPSED_LOOKUP_SQL = lapsedBySeat();
