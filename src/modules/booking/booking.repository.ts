import type { EntityManager } from '@mikro-orm/postgresql';
import type { Grade } from '../catalogue/catalogue.entities.js';
import type { ReservationStatus } from '@lineup/client-sdk/contract';
import type { ScheduleFacts } from './schedule-facts.cache.js';
import type { Availability, Expired } from './booking.statements.js';

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

  /** Serialises one fan's booking writes (the seat limit and the balance are per fan). */
  async lockFan(tx: EntityManager, userId: number): Promise<boolean> {
    const rows = await tx.execute(`select 1 from wallets where user_id = ? for update`, [userId]);
    return rows.length > 0;
  }

  async lockSeatsOf(tx: EntityManager, reservationId: number): Promise<void> {
    await tx.execute(
      `select 1 from schedule_seats where reservation_id = ? order by seat_id for update`,
      [reservationId],
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

  /** Frees a reservation's seats and retires its items; returns the freed seat ids. */
  async release(tx: EntityManager, reservationId: number): Promise<number[]> {
    const [row] = await tx.execute<{ ids: number[] }[]>(`select booking_release(?) as ids`, [
      reservationId,
    ]);
    return row!.ids;
  }

  /** Ends a hold if its deadline passed (its seats must be locked): lazy expiry. */
  async expireLocked(tx: EntityManager, reservationId: number): Promise<Expired[]> {
    const [row] = await tx.execute<{ r: Expired[] }[]>(`select booking_expire(?::int[]) as r`, [
      intArray([reservationId]),
    ]);
    return row!.r;
  }

  /** The schedule's counter and seat version (in a transaction: as of its own changes). */
  async availability(em: EntityManager, scheduleId: number): Promise<Availability> {
    const [row] = await em.execute<{ a: Availability }[]>(`select booking_availability(?) as a`, [
      scheduleId,
    ]);
    return row!.a;
  }

  async markRefunded(tx: EntityManager, id: number): Promise<number[]> {
    await tx.execute(`update reservations set status = 'refunded', ended_at = now() where id = ?`, [
      id,
    ]);
    await tx.execute(`update payments set refunded_at = now() where reservation_id = ?`, [id]);
    return this.release(tx, id);
  }

  /** Holds past their deadline that nobody has expired yet (for the sweeper). */
  async dueHolds(em: EntityManager, limit: number): Promise<{ id: number; userId: number }[]> {
    return em.execute(
      `select id, user_id as "userId" from reservations where status = 'held' and expires_at <= now() order by expires_at limit ?`,
      [limit],
    );
  }

  /**
   * Per concert with a schedule on sale now (sale open, not started): its schedules, the seats
   * available (lapsed holds included) and held (live holds) from the counters, and which of the
   * given admitted fans hold a live hold on it. One statement, so one snapshot: a hold committed
   * meanwhile is either in both the seats and the holders or in neither (the queue leader's
   * sold-out awareness counts one against the other).
   */
  async seatsForAdmission(
    em: EntityManager,
    concertIds: number[],
    userIds: number[],
    now: Date,
  ): Promise<
    { concertId: number; schedules: number; available: number; held: number; holders: number[] }[]
  > {
    if (concertIds.length === 0) return [];
    const rows = await em.execute<
      {
        concertId: number;
        schedules: string;
        available: string;
        held: string;
        holders: number[];
      }[]
    >(
      `with seats as (
         select s.concert_id, count(*) as schedules,
                sum(s.available_seats + l.lapsed) as available, sum(s.held_seats - l.lapsed) as held
         from schedules s join concerts c on c.id = s.concert_id
         cross join lateral (select count(*) as lapsed from schedule_seats ss
           where ss.schedule_id = s.id and ss.status = 'held' and ss.held_until <= ?) l
         where s.concert_id = any(?::int[]) and c.sale_opens_at <= ? and s.starts_at > ?
         group by s.concert_id),
       holders as (
         select concert_id, array_agg(distinct user_id) as users from reservations
         where status = 'held' and expires_at > ? and concert_id = any(?::int[])
           and user_id = any(?::int[])
         group by concert_id)
       select seats.concert_id as "concertId", seats.schedules, seats.available, seats.held,
              coalesce(holders.users, '{}') as holders
       from seats left join holders on holders.concert_id = seats.concert_id`,
      [now, intArray(concertIds), now, now, now, intArray(concertIds), intArray(userIds)],
    );
    return rows.map((r) => ({
      concertId: r.concertId,
      schedules: Number(r.schedules),
      available: Number(r.available),
      held: Number(r.held),
      holders: r.holders.map(Number),
    }));
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
