// The keyed hold and payment of migration 20261228000000: the Idempotency-Key's record written
// ONCE per request (issue 14), instead of claimed ('in_progress', an INSERT first thing in the
// transaction) and completed (an UPDATE with the answer, last): two heap writes and their index
// entries on idempotency_keys per keyed hold or payment, ~0.7 ms of PostgreSQL CPU per paid
// reservation. The SDK sends a key with every hold and payment, so that was every request.
//
// The whole request is one transaction (one statement), so the claim row protected nothing that
// the transaction does not: no one ever saw it before it was completed, and a holder that dies
// rolls it back with its effect. What it did do was make a concurrent duplicate wait for the first
// (on the key's unique index entry) before trying anything, then replay its answer. That waiting
// is now a transaction-scoped advisory lock on (user, hash of the key), which writes nothing: a
// duplicate waits on it (at most waitForFirstMs: lock_timeout, then 55P03 -> 409
// IDEMPOTENCY_KEY_IN_USE), then reads the key's row like the first request did — completed: the
// first's answer (replay) or 422 IDEMPOTENCY_KEY_REUSED (another request hash); absent: the first
// failed and rolled back, so this one runs. The row is written once, 'completed' with the answer,
// in the statement that applies the effect (its last, with the seats and the schedule's counters).
// The unique index on (user_id, key) stays the final word: an INSERT that finds a row committed
// meanwhile (a request of the previous release, which does not take the advisory lock) fails with
// 23505 on idempotency_keys_user_key_unique and rolls the whole effect back (-> 409 IN_USE).
//
// A refusal leaves no row (nothing to delete: a payment short of points or of a lapsed hold
// commits its own change without one). A row still 'in_progress' was left by the two-statement
// path (IdempotencyService.run: charges; or a release before migration 20261222000000): another
// request hash -> 422 as always; the same one -> 409 while its lock lives, else taken over by
// completing that row (an UPDATE in place of the INSERT; 0 rows: someone took it over first ->
// IN_USE, rolled back). booking_claim and the keyed overloads of migration 20261222000000 stay,
// unchanged: the previous release calls them during a rolling deploy. The two releases agree on
// the row: both replay a completed one and neither applies an effect twice (the unique index);
// a duplicate running on each at once may deadlock (the old one holds the key's index entry and
// waits for the fan's wallet row; the new one holds the wallet and reaches the index last):
// PostgreSQL aborts one of the two, and the client's retry replays the other's answer.

/** The new functions, which get BOOKING_GENERIC_SETTINGS like the others. */
export const BOOKING_KEYED_FUNCTIONS = [
  'booking_key(int, text, text, int)',
  'booking_hold(int, int, int, int[], int, int, int, timestamptz, text, text, int)',
  'booking_pay(int, int, int, text, text, int)',
];

// The key's step, first thing in the transaction: null (no row: run, and insert it at the end),
// {replay: body}, {take: id} (a lapsed 'in_progress' row to complete), or raises REUSED / IN_USE.
// The advisory lock is tried first without waiting (the usual case: no duplicate), so that only a
// duplicate pays for setting and restoring lock_timeout around its wait.
const KEY = `create function booking_key(p_user int, p_key text, p_hash text, p_wait_ms int)
   returns jsonb language plpgsql as $$
   declare k record; v_lock_timeout text;
   begin
     if not pg_try_advisory_xact_lock(p_user, hashtext(p_key)) then
       v_lock_timeout := current_setting('lock_timeout');
       perform set_config('lock_timeout', greatest(p_wait_ms, 1) || 'ms', true);
       perform pg_advisory_xact_lock(p_user, hashtext(p_key));
       perform set_config('lock_timeout', v_lock_timeout, true);
     end if;
     -- A statement of its own, so a snapshot taken after the wait: it sees the first's commit.
     select id, request_hash, status, locked_until, response_body into k
     from idempotency_keys where user_id = p_user and key = p_key;
     if not found then return null; end if;
     if k.request_hash <> p_hash then
       raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_REUSED';
     end if;
     if k.status = 'completed' then return jsonb_build_object('replay', k.response_body); end if;
     if k.locked_until >= clock_timestamp() then
       raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_IN_USE';
     end if;
     return jsonb_build_object('take', k.id);
   end $$;`;

// The hold and the payment: the versions of migration 20261226000000 (booking-generic.sql.ts;
// the hold with migration 20261227000000's lapsed-hold lookup by seat, booking-lapsed-lookup.sql.ts),
// with the key's step first and its record written in their last statement.
const HOLD = `create function booking_hold(p_user int, p_concert int, p_schedule int,
     p_seats int[], p_max int, p_hold_seconds int, p_entry int, p_now timestamptz,
     p_key text, p_hash text, p_wait_ms int)
   returns jsonb language plpgsql as $$
   declare
     s record; l record; r record; w record; v_key jsonb := booking_key(p_user, p_key, p_hash, p_wait_ms);
     v_n int := cardinality(p_seats); v_owned int; v_missing int[]; v_freed jsonb := '[]'; v_body jsonb;
   begin
     if v_key ? 'replay' then return v_key; end if;
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
         select o.seat_id from schedule_seats o where o.reservation_id = any(array(
           select h.reservation_id from schedule_seats h
           where h.schedule_id = p_schedule and h.seat_id = any(p_seats) and h.status = 'held'
             and h.held_until <= now()))))
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
     -- raise and roll back), the key's record written with its answer, and the availability.
     with v as (update schedules set seat_version = seat_version + v_n,
                  available_seats = available_seats - v_n, held_seats = held_seats + v_n
                where id = p_schedule returning seat_version, available_seats),
     t as (update schedule_seats set status = 'held', reservation_id = r.id, held_until = r.expires_at,
             changed_version = (select seat_version from v)
           where schedule_id = p_schedule and seat_id = any(p_seats) and status = 'available'
           returning seat_id),
     c as (insert into idempotency_keys (user_id, key, request_hash, status, locked_until, response_body)
           select p_user, p_key, p_hash, 'completed', now(), v_body where v_key is null returning id),
     o as (update idempotency_keys set status = 'completed', response_body = v_body
           where id = (v_key->>'take')::bigint and status = 'in_progress'
             and locked_until < clock_timestamp() returning id)
     select (select array_agg(seat_id) from t) as held,
            (select count(*) from c) + (select count(*) from o) as claimed,
            v.seat_version, v.available_seats + (select count(*) from schedule_seats ss
              where ss.schedule_id = p_schedule and ss.status = 'held' and ss.held_until <= now()) as available
     into w from v;
     if coalesce(cardinality(w.held), 0) < v_n then
       raise exception using errcode = 'LU001', message = 'SEAT_UNAVAILABLE',
         detail = jsonb_build_object('seatIds', (select array_agg(x order by x) from unnest(p_seats) x
                                                  where x <> all(coalesce(w.held, '{}'))))::text;
     end if;
     -- The lapsed claim we took over was taken over by another request first: its effect stands.
     if w.claimed = 0 then
       raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_IN_USE';
     end if;
     return jsonb_build_object('body', v_body, 'freed', v_freed, 'version', w.seat_version,
       'availableSeats', w.available);
   end $$;`;

const PAY = `create function booking_pay(p_user int, p_reservation int, p_max_failures int,
     p_key text, p_hash text, p_wait_ms int)
   returns jsonb language plpgsql as $$
   declare
     r record; c record; p record; w record; v_balance bigint; v_fail int; v_freed int[]; v_body jsonb;
     v_key jsonb := booking_key(p_user, p_key, p_hash, p_wait_ms);
   begin
     if v_key ? 'replay' then return v_key; end if;
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
     -- from the seats locked above (their status cannot have moved since), the key's record
     -- written with its answer, and the availability as of this write.
     with v as (update schedules set seat_version = seat_version + c.n,
                  available_seats = available_seats - c.available, held_seats = held_seats - c.held
                where id = r.schedule_id returning seat_version, available_seats),
     t as (update schedule_seats set status = 'sold', held_until = null,
             changed_version = (select seat_version from v)
           where reservation_id = p_reservation returning seat_id),
     k as (insert into idempotency_keys (user_id, key, request_hash, status, locked_until, response_body)
           select p_user, p_key, p_hash, 'completed', now(), v_body where v_key is null returning id),
     o as (update idempotency_keys set status = 'completed', response_body = v_body
           where id = (v_key->>'take')::bigint and status = 'in_progress'
             and locked_until < clock_timestamp() returning id)
     select (select array_agg(seat_id order by seat_id) from t) as sold,
            (select count(*) from k) + (select count(*) from o) as claimed, v.seat_version,
            v.available_seats + (select count(*) from schedule_seats ss
              where ss.schedule_id = r.schedule_id and ss.status = 'held' and ss.held_until <= now()) as available
     into w from v;
     if w.claimed = 0 then
       raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_IN_USE';
     end if;
     return jsonb_build_object('body', v_body, 'sold', to_jsonb(coalesce(w.sold, '{}')),
       'scheduleId', r.schedule_id, 'concertId', r.concert_id, 'queueEntryId', r.queue_entry_id,
       'version', w.seat_version, 'availableSeats', w.available);
   end $$;`;

export const BOOKING_KEYED_SQL = [KEY, HOLD, PAY];
