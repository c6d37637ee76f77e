// booking_hold and booking_pay of migration 20261223000000: the versions of booking-functions.sql.ts
// with their seat write counted by the function itself, once per statement, instead of by the
// per-row trigger (see the migration), and the hold's seat locks taken through the indexes.

export const BOOKING_COUNTED_SQL = [
  `create or replace function booking_hold(p_user int, p_concert int, p_schedule int, p_seats int[],
     p_max int, p_hold_seconds int, p_entry int, p_now timestamptz, p_claim bigint)
   returns jsonb language plpgsql as $$
   declare
     s record; r record;
     v_owned int; v_missing int[]; v_stale int[]; v_freed jsonb := '[]'; v_taken int[]; v_body jsonb;
   begin
     select sc.concert_id, sc.starts_at, c.sale_opens_at,
            sc.price_vip, sc.price_r, sc.price_s, sc.price_a into s
     from schedules sc join concerts c on c.id = sc.concert_id where sc.id = p_schedule;
     if not found or s.concert_id <> p_concert then
       raise exception using errcode = 'LU001', message = 'SCHEDULE_NOT_FOUND';
     end if;
     if p_now < s.sale_opens_at or p_now >= s.starts_at then
       raise exception using errcode = 'LU001', message = 'SCHEDULE_CLOSED',
         detail = jsonb_build_object('saleOpensAt', booking_iso(s.sale_opens_at),
                                     'startsAt', booking_iso(s.starts_at))::text;
     end if;
     perform 1 from wallets where user_id = p_user for update;
     if not found then raise exception using errcode = 'LU001', message = 'USER_NOT_FOUND'; end if;
     select count(*) into v_owned from reservation_items ri join reservations rr on rr.id = ri.reservation_id
     where rr.user_id = p_user and rr.schedule_id = p_schedule and ri.live
       and (rr.status = 'paid' or (rr.status = 'held' and rr.expires_at > now()));
     if v_owned + cardinality(p_seats) > p_max then
       raise exception using errcode = 'LU001', message = 'SEAT_LIMIT_EXCEEDED',
         detail = jsonb_build_object('max', p_max, 'alreadyHeldOrBought', v_owned)::text;
     end if;
     -- The requested seats and every seat of the lapsed holds on them, in one sorted pass.
     -- (By id through the two indexes, not one OR filter over every seat of the schedule.)
     perform 1 from schedule_seats where id in (
       select id from schedule_seats where schedule_id = p_schedule and seat_id = any(p_seats)
       union all
       select l.id from schedule_seats h join schedule_seats l on l.reservation_id = h.reservation_id
       where h.schedule_id = p_schedule and h.seat_id = any(p_seats) and h.status = 'held'
         and h.held_until <= now())
     order by seat_id for update;
     select array_agg(x order by x) into v_missing from unnest(p_seats) x
     where not exists (select 1 from schedule_seats where schedule_id = p_schedule and seat_id = x);
     if v_missing is not null then
       raise exception using errcode = 'LU001', message = 'SEAT_NOT_FOUND',
         detail = jsonb_build_object('seatIds', v_missing)::text;
     end if;
     select array_agg(distinct reservation_id) into v_stale from schedule_seats
     where schedule_id = p_schedule and seat_id = any(p_seats) and status = 'held' and held_until <= now();
     if v_stale is not null then v_freed := booking_expire(v_stale); end if;

     insert into reservations (user_id, concert_id, schedule_id, status, amount, expires_at, queue_entry_id)
     select p_user, p_concert, p_schedule, 'held',
            coalesce(sum(case st.grade when 'VIP' then s.price_vip when 'R' then s.price_r
                                       when 'S' then s.price_s else s.price_a end), 0),
            now() + make_interval(secs => p_hold_seconds), p_entry
     from seats st where st.id = any(p_seats)
     returning id, amount, expires_at, created_at into r;
     -- The conditional write: the final word on who holds a seat.
     -- Counted here, once: all p_seats go available -> held, or we raise and roll back.
     with v as (update schedules set seat_version = seat_version + cardinality(p_seats),
                  available_seats = available_seats - cardinality(p_seats),
                  held_seats = held_seats + cardinality(p_seats)
                where id = p_schedule returning seat_version),
     t as (update schedule_seats set status = 'held', reservation_id = r.id, held_until = r.expires_at,
             changed_version = (select seat_version from v)
           where schedule_id = p_schedule and seat_id = any(p_seats) and status = 'available'
           returning seat_id)
     select array_agg(seat_id) into v_taken from t;
     if coalesce(cardinality(v_taken), 0) < cardinality(p_seats) then
       raise exception using errcode = 'LU001', message = 'SEAT_UNAVAILABLE',
         detail = jsonb_build_object('seatIds', (select array_agg(x order by x) from unnest(p_seats) x
                                                  where x <> all(coalesce(v_taken, '{}'))))::text;
     end if;
     insert into reservation_items (reservation_id, schedule_seat_id, seat_id, label, grade, price, live)
     select r.id, ss.id, st.id, st.label, st.grade,
            case st.grade when 'VIP' then s.price_vip when 'R' then s.price_r
                          when 'S' then s.price_s else s.price_a end, true
     from schedule_seats ss join seats st on st.id = ss.seat_id
     where ss.schedule_id = p_schedule and ss.seat_id = any(p_seats) order by st.id;

     v_body := jsonb_build_object('id', r.id, 'status', 'held', 'concertId', p_concert,
       'scheduleId', p_schedule,
       'seats', (select jsonb_agg(jsonb_build_object('id', seat_id, 'label', label, 'grade', grade,
                   'price', price) order by seat_id) from reservation_items where reservation_id = r.id),
       'amount', r.amount, 'expiresAt', booking_iso(r.expires_at), 'paidAt', null,
       'createdAt', booking_iso(r.created_at));
     if p_claim is not null then
       update idempotency_keys set status = 'completed', response_body = v_body
       where id = p_claim and status = 'in_progress';
       -- Our claim lapsed and another request took the key over: roll back, its effect stands.
       if not found then
         raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_IN_USE';
       end if;
     end if;
     return jsonb_build_object('body', v_body, 'freed', v_freed) || booking_availability(p_schedule);
   end $$;`,

  `create or replace function booking_pay(p_user int, p_reservation int, p_max_failures int, p_claim bigint)
   returns jsonb language plpgsql as $$
   declare
     r record; pay record; c record; v_balance bigint; v_fail int; v_freed int[]; v_sold int[]; v_body jsonb;
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
     update wallets set balance = balance - r.amount, updated_at = now()
     where user_id = p_user returning balance into v_balance;
     insert into point_ledger (user_id, type, amount, balance_after, reservation_id)
     values (p_user, 'payment', -r.amount, v_balance, p_reservation);
     update reservations set status = 'paid', paid_at = now() where id = p_reservation;
     -- Counted here, once, from the seats locked above (their status cannot have moved since).
     with v as (update schedules set seat_version = seat_version + c.n,
                  available_seats = available_seats - c.available, held_seats = held_seats - c.held
                where id = r.schedule_id returning seat_version),
     t as (update schedule_seats set status = 'sold', held_until = null,
             changed_version = (select seat_version from v)
           where reservation_id = p_reservation returning seat_id)
     select array_agg(seat_id order by seat_id) into v_sold from t;
     insert into payments (reservation_id, user_id, amount) values (p_reservation, p_user, r.amount)
     returning id, paid_at into pay;
     v_body := jsonb_build_object('paymentId', pay.id, 'reservationId', p_reservation,
       'amount', r.amount, 'balance', v_balance, 'paidAt', booking_iso(pay.paid_at));
     if p_claim is not null then
       update idempotency_keys set status = 'completed', response_body = v_body
       where id = p_claim and status = 'in_progress';
       if not found then
         raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_IN_USE';
       end if;
     end if;
     return jsonb_build_object('body', v_body, 'sold', to_jsonb(coalesce(v_sold, '{}')),
       'scheduleId', r.schedule_id, 'concertId', r.concert_id, 'queueEntryId', r.queue_entry_id)
       || booking_availability(r.schedule_id);
   end $$;`,
];
