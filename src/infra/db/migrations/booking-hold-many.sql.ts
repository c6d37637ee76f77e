import { BOOKING_KEYED_SQL } from './booking-keyed.sql.js';
import { BOOKING_LAPSED_LOOKUP_SQL } from './booking-lapsed-lookup.sql.js';

// Holds of one schedule committed together (migration 20261229000000, issue 14). Every hold
// writes its schedule's counter row last, and that row stays locked until commit: in a seat storm
// the ~100 winners of one schedule committed one after another on it, each waiting for all the
// earlier ones (2.5-4 ms apiece on a busy machine), and were the slowest 1% of the storm.
// booking_hold_many runs several holds of ONE schedule in one transaction and writes the row once
// for all of them: an instance sends the holds that queued behind one in flight (hold-lanes.logic.ts).
//
// The hold's body is booking_hold_apply, shared by the two booking_hold overloads the app calls
// (their signatures and answers unchanged: the previous release calls them during a rolling
// deploy) and by the batch. Alone (p_batch false) it ends as before: the schedule's row, the seats'
// conditional write, the key's record and the availability in one last statement. In a batch it
// does everything up to the seats' conditional write and leaves the schedule's row to the batch.
//
// Each element runs in its own subtransaction (a `begin ... exception` block), so a refusal rolls
// back that element only and comes back as {error: {code, message, detail, constraint}}, what the
// single call would have raised. The lock order is the single hold's: key, wallet, seats (one
// sorted pass per element), the schedule's row last, once. Then each successful element's seats
// get their version: base + the seats of the successful elements up to it, as if they had
// committed one by one, so the seat map's `changed_version > since` reads and the seats:changed
// events (increasing versions) stay right, and each answer carries its availability as of it.
//
// An element never waits for an Idempotency-Key inside a batch (every element after it would
// wait too): a key held by another transaction is refused with LU002, and the app runs that hold
// again alone, where booking_key waits as usual; so is an element that was the victim of a
// deadlock (40P01). At most 32 elements per batch (the app's cap): each successful element keeps
// a subtransaction id until commit, and past 64 of them PostgreSQL's snapshots overflow their
// subtransaction cache and every backend's visibility checks get slower.

/** The new functions, which get BOOKING_GENERIC_SETTINGS like the others. */
export const BOOKING_HOLD_MANY_FUNCTIONS = [
  'booking_hold_apply(int, int, int, int[], int, int, int, timestamptz, text, text, int, bigint, boolean)',
  'booking_hold_many(jsonb)',
];

/** The overloads rewritten on booking_hold_apply (create or replace drops their settings). */
export const BOOKING_HOLD_SINGLE_FUNCTIONS = [
  'booking_hold(int, int, int, int[], int, int, int, timestamptz, bigint)',
  'booking_hold(int, int, int, int[], int, int, int, timestamptz, text, text, int)',
];

// p_key: an Idempotency-Key (booking_key's step first), or p_claim: the claim of the
// two-statement path (migration 20261222000000's unkeyed overload, completed here), or neither.
const APPLY = `create function booking_hold_apply(p_user int, p_concert int, p_schedule int,
     p_seats int[], p_max int, p_hold_seconds int, p_entry int, p_now timestamptz,
     p_key text, p_hash text, p_wait_ms int, p_claim bigint, p_batch boolean)
   returns jsonb language plpgsql as $$
   declare
     s record; l record; r record; w record; v_key jsonb;
     v_n int := cardinality(p_seats); v_owned int; v_missing int[]; v_freed jsonb := '[]'; v_body jsonb;
   begin
     if p_key is not null then
       if p_batch and not pg_try_advisory_xact_lock(p_user, hashtext(p_key)) then
         raise exception using errcode = 'LU002', message = 'BOOKING_KEY_BUSY';
       end if;
       v_key := booking_key(p_user, p_key, p_hash, p_wait_ms);
       if v_key ? 'replay' then return v_key; end if;
     end if;
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
     -- raise and roll back), the key's record written with its answer (or the claim completed),
     -- and the availability. In a batch the schedule's row is not written here (the one-time
     -- filter on p_batch: not even locked) and the seats' version is set by booking_hold_many;
     -- until then it is -1, never committed, and a changed changed_version is what tells the
     -- counting trigger (migration 20261223000000) that the statement counted itself.
     with v as (update schedules set seat_version = seat_version + v_n,
                  available_seats = available_seats - v_n, held_seats = held_seats + v_n
                where id = p_schedule and not p_batch returning seat_version, available_seats),
     t as (update schedule_seats set status = 'held', reservation_id = r.id, held_until = r.expires_at,
             changed_version = coalesce((select seat_version from v), -1)
           where schedule_id = p_schedule and seat_id = any(p_seats) and status = 'available'
           returning seat_id),
     c as (insert into idempotency_keys (user_id, key, request_hash, status, locked_until, response_body)
           select p_user, p_key, p_hash, 'completed', now(), v_body
           where p_key is not null and v_key is null returning id),
     o as (update idempotency_keys set status = 'completed', response_body = v_body
           where id = coalesce((v_key->>'take')::bigint, p_claim) and status = 'in_progress'
             and (p_claim is not null or locked_until < clock_timestamp()) returning id)
     select (select array_agg(seat_id) from t) as held,
            (select count(*) from c) + (select count(*) from o) as claimed, v.seat_version,
            case when not p_batch then v.available_seats + (select count(*) from schedule_seats ss
              where ss.schedule_id = p_schedule and ss.status = 'held' and ss.held_until <= now())
            end as available
     into w from (select) one left join v on true;
     if coalesce(cardinality(w.held), 0) < v_n then
       raise exception using errcode = 'LU001', message = 'SEAT_UNAVAILABLE',
         detail = jsonb_build_object('seatIds', (select array_agg(x order by x) from unnest(p_seats) x
                                                  where x <> all(coalesce(w.held, '{}'))))::text;
     end if;
     -- The lapsed key (or claim) we took over was taken over by another request first: its effect stands.
     if (p_key is not null or p_claim is not null) and w.claimed = 0 then
       raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_IN_USE';
     end if;
     return jsonb_build_object('body', v_body, 'freed', v_freed, 'version', w.seat_version,
       'availableSeats', w.available);
   end $$;`;

const HOLD = `create or replace function booking_hold(p_user int, p_concert int, p_schedule int,
     p_seats int[], p_max int, p_hold_seconds int, p_entry int, p_now timestamptz, p_claim bigint)
   returns jsonb language plpgsql as $$
   begin
     return booking_hold_apply(p_user, p_concert, p_schedule, p_seats, p_max, p_hold_seconds,
       p_entry, p_now, null, null, null, p_claim, false);
   end $$;`;

const HOLD_KEYED = `create or replace function booking_hold(p_user int, p_concert int, p_schedule int,
     p_seats int[], p_max int, p_hold_seconds int, p_entry int, p_now timestamptz,
     p_key text, p_hash text, p_wait_ms int)
   returns jsonb language plpgsql as $$
   begin
     return booking_hold_apply(p_user, p_concert, p_schedule, p_seats, p_max, p_hold_seconds,
       p_entry, p_now, p_key, p_hash, p_wait_ms, null, false);
   end $$;`;

// Element: {userId, concertId, scheduleId, seatIds, maxSeats, holdSeconds, queueEntryId, now,
// key, hash, waitMs}; answer: one per element, in order.
const MANY = `create function booking_hold_many(p_holds jsonb) returns jsonb language plpgsql as $$
   declare
     h jsonb; i int := 0; v_out jsonb[] := '{}'; v_res jsonb; v_seats int[];
     v_schedule int := (p_holds->0->>'scheduleId')::int; v_total int := 0;
     v_done int[] := '{}'; v_cums int[] := '{}'; v_seat_ids int[] := '{}'; v_seat_cums int[] := '{}';
     v_code text; v_message text; v_detail text; v_constraint text;
     v_version bigint; v_available int; v_lapsed int;
   begin
     for h in select value from jsonb_array_elements(p_holds) loop
       i := i + 1;
       begin
         if (h->>'scheduleId')::int is distinct from v_schedule then
           raise exception using errcode = '22023', message = 'booking_hold_many: one schedule per batch';
         end if;
         v_seats := array(select jsonb_array_elements_text(h->'seatIds')::int);
         v_res := booking_hold_apply((h->>'userId')::int, (h->>'concertId')::int, v_schedule,
           v_seats, (h->>'maxSeats')::int, (h->>'holdSeconds')::int, (h->>'queueEntryId')::int,
           (h->>'now')::timestamptz, h->>'key', h->>'hash', (h->>'waitMs')::int, null, true);
         if not v_res ? 'replay' then
           v_total := v_total + cardinality(v_seats);
           v_done := v_done || i;
           v_cums := v_cums || v_total;
           v_seat_ids := v_seat_ids || v_seats;
           v_seat_cums := v_seat_cums || array_fill(v_total, array[cardinality(v_seats)]);
         end if;
       exception when others then
         get stacked diagnostics v_code = returned_sqlstate, v_message = message_text,
           v_detail = pg_exception_detail, v_constraint = constraint_name;
         v_res := jsonb_build_object('error', jsonb_build_object('code', v_code,
           'message', v_message, 'detail', nullif(v_detail, ''), 'constraint', nullif(v_constraint, '')));
       end;
       v_out := v_out || v_res;
     end loop;
     if v_total = 0 then return to_jsonb(v_out); end if;
     -- Last, once: the schedule's row, for every seat the successful elements took.
     update schedules set seat_version = seat_version + v_total,
       available_seats = available_seats - v_total, held_seats = held_seats + v_total
     where id = v_schedule returning seat_version - v_total, available_seats + v_total
     into v_version, v_available;
     update schedule_seats ss set changed_version = v_version + x.cum
     from unnest(v_seat_ids, v_seat_cums) x(seat_id, cum)
     where ss.schedule_id = v_schedule and ss.seat_id = x.seat_id;
     select count(*) into v_lapsed from schedule_seats ss
     where ss.schedule_id = v_schedule and ss.status = 'held' and ss.held_until <= now();
     for i in 1 .. cardinality(v_done) loop
       v_out[v_done[i]] := v_out[v_done[i]] || jsonb_build_object('version', v_version + v_cums[i],
         'availableSeats', v_available - v_cums[i] + v_lapsed);
     end loop;
     return to_jsonb(v_out);
   end $$;`;

export const BOOKING_HOLD_MANY_SQL = [APPLY, HOLD, HOLD_KEYED, MANY];

/** What down() puts back: the overloads' bodies of migrations 20261227000000 and 20261228000000. */
export const BOOKING_HOLD_SINGLE_BEFORE = [
  BOOKING_LAPSED_LOOKUP_SQL,
  BOOKING_KEYED_SQL.find((s) => s.includes('function booking_hold('))!.replace(
    'create function',
    'create or replace function',
  ),
];
