import type { EntityManager } from '@mikro-orm/postgresql';
import type { Grade } from '../catalogue/catalogue.entities.js';
import type { ReservationStatus } from './booking.entities.js';
import type { ScheduleFacts } from './schedule-facts.js';

// All booking SQL. Every transaction takes row locks in one order — the fan's wallet, then
// schedule seats in seat order, then the reservation — so concurrent holds, payments, refunds,
// cancels and the expiry sweeper never deadlock. The conditional UPDATEs are the final word on
// who holds a seat; the partial unique index on live reservation items backs them up.

export interface ScheduleRow {
  id: number;
  concertId: number;
  startsAt: Date;
  saleOpensAt: Date;
  prices: Record<Grade, number>;
}

export interface SeatRow {
  seatId: number;
  scheduleSeatId: number;
  label: string;
  grade: Grade;
  status: 'available' | 'held' | 'sold';
}

export interface ReservationRow {
  id: number;
  userId: number;
  concertId: number;
  scheduleId: number;
  status: ReservationStatus;
  amount: number;
  expiresAt: Date;
  paidAt: Date | null;
  createdAt: Date;
  failedPaymentAttempts: number;
  /** The queue entry (token `eid`) the hold was made under; null for holds older than the column. */
  queueEntryId: number | null;
  /** Still `held` in the table but past its deadline (by the database clock). */
  holdExpired: boolean;
  seats: { id: number; label: string; grade: Grade; price: number }[];
}

const date = (v: unknown) => new Date(v as string);
/** Knex would spread a JS array into a value list; bind it as one PostgreSQL array literal instead. */
export const intArray = (ids: number[]) => `{${ids.map((n) => Math.trunc(n)).join(',')}}`;
const RESERVATION_COLUMNS = `r.id, r.user_id as "userId", r.concert_id as "concertId", r.schedule_id as "scheduleId",
  r.status, r.amount, r.expires_at as "expiresAt", r.paid_at as "paidAt", r.created_at as "createdAt",
  r.failed_payment_attempts as "failedPaymentAttempts", r.queue_entry_id as "queueEntryId",
  (r.status = 'held' and r.expires_at <= now()) as "holdExpired"`;

export class BookingRepository {
  async schedule(em: EntityManager, scheduleId: number): Promise<ScheduleRow | null> {
    const rows = await em.execute<Record<string, unknown>[]>(
      `select s.id, s.concert_id as "concertId", s.starts_at as "startsAt", c.sale_opens_at as "saleOpensAt",
              s.price_vip, s.price_r, s.price_s, s.price_a
       from schedules s join concerts c on c.id = s.concert_id where s.id = ?`,
      [scheduleId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id as number,
      concertId: r.concertId as number,
      startsAt: date(r.startsAt),
      saleOpensAt: date(r.saleOpensAt),
      prices: {
        VIP: r.price_vip as number,
        R: r.price_r as number,
        S: r.price_s as number,
        A: r.price_a as number,
      },
    };
  }

  /** What never changes about a schedule (ms since the epoch), or null if there is no such schedule. */
  async scheduleFacts(em: EntityManager, scheduleId: number): Promise<ScheduleFacts | null> {
    const schedule = await this.schedule(em, scheduleId);
    if (!schedule) return null;
    return {
      concertId: schedule.concertId,
      startsAt: schedule.startsAt.getTime(),
      saleOpensAt: schedule.saleOpensAt.getTime(),
    };
  }

  /** Seats of a schedule with their status as of now: a hold past its deadline reads as available. */
  async seats(em: EntityManager, scheduleId: number, seatIds?: number[]): Promise<SeatRow[]> {
    return em.execute<SeatRow[]>(
      `select st.id as "seatId", ss.id as "scheduleSeatId", st.label, st.grade,
              case when ss.status = 'held' and ss.held_until <= now() then 'available' else ss.status end as status
       from schedule_seats ss join seats st on st.id = ss.seat_id
       where ss.schedule_id = ? ${seatIds ? 'and ss.seat_id = any(?::int[])' : ''}
       order by st.id`,
      seatIds ? [scheduleId, intArray(seatIds)] : [scheduleId],
    );
  }

  /** Serialises one fan's booking writes (the seat limit and the balance are per fan). */
  async lockFan(tx: EntityManager, userId: number): Promise<boolean> {
    const rows = await tx.execute(`select 1 from wallets where user_id = ? for update`, [userId]);
    return rows.length > 0;
  }

  /** Seats this fan holds (unexpired) or bought on a schedule. */
  async seatsOwned(tx: EntityManager, userId: number, scheduleId: number): Promise<number> {
    const [row] = await tx.execute<{ n: string }[]>(
      `select count(*) as n from reservation_items ri join reservations r on r.id = ri.reservation_id
       where r.user_id = ? and r.schedule_id = ? and ri.live
         and (r.status = 'paid' or (r.status = 'held' and r.expires_at > now()))`,
      [userId, scheduleId],
    );
    return Number(row!.n);
  }

  /**
   * Locks, in seat order, the requested seats together with every seat of the expired holds on
   * them (lazy expiry frees those too, so they must be locked in the same sorted pass: locking
   * them later, out of order, deadlocks against the sweeper and payments).
   */
  async lockSeats(
    tx: EntityManager,
    scheduleId: number,
    seatIds: number[],
  ): Promise<
    { seatId: number; reservationId: number | null; expired: boolean; requested: boolean }[]
  > {
    const ids = intArray(seatIds);
    return tx.execute(
      `select seat_id as "seatId", reservation_id as "reservationId",
              (status = 'held' and held_until <= now()) as expired, (seat_id = any(?::int[])) as requested
       from schedule_seats
       where schedule_id = ? and (seat_id = any(?::int[]) or reservation_id in (
         select reservation_id from schedule_seats
         where schedule_id = ? and seat_id = any(?::int[]) and status = 'held' and held_until <= now()))
       order by seat_id for update`,
      [ids, scheduleId, ids, scheduleId, ids],
    );
  }

  async lockSeatsOf(tx: EntityManager, reservationId: number): Promise<void> {
    await tx.execute(
      `select 1 from schedule_seats where reservation_id = ? order by seat_id for update`,
      [reservationId],
    );
  }

  /**
   * Ends holds whose deadline passed (lazy expiry): the reservation becomes `expired`, its items
   * stop being live and its seats become available. Seats must already be locked.
   */
  async expireHolds(
    tx: EntityManager,
    reservationIds: number[],
  ): Promise<{ reservationId: number; scheduleId: number; seatIds: number[] }[]> {
    if (reservationIds.length === 0) return [];
    const expired = await tx.execute<{ id: number; scheduleId: number }[]>(
      `update reservations set status = 'expired', ended_at = now()
       where id = any(?::int[]) and status = 'held' and expires_at <= now() returning id, schedule_id as "scheduleId"`,
      [intArray(reservationIds)],
    );
    return Promise.all(
      expired.map(async (r) => ({
        reservationId: r.id,
        scheduleId: r.scheduleId,
        seatIds: await this.release(tx, r.id),
      })),
    );
  }

  /** Frees a reservation's seats and retires its items; returns the freed seat ids. */
  async release(tx: EntityManager, reservationId: number): Promise<number[]> {
    await tx.execute(
      `update reservation_items set live = false where reservation_id = ? and live`,
      [reservationId],
    );
    const rows = await tx.execute<{ seatId: number }[]>(
      `update schedule_seats set status = 'available', reservation_id = null, held_until = null
       where reservation_id = ? returning seat_id as "seatId"`,
      [reservationId],
    );
    return rows.map((r) => r.seatId).sort((a, b) => a - b);
  }

  async insertReservation(
    tx: EntityManager,
    r: {
      userId: number;
      concertId: number;
      scheduleId: number;
      amount: number;
      holdSeconds: number;
      queueEntryId: number;
    },
  ): Promise<number> {
    const [row] = await tx.execute<{ id: number }[]>(
      `insert into reservations (user_id, concert_id, schedule_id, status, amount, expires_at, queue_entry_id)
       values (?, ?, ?, 'held', ?, now() + make_interval(secs => ?), ?) returning id`,
      [r.userId, r.concertId, r.scheduleId, r.amount, r.holdSeconds, r.queueEntryId],
    );
    return row!.id;
  }

  /** The conditional write: takes only seats that are available right now. Returns those taken. */
  async takeSeats(
    tx: EntityManager,
    scheduleId: number,
    seatIds: number[],
    reservationId: number,
  ): Promise<number[]> {
    const rows = await tx.execute<{ seatId: number }[]>(
      `update schedule_seats ss set status = 'held', reservation_id = ?, held_until = r.expires_at
       from reservations r
       where r.id = ? and ss.schedule_id = ? and ss.seat_id = any(?::int[]) and ss.status = 'available'
       returning ss.seat_id as "seatId"`,
      [reservationId, reservationId, scheduleId, intArray(seatIds)],
    );
    return rows.map((r) => r.seatId);
  }

  async insertItems(
    tx: EntityManager,
    reservationId: number,
    scheduleId: number,
    seatIds: number[],
    prices: Record<Grade, number>,
  ): Promise<void> {
    await tx.execute(
      `insert into reservation_items (reservation_id, schedule_seat_id, seat_id, label, grade, price, live)
       select ?, ss.id, st.id, st.label, st.grade,
              case st.grade when 'VIP' then ? when 'R' then ? when 'S' then ? else ? end, true
       from schedule_seats ss join seats st on st.id = ss.seat_id
       where ss.schedule_id = ? and ss.seat_id = any(?::int[]) order by st.id`,
      [reservationId, prices.VIP, prices.R, prices.S, prices.A, scheduleId, intArray(seatIds)],
    );
  }

  async find(
    em: EntityManager,
    id: number,
    opts: { forUpdate?: boolean } = {},
  ): Promise<ReservationRow | null> {
    const rows = await em.execute<ReservationRow[]>(
      `select ${RESERVATION_COLUMNS} from reservations r where r.id = ? ${opts.forUpdate ? 'for update' : ''}`,
      [id],
    );
    const row = rows[0];
    return row ? (await this.withSeats(em, [row]))[0]! : null;
  }

  async listByUser(em: EntityManager, userId: number): Promise<ReservationRow[]> {
    const rows = await em.execute<ReservationRow[]>(
      `select ${RESERVATION_COLUMNS} from reservations r where r.user_id = ? order by r.created_at desc, r.id desc limit 200`,
      [userId],
    );
    return this.withSeats(em, rows);
  }

  async setStatus(tx: EntityManager, id: number, status: ReservationStatus): Promise<void> {
    const ended = status === 'held' || status === 'paid' ? 'ended_at' : 'now()';
    await tx.execute(`update reservations set status = ?, ended_at = ${ended} where id = ?`, [
      status,
      id,
    ]);
  }

  async markPaid(
    tx: EntityManager,
    id: number,
    userId: number,
    amount: number,
  ): Promise<{ paymentId: number; paidAt: Date }> {
    await tx.execute(`update reservations set status = 'paid', paid_at = now() where id = ?`, [id]);
    await tx.execute(
      `update schedule_seats set status = 'sold', held_until = null where reservation_id = ?`,
      [id],
    );
    const [p] = await tx.execute<{ id: number; paidAt: string }[]>(
      `insert into payments (reservation_id, user_id, amount) values (?, ?, ?) returning id, paid_at as "paidAt"`,
      [id, userId, amount],
    );
    return { paymentId: p!.id, paidAt: date(p!.paidAt) };
  }

  async markRefunded(tx: EntityManager, id: number): Promise<number[]> {
    await tx.execute(`update reservations set status = 'refunded', ended_at = now() where id = ?`, [
      id,
    ]);
    await tx.execute(`update payments set refunded_at = now() where reservation_id = ?`, [id]);
    return this.release(tx, id);
  }

  /** Counts a failed payment; returns the number of failures so far. */
  async countFailedPayment(tx: EntityManager, id: number): Promise<number> {
    const [row] = await tx.execute<{ n: number }[]>(
      `update reservations set failed_payment_attempts = failed_payment_attempts + 1 where id = ? returning failed_payment_attempts as n`,
      [id],
    );
    return row?.n ?? 0;
  }

  /** Holds past their deadline that nobody has expired yet (for the sweeper). */
  async dueHolds(em: EntityManager, limit: number): Promise<{ id: number; userId: number }[]> {
    return em.execute(
      `select id, user_id as "userId" from reservations where status = 'held' and expires_at <= now() order by expires_at limit ?`,
      [limit],
    );
  }

  private async withSeats(em: EntityManager, rows: ReservationRow[]): Promise<ReservationRow[]> {
    if (rows.length === 0) return [];
    const items = await em.execute<
      { reservationId: number; id: number; label: string; grade: Grade; price: number }[]
    >(
      `select reservation_id as "reservationId", seat_id as id, label, grade, price
       from reservation_items where reservation_id = any(?::int[]) order by seat_id`,
      [intArray(rows.map((r) => r.id))],
    );
    return rows.map((r) => ({
      ...r,
      expiresAt: date(r.expiresAt),
      paidAt: r.paidAt ? date(r.paidAt) : null,
      createdAt: date(r.createdAt),
      seats: items
        .filter((i) => i.reservationId === r.id)
        .map(({ id, label, grade, price }) => ({ id, label, grade, price })),
    }));
  }
}
