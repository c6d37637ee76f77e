import type { Grade } from '../catalogue/catalogue.entities.js';
import { AppError, type ErrorCode } from '../../infra/app-error.js';
import type { PreparedStatements } from '../../infra/db/prepared.js';
import type { StatementClaim } from '../idempotency/idempotency.service.js';
import type { PaymentView, ReservationView } from './booking.views.js';
import { HoldLanes, type Settled } from './hold-lanes.logic.js';

// The hot path's SQL: one prepared statement per hold, payment and seat-map read, calling the
// functions of migration 20261221000000 (src/infra/db/migrations/booking-functions.sql.ts) and,
// with an Idempotency-Key, their versions of migration 20261228000000 (booking-keyed.sql.ts) that
// check the key first and write its record with the answer in the same statement: one round
// trip either way. Holds of a schedule that queue behind one in flight go together, in one
// statement (booking_hold_many, migration 20261229000000; hold-lanes.logic.ts).

/** A schedule's availability as of a commit: what `seats:changed` carries. */
export interface Availability {
  version: number;
  availableSeats: number;
}

/** A lapsed hold ended (lazy expiry) and the seats it freed; availability as of that release. */
export interface Expired extends Availability {
  reservationId: number;
  scheduleId: number;
  concertId: number;
  seatIds: number[];
}

export interface HeldOutcome extends Availability {
  body: ReservationView;
  freed: Expired[];
}

/** A keyed request's statement found its key completed: the first request's answer. */
export interface Replayed<T> {
  replay: T;
}

export type PaidOutcome = Availability & {
  scheduleId: number;
  concertId: number;
  queueEntryId: number | null;
} & (
    | { error?: undefined; body: PaymentView; sold: number[] }
    | {
        error: 'HOLD_EXPIRED';
        details: Record<string, unknown>;
        expired: Expired[];
      }
    | {
        error: 'INSUFFICIENT_POINTS';
        details: Record<string, unknown>;
        /** The seats freed when this failure released the hold, else null. */
        released: number[] | null;
      }
  );

/** A seat as the seat map caches it: its status as written, and the hold's deadline (ms). */
export type SeatMapRow = [
  seatId: number,
  label: string,
  grade: Grade,
  status: 'available' | 'held' | 'sold',
  heldUntil: number | null,
];

export interface SeatMapRead {
  version: number;
  /** The database clock (ms), to tell lapsed holds by. */
  now: number;
  /** Only in a whole map (prices never change after a schedule is created). */
  prices?: Record<Grade, number>;
  seats: SeatMapRow[];
}

/** SQLSTATEs of a transaction PostgreSQL aborted to resolve a conflict: deadlock, serialization. */
const ABORTED = new Set(['40P01', '40001']);
/** How many times such a statement runs again before its error is the answer (a 500). */
const RERUNS_AFTER_ABORT = 2;

const HOLD = {
  name: 'booking_hold',
  text: 'select booking_hold($1, $2, $3, $4, $5, $6, $7, $8, null::bigint) as r',
};
const HOLD_KEYED = {
  name: 'booking_hold_keyed',
  text: 'select booking_hold($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) as r',
};
const HOLD_MANY = { name: 'booking_hold_many', text: 'select booking_hold_many($1::jsonb) as r' };
const PAY = { name: 'booking_pay', text: 'select booking_pay($1, $2, $3, null::bigint) as r' };
const PAY_KEYED = {
  name: 'booking_pay_keyed',
  text: 'select booking_pay($1, $2, $3, $4, $5, $6) as r',
};
const EXPIRE = { name: 'booking_expire_hold', text: 'select booking_expire_hold($1) as r' };
const SEAT_STATE = `json_build_array(ss.seat_id, st.label, st.grade, ss.status,
  (extract(epoch from ss.held_until) * 1000)::float8)`;
// One statement, one snapshot: the version and the seats it stands for are read together. Two
// statements, whole map and changes, so that each has one plan, planned once per connection (a
// generic plan): one with `since < 0 or changed_version > since` was planned again on every call,
// which cost as much as running it. The changes are an index range on (schedule_id,
// changed_version): no seat is read when nothing changed.
export const SEAT_MAP = {
  name: 'booking_seat_map',
  text: `select s.seat_version::float8 as version, (extract(epoch from now()) * 1000)::float8 as now,
    json_build_object('VIP', s.price_vip, 'R', s.price_r, 'S', s.price_s, 'A', s.price_a) as prices,
    (select coalesce(json_agg(${SEAT_STATE} order by ss.seat_id), '[]') from schedule_seats ss
     join seats st on st.id = ss.seat_id where ss.schedule_id = s.id) as seats
    from schedules s where s.id = $1`,
};
export const SEAT_MAP_CHANGES = {
  name: 'booking_seat_map_changes',
  text: `select s.seat_version::float8 as version, (extract(epoch from now()) * 1000)::float8 as now,
    (select coalesce(json_agg(${SEAT_STATE} order by ss.seat_id), '[]') from schedule_seats ss
     join seats st on st.id = ss.seat_id
     where ss.schedule_id = s.id and ss.changed_version > $2::bigint) as seats
    from schedules s where s.id = $1`,
};

/** A hold as BookingStatements.hold takes it. */
export interface HoldCall {
  userId: number;
  concertId: number;
  scheduleId: number;
  seatIds: number[];
  maxSeats: number;
  holdSeconds: number;
  queueEntryId: number;
  now: Date;
  claim: StatementClaim | null;
}

type HoldAnswer = HeldOutcome | Replayed<ReservationView>;

/** A batch element's failure, as booking_hold_many reports it (what the hold alone would raise). */
interface ElementError {
  code: string;
  message: string;
  detail: string | null;
  constraint: string | null;
}

// A batch element that would have waited for another request's Idempotency-Key (LU002), or was
// chosen as a deadlock's victim: run again alone, as the hold would have run without the batch.
const RUN_ALONE = new Set(['LU002', ...ABORTED]);

export class BookingStatements {
  private readonly lanes = new HoldLanes<HoldCall, HoldAnswer>(
    (h) => this.holdAlone(h),
    (holds) => this.holdMany(holds),
  );

  constructor(private readonly db: PreparedStatements) {}

  get roundTrips(): number {
    return this.db.roundTrips;
  }

  /** The hold; with a key (`claim`), the first request's answer instead when it has one. */
  hold(h: HoldCall): Promise<HoldAnswer> {
    return this.lanes.hold(h.scheduleId, h);
  }

  private holdAlone(h: HoldCall): Promise<HoldAnswer> {
    const values = [
      h.userId,
      h.concertId,
      h.scheduleId,
      h.seatIds,
      h.maxSeats,
      h.holdSeconds,
      h.queueEntryId,
      h.now,
    ];
    if (!h.claim) return this.call<HeldOutcome>(HOLD, values, 'USER_NOT_FOUND', h.seatIds);
    const { key, hash, waitMs } = h.claim;
    return this.call(HOLD_KEYED, [...values, key, hash, waitMs], 'USER_NOT_FOUND', h.seatIds);
  }

  /** Holds of one schedule in one statement: each gets what it would have got alone. */
  private async holdMany(holds: HoldCall[]): Promise<Settled<HoldAnswer>[]> {
    const elements = holds.map(({ claim, ...h }) => ({
      ...h,
      key: claim?.key ?? null,
      hash: claim?.hash ?? null,
      waitMs: claim?.waitMs ?? null,
    }));
    let answers: (HoldAnswer | { error: ElementError })[];
    try {
      answers = (await this.db.one<{ r: typeof answers }>(HOLD_MANY, [JSON.stringify(elements)])).r;
    } catch (err) {
      // The batch's last write (the schedule's row) chosen as a deadlock's victim: each alone
      // (where a victim runs again, twice at most, like any hold).
      if (ABORTED.has((err as { code?: string }).code ?? ''))
        return holds.map(() => ({ alone: true }));
      throw err;
    }
    return answers.map((a, i): Settled<HoldAnswer> => {
      if (!('error' in a)) return { ok: true, value: a };
      const e = a.error;
      if (RUN_ALONE.has(e.code)) return { alone: true };
      const error = Object.assign(new Error(e.message), {
        code: e.code,
        detail: e.detail ?? undefined,
        constraint: e.constraint ?? undefined,
      });
      return { ok: false, error: refusal(error, 'USER_NOT_FOUND', holds[i]!.seatIds) ?? error };
    });
  }

  /** The payment; with a key (`claim`), the first request's answer instead when it has one. */
  pay(
    userId: number,
    reservationId: number,
    maxFailures: number,
    claim: StatementClaim | null,
  ): Promise<PaidOutcome | Replayed<PaymentView>> {
    const values = [userId, reservationId, maxFailures];
    if (!claim) return this.call<PaidOutcome>(PAY, values, 'RESERVATION_NOT_FOUND', []);
    const { key, hash, waitMs } = claim;
    return this.call(PAY_KEYED, [...values, key, hash, waitMs], 'RESERVATION_NOT_FOUND', []);
  }

  /** Ends a hold if its deadline passed (the sweeper, a refused payment). */
  expireHold(reservationId: number): Promise<Expired[]> {
    return this.call<Expired[]>(EXPIRE, [reservationId], 'RESERVATION_NOT_FOUND', []);
  }

  /** The seat map, whole (`since` null) or the seats changed after version `since`; null: no schedule. */
  async seatMap(scheduleId: number, since: number | null): Promise<SeatMapRead | null> {
    const [row] =
      since === null
        ? await this.db.query<SeatMapRead>(SEAT_MAP, [scheduleId])
        : await this.db.query<SeatMapRead>(SEAT_MAP_CHANGES, [scheduleId, since]);
    return row ?? null;
  }

  private async call<T>(
    statement: { name: string; text: string },
    values: unknown[],
    outOfRange: ErrorCode,
    seatIds: number[],
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.db.one<{ r: T }>(statement, values)).r;
      } catch (err) {
        // Chosen as a deadlock's victim (or a serialization failure): the statement is its whole
        // transaction, rolled back, so running it again is safe and usually the answer.
        if (attempt < RERUNS_AFTER_ABORT + 1 && ABORTED.has((err as { code?: string }).code ?? ''))
          continue;
        throw refusal(err, outOfRange, seatIds) ?? err;
      }
    }
  }
}

/** The AppError a booking function's refusal stands for, or null for any other failure. */
function refusal(err: unknown, outOfRange: ErrorCode, seatIds: number[]): AppError | null {
  const e = err as { code?: string; message?: string; detail?: string; constraint?: string };
  if (e.code === 'LU001') {
    const details = e.detail ? (JSON.parse(e.detail) as Record<string, unknown>) : undefined;
    return new AppError(e.message as ErrorCode, details ? { details } : {});
  }
  // The schema's own guarantee (one live item per seat) caught what the UPDATE did not.
  if (e.code === '23505' && e.constraint === 'reservation_items_one_live_per_seat')
    return new AppError('SEAT_UNAVAILABLE', { details: { seatIds } });
  // An id beyond the int column (a validly signed token for an impossible user): not found.
  if (e.code === '22003') return new AppError(outOfRange);
  // A keyed request of a user that does not exist (any more): its claim has no user to refer to.
  if (e.code === '23503' && e.constraint === 'idempotency_keys_user_id_fkey')
    return new AppError('USER_NOT_FOUND');
  // A duplicate waited waitForFirstMs for the first request (booking_key's lock_timeout on the
  // key's advisory lock) and the first still runs.
  if (e.code === '55P03') return new AppError('IDEMPOTENCY_KEY_IN_USE');
  // The key's record was written meanwhile by a request that does not take that lock (the
  // previous release, during a rolling deploy): this effect rolled back, the other one stands.
  if (e.code === '23505' && e.constraint === 'idempotency_keys_user_key_unique')
    return new AppError('IDEMPOTENCY_KEY_IN_USE');
  return null;
}
