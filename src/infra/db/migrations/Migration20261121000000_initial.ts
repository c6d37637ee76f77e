import { Migration } from '@mikro-orm/migrations';

// The whole domain of SPEC §2. The guarantees live in the schema itself, so that no code path,
// however buggy, can break them: unique phone, 0 <= balance <= cap, one idempotency key per
// user, and at most one live (held or paid) reservation item per schedule seat.
export class Migration20261121000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table users (
        id serial primary key,
        name varchar(100) not null,
        phone varchar(20) not null,
        password_hash varchar(255) not null,
        created_at timestamptz not null default now(),
        constraint users_phone_unique unique (phone)
      );`);
    this.addSql(`
      create table wallets (
        user_id int primary key references users (id) on delete cascade,
        balance bigint not null default 0,
        updated_at timestamptz not null default now(),
        constraint wallets_balance_range check (balance >= 0 and balance <= 10000000)
      );`);
    this.addSql(`
      create table venues (
        id serial primary key,
        name varchar(200) not null,
        created_at timestamptz not null default now(),
        constraint venues_name_unique unique (name)
      );`);
    this.addSql(`
      create table seats (
        id serial primary key,
        venue_id int not null references venues (id) on delete cascade,
        label varchar(20) not null,
        grade varchar(3) not null,
        constraint seats_grade_valid check (grade in ('VIP', 'R', 'S', 'A')),
        constraint seats_venue_label_unique unique (venue_id, label)
      );`);
    this.addSql(`
      create table concerts (
        id serial primary key,
        title varchar(200) not null,
        artist varchar(200) not null,
        sale_opens_at timestamptz not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table schedules (
        id serial primary key,
        concert_id int not null references concerts (id) on delete cascade,
        venue_id int not null references venues (id),
        starts_at timestamptz not null,
        price_vip int not null check (price_vip >= 0),
        price_r int not null check (price_r >= 0),
        price_s int not null check (price_s >= 0),
        price_a int not null check (price_a >= 0),
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index schedules_concert_idx on schedules (concert_id, starts_at);`);
    // Per-schedule seat inventory: one row per (schedule, seat). Its status is the fast,
    // conditional-update view of availability; reservation_items below is the ledger of who holds it.
    this.addSql(`
      create table schedule_seats (
        id serial primary key,
        schedule_id int not null references schedules (id) on delete cascade,
        seat_id int not null references seats (id),
        status varchar(10) not null default 'available',
        reservation_id int null,
        held_until timestamptz null,
        constraint schedule_seats_status_valid check (status in ('available', 'held', 'sold')),
        constraint schedule_seats_held_has_deadline check (status <> 'held' or held_until is not null),
        constraint schedule_seats_unique unique (schedule_id, seat_id)
      );`);
    this.addSql(`
      create table reservations (
        id serial primary key,
        user_id int not null references users (id),
        concert_id int not null references concerts (id),
        schedule_id int not null references schedules (id),
        status varchar(10) not null,
        amount int not null check (amount >= 0),
        expires_at timestamptz not null,
        paid_at timestamptz null,
        ended_at timestamptz null,
        failed_payment_attempts int not null default 0,
        created_at timestamptz not null default now(),
        constraint reservations_status_valid
          check (status in ('held', 'paid', 'canceled', 'expired', 'refunded'))
      );`);
    this.addSql(`create index reservations_user_idx on reservations (user_id, created_at desc);`);
    this.addSql(
      `create index reservations_held_expiry_idx on reservations (expires_at) where status = 'held';`,
    );
    this.addSql(`
      create table reservation_items (
        id serial primary key,
        reservation_id int not null references reservations (id) on delete cascade,
        schedule_seat_id int not null references schedule_seats (id),
        seat_id int not null references seats (id),
        label varchar(20) not null,
        grade varchar(3) not null,
        price int not null check (price >= 0),
        live boolean not null default true
      );`);
    // The schema-level guarantee against double booking: a schedule seat belongs to at most one
    // live item. "Live" = held and not yet released, or paid; releasing (cancel, expiry, refund)
    // clears the flag in the same transaction that frees the seat.
    this.addSql(`
      create unique index reservation_items_one_live_per_seat
        on reservation_items (schedule_seat_id) where live;`);
    this.addSql(
      `create index reservation_items_reservation_idx on reservation_items (reservation_id);`,
    );
    this.addSql(`
      create table payments (
        id serial primary key,
        reservation_id int not null references reservations (id),
        user_id int not null references users (id),
        amount int not null check (amount >= 0),
        paid_at timestamptz not null default now(),
        refunded_at timestamptz null,
        constraint payments_one_per_reservation unique (reservation_id)
      );`);
    this.addSql(`
      create table point_ledger (
        id bigserial primary key,
        user_id int not null references users (id),
        type varchar(10) not null,
        amount bigint not null,
        balance_after bigint not null,
        reservation_id int null references reservations (id),
        created_at timestamptz not null default now(),
        constraint point_ledger_type_valid check (type in ('charge', 'payment', 'refund')),
        constraint point_ledger_balance_after_range
          check (balance_after >= 0 and balance_after <= 10000000)
      );`);
    this.addSql(`create index point_ledger_user_idx on point_ledger (user_id, id desc);`);
    this.addSql(`
      create table idempotency_keys (
        id bigserial primary key,
        user_id int not null references users (id) on delete cascade,
        key varchar(255) not null,
        request_hash varchar(64) not null,
        status varchar(12) not null default 'in_progress',
        locked_until timestamptz not null,
        response_status int null,
        response_body jsonb null,
        created_at timestamptz not null default now(),
        constraint idempotency_keys_status_valid check (status in ('in_progress', 'completed')),
        constraint idempotency_keys_user_key_unique unique (user_id, key)
      );`);
    this.addSql(`create index idempotency_keys_created_idx on idempotency_keys (created_at);`);
  }

  override async down(): Promise<void> {
    for (const table of [
      'idempotency_keys',
      'point_ledger',
      'payments',
      'reservation_items',
      'reservations',
      'schedule_seats',
      'schedules',
      'concerts',
      'seats',
      'venues',
      'wallets',
      'users',
    ]) {
      this.addSql(`drop table if exists ${table} cascade;`);
    }
  }
}
