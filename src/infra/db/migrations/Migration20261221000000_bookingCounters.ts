import { Migration } from '@mikro-orm/migrations';
import { BOOKING_FUNCTIONS_SQL } from './booking-functions.sql.js';

// Availability without counting (issue 14). Every schedule carries its seat counters and a seat
// version, kept by triggers on schedule_seats in the very transaction that changes a seat, so no
// code path (hold, lazy expiry, sweeper, cancel, payment, refund, a test's raw SQL) can leave them
// disagreeing with the seats at a commit:
// - available_seats = seats with status 'available'; held_seats = seats with status 'held'.
//   Holds past their deadline that nobody has expired yet still count as held here; readers add
//   them back through the partial index on held seats (normally 0 rows: the sweeper runs).
// - seat_version goes up by one per seat row change, under the schedule row lock, so versions are
//   in commit order; each changed seat records the version it got (changed_version), which lets a
//   seat-map cache fetch only the seats changed since the version it has.
// Then the hold and payment functions: one statement each (see booking-functions.sql.ts).
export class Migration20261221000000_bookingCounters extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table schedules
        add column total_seats int not null default 0,
        add column available_seats int not null default 0,
        add column held_seats int not null default 0,
        add column seat_version bigint not null default 0;`);
    this.addSql(`alter table schedule_seats add column changed_version bigint not null default 0;`);
    this.addSql(`
      update schedules s set total_seats = c.total, available_seats = c.available, held_seats = c.held
      from (select schedule_id, count(*) as total,
                   count(*) filter (where status = 'available') as available,
                   count(*) filter (where status = 'held') as held
            from schedule_seats group by schedule_id) c
      where c.schedule_id = s.id;`);
    this.addSql(
      `create index schedule_seats_changes_idx on schedule_seats (schedule_id, changed_version);`,
    );
    // Holds past their deadline not yet swept, per schedule (readers add them to the available).
    this.addSql(
      `create index schedule_seats_held_idx on schedule_seats (schedule_id, held_until) where status = 'held';`,
    );
    // A reservation's seats (payment, cancel, refund, expiry) without scanning the schedule.
    this.addSql(
      `create index schedule_seats_reservation_idx on schedule_seats (reservation_id) where reservation_id is not null;`,
    );
    this.addSql(`
      create function schedule_seat_changed() returns trigger language plpgsql as $$
      begin
        if (new.status, new.held_until, new.reservation_id)
           is not distinct from (old.status, old.held_until, old.reservation_id) then
          return new;
        end if;
        update schedules set
          available_seats = available_seats + (new.status = 'available')::int - (old.status = 'available')::int,
          held_seats = held_seats + (new.status = 'held')::int - (old.status = 'held')::int,
          seat_version = seat_version + 1
        where id = new.schedule_id
        returning seat_version into new.changed_version;
        return new;
      end $$;`);
    this.addSql(`
      create trigger schedule_seat_changed before update on schedule_seats
        for each row execute function schedule_seat_changed();`);
    this.addSql(`
      create function schedule_seats_added() returns trigger language plpgsql as $$
      begin
        update schedules s set
          total_seats = total_seats + a.n, available_seats = available_seats + a.available,
          held_seats = held_seats + a.held
        from (select schedule_id, count(*) as n,
                     count(*) filter (where status = 'available') as available,
                     count(*) filter (where status = 'held') as held
              from added group by schedule_id) a
        where s.id = a.schedule_id;
        return null;
      end $$;`);
    this.addSql(`
      create trigger schedule_seats_added after insert on schedule_seats
        referencing new table as added for each statement execute function schedule_seats_added();`);
    this.addSql(`
      create function schedule_seats_removed() returns trigger language plpgsql as $$
      begin
        update schedules s set
          total_seats = total_seats - a.n, available_seats = available_seats - a.available,
          held_seats = held_seats - a.held, seat_version = seat_version + 1
        from (select schedule_id, count(*) as n,
                     count(*) filter (where status = 'available') as available,
                     count(*) filter (where status = 'held') as held
              from removed group by schedule_id) a
        where s.id = a.schedule_id;
        return null;
      end $$;`);
    this.addSql(`
      create trigger schedule_seats_removed after delete on schedule_seats
        referencing old table as removed for each statement execute function schedule_seats_removed();`);
    for (const statement of BOOKING_FUNCTIONS_SQL) this.addSql(statement);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists booking_pay, booking_hold, booking_expire_hold,
      booking_expire, booking_release, booking_availability, booking_iso cascade;`);
    this.addSql(`drop trigger if exists schedule_seat_changed on schedule_seats;`);
    this.addSql(`drop trigger if exists schedule_seats_added on schedule_seats;`);
    this.addSql(`drop trigger if exists schedule_seats_removed on schedule_seats;`);
    this.addSql(
      `drop function if exists schedule_seat_changed, schedule_seats_added, schedule_seats_removed;`,
    );
    this.addSql(`drop index if exists schedule_seats_changes_idx, schedule_seats_held_idx,
      schedule_seats_reservation_idx;`);
    this.addSql(`alter table schedule_seats drop column changed_version;`);
    this.addSql(`alter table schedules drop column total_seats, drop column available_seats,
      drop column held_seats, drop column seat_version;`);
  }
}
