import { Migration } from '@mikro-orm/migrations';

// A hold and a payment with an Idempotency-Key in ONE round trip (issue 14): the key's claim
// moves into the statement that does the work, so the claim, the effect and the recorded answer
// are one transaction. New versions of booking_hold and booking_pay take the key and the request's
// hash instead of a claim id already committed; they claim the key, then run the version of
// migration 20261221000000 (kept: it is the path without a key, and what an instance of the
// previous release calls during a rolling deploy), which completes the claim with its answer.
//
// What the one transaction changes about SPEC §3.3:
// - A failed attempt (any refusal raised, a dead connection, a crash) rolls the claim back with
//   the effect: the key is free for a retry, with no release statement to send and none to lose.
//   A refusal that commits something (a lapsed hold expired, a failed payment counted) deletes its
//   own claim before committing.
// - Nobody ever sees our claim before it is completed: a duplicate's INSERT waits on the unique
//   index for our commit (or rollback), then replays the answer (or claims the key itself). We
//   accept that wait in PostgreSQL rather than keeping duplicates off the database with a Redis
//   in-flight marker: the wait lasts one statement with no client round trip inside it (a few
//   ms), a duplicate of a fan's request would wait as long on the fan's wallet row anyway, and
//   the marker would cost every keyed request two more Redis round trips for a case that is rare
//   (duplicate holds are stopped before PostgreSQL anyway: their seat locks carry the key's tag).
//   The wait is bounded: lock_timeout = the caller's waitForFirstMs during the claim only, after
//   which the duplicate gets 409 IDEMPOTENCY_KEY_IN_USE (SQLSTATE 55P03, mapped by the caller).
// - A claim still 'in_progress' in the table was made by the two-statement path (a charge, or the
//   previous release): its hash is compared as before, and it is taken over once its lock lapsed.
export class Migration20261222000000_idempotencyInStatement extends Migration {
  override async up(): Promise<void> {
    // The key's claim, first thing in the transaction: {claim: id} (ours, to complete), or
    // {replay: body} (the first request's answer), or raises IDEMPOTENCY_KEY_REUSED / _IN_USE.
    this.addSql(`
      create function booking_claim(p_user int, p_key text, p_hash text, p_lock_seconds int,
        p_wait_ms int) returns jsonb language plpgsql as $$
      declare v_id bigint; k record; v_lock_timeout text := current_setting('lock_timeout');
      begin
        perform set_config('lock_timeout', greatest(p_wait_ms, 1) || 'ms', true);
        -- A row deleted between our INSERT and our read (a charge's failed attempt released it):
        -- claim again; twice is plenty, a third miss is someone racing us on purpose.
        for attempt in 1..3 loop
          insert into idempotency_keys (user_id, key, request_hash, status, locked_until)
          values (p_user, p_key, p_hash, 'in_progress', now() + make_interval(secs => p_lock_seconds))
          on conflict (user_id, key) do nothing returning id into v_id;
          if v_id is null then
            select id, request_hash, status, locked_until, response_body into k
            from idempotency_keys where user_id = p_user and key = p_key;
            if found then
              if k.request_hash <> p_hash then
                raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_REUSED';
              end if;
              if k.status = 'completed' then
                perform set_config('lock_timeout', v_lock_timeout, true);
                return jsonb_build_object('replay', k.response_body);
              end if;
              -- A two-statement claim whose holder died (its lock lapsed): take it over.
              update idempotency_keys set locked_until = now() + make_interval(secs => p_lock_seconds)
              where id = k.id and status = 'in_progress' and locked_until < clock_timestamp()
              returning id into v_id;
              if v_id is null and k.locked_until >= clock_timestamp() then
                raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_IN_USE';
              end if;
            end if;
          end if;
          if v_id is not null then
            perform set_config('lock_timeout', v_lock_timeout, true);
            return jsonb_build_object('claim', v_id);
          end if;
        end loop;
        raise exception using errcode = 'LU001', message = 'IDEMPOTENCY_KEY_IN_USE';
      end $$;`);

    this.addSql(`
      create function booking_hold(p_user int, p_concert int, p_schedule int, p_seats int[],
        p_max int, p_hold_seconds int, p_entry int, p_now timestamptz,
        p_key text, p_hash text, p_lock_seconds int, p_wait_ms int)
      returns jsonb language plpgsql as $$
      declare v_claim jsonb := booking_claim(p_user, p_key, p_hash, p_lock_seconds, p_wait_ms);
      begin
        if v_claim ? 'replay' then return v_claim; end if;
        return booking_hold(p_user, p_concert, p_schedule, p_seats, p_max, p_hold_seconds, p_entry,
          p_now, (v_claim->>'claim')::bigint);
      end $$;`);

    this.addSql(`
      create function booking_pay(p_user int, p_reservation int, p_max_failures int,
        p_key text, p_hash text, p_lock_seconds int, p_wait_ms int)
      returns jsonb language plpgsql as $$
      declare
        v_claim jsonb := booking_claim(p_user, p_key, p_hash, p_lock_seconds, p_wait_ms);
        v jsonb;
      begin
        if v_claim ? 'replay' then return v_claim; end if;
        v := booking_pay(p_user, p_reservation, p_max_failures, (v_claim->>'claim')::bigint);
        -- A refusal that commits (HOLD_EXPIRED, INSUFFICIENT_POINTS) leaves the key free.
        if v ? 'error' then delete from idempotency_keys where id = (v_claim->>'claim')::bigint; end if;
        return v;
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists
      booking_pay(int, int, int, text, text, int, int),
      booking_hold(int, int, int, int[], int, int, int, timestamptz, text, text, int, int),
      booking_claim(int, text, text, int, int);`);
  }
}
