// The booking functions of migration 20261226000000: planned once per connection (issue 14).
//
// PL/pgSQL caches a plan per statement, but chooses between a generic plan (planned once) and a
// custom one (planned again on every call with the call's values) by estimated cost. Statements
// such as `seat_id = any(p_seats)` look dearer generic (an array of unknown length), so they were
// re-planned on every hold and payment: ~2 ms of planning per paid reservation, a third of
// PostgreSQL's CPU. Now every booking function runs with plan_cache_mode = force_generic_plan,
// and with sequential scans, merge joins and hash joins off: they only ever touch a handful of
// rows by key (a user, a reservation, a schedule's seats by seat id) and join them to their
// partners by key, so an index scan in a nested loop is always the right plan for them; yet a
// generic plan estimated without the call's values, on a small or one-schedule database, reads
// whole tables (a 200-seat `seats` table is three pages: reading all of it, or merging with all
// of its index, looks cheaper than ten index probes). Statements are also written so the key
// they are reached by is an index condition (the owned-seat count goes from the fan's
// reservations to their items, not the other way round).
//
// The hold and payment also do fewer statements: one sorted locking pass reads everything the
// hold needs of its seats (missing, lapsed, taken, label, grade, price); the reservation and its
// items are one statement whose RETURNING is the answer's seats; the schedule's counter row, which
// every hold and payment on that schedule queues on until commit, is written last, in one
// statement with the seats, the Idempotency-Key's completion and the availability returned.

/** Every booking function but booking_iso (a one-line SQL function, inlined into its callers). */
export const BOOKING_GENERIC_FUNCTIONS = [
  'booking_availability(int)',
  'booking_release(int)',
  'booking_expire(int[])',
  'booking_expire_hold(int)',
  'booking_claim(int, text, text, int, int)',
  'booking_hold(int, int, int, int[], int, int, int, timestamptz, bigint)',
  'booking_hold(int, int, int, int[], int, int, int, timestamptz, text, text, int, int)',
  'booking_pay(int, int, int, bigint)',
  'booking_pay(int, int, int, text, text, int, int)',
];

export const BOOKING_GENERIC_SETTINGS = `set plan_cache_mode = force_generic_plan
  set enable_seqscan = off set enable_mergejoin = off set enable_hashjoin = off`;

// Was a SQL function: PostgreSQL 15 plans a SQL function's body anew in every transaction.
const AVAILABILITY = `create or replace function booking_availability(p_schedule int) returns jsonb
   language plpgsql stable as $$
   declare v jsonb;
   begin
     select jsonb_build_object('version', s.seat_version,
       'availableSeats', s.available_seats + (select count(*) from schedule_seats ss
          where ss.schedule_id = p_schedule and ss.status = 'held' and ss.held_until <= now()))
     into v from schedules s where s.id = p_schedule;
     return v;
   end $$;`;

const HOLD = `create or replace function booking_hold(p_user int, p_concert int, p_schedule int,
     p_seats int[], p_max int, p_hold_seconds int, p_entry int, p_now timestamptz, p_claim bigint)
   returns jsonb language plpgsql as $$
   declare
     s record; l record; r record; w record;
     v_n int := cardinality(p_seats); v_owned int; v_missing int[]; v_freed jsonb := '[]'; v_body jsonb;
   begin
     select sc.concert_id, sc.starts_at, c.sale_opens_at,
            sc.price_vip, sc.price_r, sc.price_s, sc.price_a into s
     from schedules sc join concerts c on c.id = sc.concert_id
     where sc.id = p_schedule and sc.concert_id = p_concert;
     if not found then
       raise exception using errcode = 'LU001', message = 'SCHEDULE_NOT_FOUND';
     end if;
     if p_now < s.sale_opens_at or p_now >= s.starts_at then
       raise exception using errcode = 'LU001', message = 'SCHEDULE_CLOSED',
         detail = jsonb_build_object('saleOpensAt', booking_iso(s.sale_opens_at),
                                     'startsAt', booking_iso(s.starts_at))::text;
     end if;
     perform 1 from wallets where user_id = p_user for update;
     if not found then raise exception using errcode = 'LU001', message = 'USER_NOT_FOUND'; end if;
     -- From the fan's reservations (by user) to their items (by reservation), whatever the stats say.
     select coalesce(sum((select count(*) from reservation_items ri
                          where ri.reservation_id = rr.id and ri.live)), 0) into v_owned
     from reservations rr where rr.user_id = p_user and rr.schedule_id = p_schedule
       and (rr.status = 'paid' or (rr.status = 'held' and rr.expires_at > now()));
     if v_owned + v_n > p_max then
       raise exception using errcode = 'LU001', message = 'SEAT_LIMIT_EXCEEDED',
         detail = jsonb_build_object('max', p_max, 'alreadyHeldOrBought', v_owned)::text;
     end if;
     -- One sorted pass locks the requested seats, and every seat of a lapsed hold on them (looked
     -- up unlocked first, normally none: the sweeper runs) so that its expiry below locks nothing
     -- out of order; what the hold needs of the requested seats is read from the locked rows.
     with k as materialized (
       select ss.id, ss.seat_id, ss.status, ss.reservation_id, ss.held_until, st.label, st.grade
       from schedule_seats ss join seats st on st.id = ss.seat_id
       where ss.schedule_id = p_schedule and ss.seat_id = any(p_seats || array(
         select o.seat_id from schedule_seats h join schedule_seats o on o.reservation_id = h.reservation_id
         where h.schedule_id = p_schedule and h.seat_id = any(p_seats) and h.status = 'held'
           and h.held_until <= now()))
       order by ss.seat_id for update of ss),
     q as (select *, case grade when 'VIP' then s.price_vip when 'R' then s.price_r
                                when 'S' then s.price_s else s.price_a end as price,
                  status = 'held' and held_until <= now() as lapsed
           from k where seat_id = any(p_seats))
     select count(*) as found, array_agg(distinct reservation_id) filter (where lapsed) as stale,
            array_agg(seat_id order by seat_id) filter (where status <> 'available' and not lapsed) as taken,
            array_agg(id order by seat_id) as ids, array_agg(seat_id order by seat_id) as seat_ids,
            array_agg(label order by seat_id) as labels, array_agg(grade order by seat_id) as grades,
            array_agg(price order by seat_id) as prices, coalesce(sum(price), 0) as amount
     into l from q;
     if l.found < v_n then
       select array_agg(x order by x) into v_missing from unnest(p_seats) x
       where x <> all(coalesce(l.seat_ids, '{}'));
       if v_missing is not null then
         raise exception using errcode = 'LU001', message = 'SEAT_NOT_FOUND',
           detail = jsonb_build_object('seatIds', v_missing)::text;
       end if;
     end if;
     -- Refused before anything is written (the seats are locked: their status cannot move now).
     if l.taken is not null then
       raise exception using errcode = 'LU001', message = 'SEAT_UNAVAILABLE',
         detail = jsonb_build_object('seatIds', l.taken)::text;
     end if;
     if l.stale is not null then v_freed := booking_expire(l.stale); end if;

     with n as (insert into reservations (user_id, concert_id, schedule_id, status, amount, expires_at,
                  queue_entry_id)
                values (p_user, p_concert, p_schedule, 'held', l.amount,
                  now() + make_interval(secs => p_hold_seconds), p_entry)
                returning id, amount, expires_at, created_at),
     i as (insert into reservation_items (reservation_id, schedule_seat_id, seat_id, label, grade, price, live)
           select n.id, t.id, t.seat_id, t.label, t.grade, t.price, true
           from n, unnest(l.ids, l.seat_ids, l.labels, l.grades, l.prices) t(id, seat_id, label, grade, price)
           returning seat_id, label, grade, price)
     select n.id, n.amount, n.expires_at, n.created_at,
            (select jsonb_agg(jsonb_build_object('id', seat_id, 'label', label, 'grade', grade,
               'price', price) order by seat_id) from i) as seats
     into r from n;
     v_body := jsonb_build_object('id', r.id, 'status', 'held', 'concertId', p_concert,
       'scheduleId', p_schedule, 'seats', r.seats, 'amount', r.amount,
       'expiresAt', booking_iso(r.expires_at), 'paidAt', null, 'createdAt', booking_iso(r.created_at));

     -- Last, as the schedule's row stays locked until commit: the conditional write (the final
     -- word on who holds a seat), counted here once (all v_n seats go available -> held, or we
     -- raise and roll back), the key's claim completed, and the availability as of this write.
     with v as (update schedules set seat_version = seat_version + v_n,
                  available_seats = available_seats - v_n, held_seats = held_seats + v_n
                where id = p_schedule returning seat_version, available_seats),
     t as (update schedule_seats set status = 'held', reservation_id = r.id, held_until = r.expires_at,
             changed_version = (select seat_version from v)
           where schedule_id = p_schedule and seat_id = any(p_seats) and status = 'available'
           returning seat_id),
     c as (update idempotency_keys set status = 'completed', response_body = v_body
           where id = p_claim and status = 'in_progress' returning id)
     select (select array_agg(seat_id) from t) as held, (select count(*) from c) as claimed,
            v.seat_version, v.available_seats + (select count(*) from schedule_seats ss
              where ss.schedule_id = p_schedule and ss.status = 'held' and ss.held_until <= now()) as available
     into w from v;
     if coalesce(cardinality(w.held), 0) < v_n then
       raise exception using errcode = 'LU001', message = 'SEAT_UNAVAILABLE',
         detail = jsonb_build_object('seatIds', (select array_agg(x order by x) from unnest(p_seats) x
                                                  where x <> all(coalesce(w.held, '{}'))))::text;
     end if;
     -- Our claim lapsed and another request took the key over: roll back, its effect stands.
     if p_claim is not null and w.claimed = 0 then
       raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_IN_USE';
     end if;
     return jsonb_build_object('body', v_body, 'freed', v_freed, 'version', w.seat_version,
       'availableSeats', w.available);
   end $$;`;

const PAY = `create or replace function booking_pay(p_user int, p_reservation int, p_max_failures int,
     p_claim bigint)
   returns jsonb language plpgsql as $$
   declare
     r record; c record; p record; w record; v_balance bigint; v_fail int; v_freed int[]; v_body jsonb;
   begin
     select balance into v_balance from wallets where user_id = p_user for update;
     if not found then
       raise exception using errcode = 'LU001', message = 'RESERVATION_NOT_FOUND';
     end if;
     select count(*) as n, count(*) filter (where status = 'available') as available,
            count(*) filter (where status = 'held') as held into c
     from (select status from schedule_seats where reservation_id = p_reservation
           order by seat_id for update) l;
     select id, user_id, concert_id, schedule_id, status, amount, expires_at, queue_entry_id,
            (status = 'held' and expires_at <= now()) as lapsed into r
     from reservations where id = p_reservation for update;
     -- Another fan's reservation is "not found": existence is not leaked.
     if not found or r.user_id <> p_user then
       raise exception using errcode = 'LU001', message = 'RESERVATION_NOT_FOUND';
     end if;
     if r.status = 'paid' then raise exception using errcode = 'LU001', message = 'ALREADY_PAID'; end if;
     if r.status = 'expired' or r.lapsed then
       return jsonb_build_object('error', 'HOLD_EXPIRED',
         'details', jsonb_build_object('expiresAt', booking_iso(r.expires_at)),
         'expired', booking_expire(array[p_reservation]), 'scheduleId', r.schedule_id)
         || booking_availability(r.schedule_id);
     end if;
     if r.status <> 'held' then
       raise exception using errcode = 'LU001', message = 'RESERVATION_NOT_HELD',
         detail = jsonb_build_object('status', r.status)::text;
     end if;
     if v_balance < r.amount then
       -- Seed policy against abuse: the p_max_failures-th failed payment releases the hold.
       update reservations set failed_payment_attempts = failed_payment_attempts + 1
       where id = p_reservation returning failed_payment_attempts into v_fail;
       if v_fail >= p_max_failures then
         update reservations set status = 'canceled', ended_at = now() where id = p_reservation;
         v_freed := booking_release(p_reservation);
       end if;
       return jsonb_build_object('error', 'INSUFFICIENT_POINTS',
         'details', jsonb_build_object('amount', r.amount, 'failedAttempts', v_fail,
                                       'attemptsLeft', greatest(0, p_max_failures - v_fail)),
         'released', to_jsonb(v_freed), 'scheduleId', r.schedule_id, 'concertId', r.concert_id,
         'queueEntryId', r.queue_entry_id) || booking_availability(r.schedule_id);
     end if;
     -- The points debited, their ledger line, the reservation paid and its payment: one statement.
     with d as (update wallets set balance = balance - r.amount, updated_at = now()
                where user_id = p_user returning balance),
     g as (insert into point_ledger (user_id, type, amount, balance_after, reservation_id)
           select p_user, 'payment', -r.amount, d.balance, p_reservation from d),
     u as (update reservations set status = 'paid', paid_at = now() where id = p_reservation)
     insert into payments (reservation_id, user_id, amount) values (p_reservation, p_user, r.amount)
     returning id, paid_at, (select balance from d) as balance into p;
     v_body := jsonb_build_object('paymentId', p.id, 'reservationId', p_reservation,
       'amount', r.amount, 'balance', p.balance, 'paidAt', booking_iso(p.paid_at));

     -- Last, as the schedule's row stays locked until commit: the seats sold, counted here once
     -- from the seats locked above (their status cannot have moved since), the key's claim
     -- completed, and the availability as of this write.
     with v as (update schedules set seat_version = seat_version + c.n,
                  available_seats = available_seats - c.available, held_seats = held_seats - c.held
                where id = r.schedule_id returning seat_version, available_seats),
     t as (update schedule_seats set status = 'sold', held_until = null,
             changed_version = (select seat_version from v)
           where reservation_id = p_reservation returning seat_id),
     k as (update idempotency_keys set status = 'completed', response_body = v_body
           where id = p_claim and status = 'in_progress' returning id)
     select (select array_agg(seat_id order by seat_id) from t) as sold,
            (select count(*) from k) as claimed, v.seat_version,
            v.available_seats + (select count(*) from schedule_seats ss
              where ss.schedule_id = r.schedule_id and ss.status = 'held' and ss.held_until <= now()) as available
     into w from v;
     if p_claim is not null and w.claimed = 0 then
       raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_IN_USE';
     end if;
     return jsonb_build_object('body', v_body, 'sold', to_jsonb(coalesce(w.sold, '{}')),
       'scheduleId', r.schedule_id, 'concertId', r.concert_id, 'queueEntryId', r.queue_entry_id,
       'version', w.seat_version, 'availableSeats', w.available);
   end $$;`;

export const BOOKING_GENERIC_SQL = [AVAILABILITY, HOLD, PAY];
