import { BOOKING_COUNTED_SQL } from './booking-counted.sql.js';

// booking_hold of migration 20261224000000: the version of booking-counted.sql.ts with its seat
// locks taken by the plainest statement that still goes through the indexes. The UNION form there
// reads only the requested seats, but PostgreSQL plans it afresh on every call (a custom plan:
// the generic one is estimated dearer) and planning it costs more than it saves on a 200-seat
// schedule (~0.38 ms planned + 0.17 ms run, against ~0.15 + 0.16 ms for the OR form of migration
// 20261221000000, which reads every seat of the schedule). Now: the lapsed holds on the requested
// seats are looked up first (an unlocked read, as the OR form's subquery was; normally none: the
// sweeper runs), then one sorted pass locks the requested seats, plus the lapsed holds' seats
// when there are any (both through an index), so the lock order stays one sorted pass.
const UNION_LOCK = `     -- (By id through the two indexes, not one OR filter over every seat of the schedule.)
     perform 1 from schedule_seats where id in (
       select id from schedule_seats where schedule_id = p_schedule and seat_id = any(p_seats)
       union all
       select l.id from schedule_seats h join schedule_seats l on l.reservation_id = h.reservation_id
       where h.schedule_id = p_schedule and h.seat_id = any(p_seats) and h.status = 'held'
         and h.held_until <= now())
     order by seat_id for update;`;

const INDEXED_LOCK = `     select array_agg(distinct reservation_id) into v_stale from schedule_seats
     where schedule_id = p_schedule and seat_id = any(p_seats) and status = 'held' and held_until <= now();
     if v_stale is null then
       perform 1 from schedule_seats where schedule_id = p_schedule and seat_id = any(p_seats)
       order by seat_id for update;
     else
       perform 1 from schedule_seats
       where (schedule_id = p_schedule and seat_id = any(p_seats)) or reservation_id = any(v_stale)
       order by seat_id for update;
     end if;`;

const hold = BOOKING_COUNTED_SQL[0]!;
if (!hold.includes(UNION_LOCK)) throw new Error('booking-hold-lock: the lock statement moved');
export const BOOKING_HOLD_LOCK_SQL = hold.replace(UNION_LOCK, INDEXED_LOCK);
