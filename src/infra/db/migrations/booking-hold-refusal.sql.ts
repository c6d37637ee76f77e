import { BOOKING_HOLD_LOCK_SQL } from './booking-hold-lock.sql.js';

// booking_hold of migration 20261225000000: the version of booking-hold-lock.sql.ts refusing a
// taken seat before it writes anything. Since 20261223000000 the hold writes the schedule's
// counter row in the statement of its conditional UPDATE, so a hold refused there (a seat storm:
// most holds) also waited for the schedule's row lock behind every hold in flight on it and left
// a dead version of that hot row, besides the reservation row it inserted and rolled back (booking
// mix: PostgreSQL CPU per paid 5.06-5.49 -> 5.02-6.03 ms). The requested seats are locked by then,
// so their status cannot change before the UPDATE, which stays the final word.
const ANCHOR = `     insert into reservations (user_id, concert_id, schedule_id, status, amount, expires_at, queue_entry_id)`;

const REFUSE_TAKEN = `     select array_agg(seat_id order by seat_id) into v_taken from schedule_seats
     where schedule_id = p_schedule and seat_id = any(p_seats) and status <> 'available';
     if v_taken is not null then
       raise exception using errcode = 'LU001', message = 'SEAT_UNAVAILABLE',
         detail = jsonb_build_object('seatIds', v_taken)::text;
     end if;
`;

if (!BOOKING_HOLD_LOCK_SQL.includes(ANCHOR)) throw new Error('booking-hold-refusal: no anchor');
export const BOOKING_HOLD_REFUSAL_SQL = BOOKING_HOLD_LOCK_SQL.replace(
  ANCHOR,
  REFUSE_TAKEN + ANCHOR,
);
