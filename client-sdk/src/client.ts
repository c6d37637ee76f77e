import type {
  CreateUserBody,
  CreateUserResponse,
  LoginBody,
  LoginResponse,
} from './contract/accounts.js';
import type {
  HoldBody,
  PaymentResponse,
  RefundResponse,
  Reservation,
  SeatView,
} from './contract/booking.js';
import type { ConcertListItem } from './contract/catalogue.js';
import type { BalanceResponse, HistoryResponse } from './contract/points.js';
import { solvingChallenge } from './client-join.js';
import type {
  JoinChallenge,
  JoinResponse,
  QueueFairness,
  QueueStatus,
  ScheduleAvailability,
} from './contract/queue.js';
import type { CallOptions } from './cancel.js';
import { globalFetch, type FetchLike } from './http.js';
import type {
  HistoryOptions,
  IdempotencyOptions,
  JoinOptions,
  JoinResult,
  LineupClientOptions,
  SeatsOptions,
} from './client-options.js';
import { query, send, type RequestSpec } from './client-transport.js';
import { QueueConnection } from './queue-connection.js';
import { leftAlready } from './queue-helpers.js';
import type { LeaveResult, QueueConnectionOptions } from './queue-types.js';

export type { FetchLike } from './http.js';

/**
 * Typed calls for every fan endpoint of the Lineup HTTP API (SPEC §4). Failures throw
 * `LineupError` (`code` from the error envelope, `status`, `details`, `retryAfterSeconds`).
 * Responses are returned as parsed JSON, typed by the contract but not validated at runtime; use
 * the zod schemas from `@lineup/client-sdk/contract` when you want that.
 */
export class LineupClient {
  readonly baseUrl: string;
  private token: string | undefined;
  private readonly fetchImpl: FetchLike;
  private readonly defaults: Pick<LineupClientOptions, 'timeoutMs' | 'retry'>;

  constructor(options: LineupClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.accessToken;
    this.fetchImpl = options.fetch ?? globalFetch;
    this.defaults = { timeoutMs: options.timeoutMs, retry: options.retry };
  }

  /** The access token sent as `Authorization: Bearer`, if any. */
  get accessToken(): string | undefined {
    return this.token;
  }

  setAccessToken(token: string | undefined): void {
    this.token = token;
  }

  // Accounts and points

  /** `POST /users`; keeps the returned access token for the next calls. */
  async signUp(body: CreateUserBody, options: CallOptions = {}): Promise<CreateUserResponse> {
    const res = await this.call<CreateUserResponse>({
      method: 'POST',
      path: '/users',
      body,
      auth: false,
      options,
    });
    this.token = res.accessToken;
    return res;
  }

  /** `POST /auth/login`; keeps the returned access token for the next calls. */
  async login(body: LoginBody, options: CallOptions = {}): Promise<LoginResponse> {
    const res = await this.call<LoginResponse>({
      method: 'POST',
      path: '/auth/login',
      body,
      auth: false,
      options,
    });
    this.token = res.accessToken;
    return res;
  }

  balance(options: CallOptions = {}): Promise<BalanceResponse> {
    return this.call({ method: 'GET', path: '/users/me/points', options });
  }

  /** `POST /users/me/points/charge`: 1,000..1,000,000 at a time, the balance at most 10,000,000. */
  charge(amount: number, options: IdempotencyOptions = {}): Promise<BalanceResponse> {
    return this.call({
      method: 'POST',
      path: '/users/me/points/charge',
      body: { amount },
      idempotent: options,
    });
  }

  /**
   * `POST /users/me/points/withdraw`: pays points back out, from 1,000 up to the balance.
   * Throws `INSUFFICIENT_POINTS` (402, `details.balance`) over the balance and
   * `WITHDRAW_AMOUNT_OUT_OF_RANGE` (422) below 1,000 or above 10,000,000.
   */
  withdrawPoints(amount: number, options: IdempotencyOptions = {}): Promise<BalanceResponse> {
    return this.call({
      method: 'POST',
      path: '/users/me/points/withdraw',
      body: { amount },
      idempotent: options,
    });
  }

  /** The points ledger, newest first; pass `nextCursor` back as `cursor` for the next page. */
  history(options: HistoryOptions = {}): Promise<HistoryResponse> {
    const { cursor, limit } = options;
    return this.call({
      method: 'GET',
      path: '/users/me/points/history' + query({ cursor, limit }),
      options,
    });
  }

  // Catalogue and queue

  /** `GET /concerts` (public: no token needed). */
  concerts(options: CallOptions = {}): Promise<ConcertListItem[]> {
    return this.call({ method: 'GET', path: '/concerts', auth: false, options });
  }

  /** Joins the concert's waiting line; joining again returns the same place (`created: false`). */
  async joinQueue(concertId: number, options: JoinOptions = {}): Promise<JoinResult> {
    const join = (challenge?: { nonce: string; solution: string }) =>
      this.send<JoinResponse>({
        method: 'POST',
        path: `/concerts/${concertId}/queue`,
        body: challenge ? { challenge } : undefined,
        options,
      });
    const answer = await solvingChallenge(
      join,
      () => this.queueChallenge(concertId, options),
      options,
    );
    return { ...answer.body, created: answer.status === 201 };
  }

  /** `GET /concerts/:id/queue/challenge`: a nonce bound to you, single use, and its difficulty. */
  queueChallenge(concertId: number, options: CallOptions = {}): Promise<JoinChallenge> {
    return this.call({ method: 'GET', path: `/concerts/${concertId}/queue/challenge`, options });
  }

  /**
   * `GET /concerts/:id/queue/fairness` (public): the pre-queue's seed commitment, then, after the
   * shuffle, the seed and the order of refs. Check it with `verifyFairness(record, {ref})`.
   */
  queueFairness(concertId: number, options: CallOptions = {}): Promise<QueueFairness> {
    return this.call({
      method: 'GET',
      path: `/concerts/${concertId}/queue/fairness`,
      auth: false,
      options,
    });
  }

  /** `GET /queue/status` (needs only the queue token; counts as a sign of life). */
  queueStatus(queueToken: string, options: CallOptions = {}): Promise<QueueStatus> {
    return this.call({ method: 'GET', path: '/queue/status', auth: false, queueToken, options });
  }

  /**
   * Leaves the line, or gives up an admission (`DELETE /queue`). An entry that had already ended
   * (admission expired, paid, left before, removed) resolves too, with `left: false` and how it
   * ended; only a bad token or a failure to reach the server throws.
   */
  async leaveQueue(queueToken: string, options: CallOptions = {}): Promise<LeaveResult> {
    try {
      await this.call({ method: 'DELETE', path: '/queue', auth: false, queueToken, options });
      return { left: true, reason: 'left' };
    } catch (err) {
      const reason = leftAlready(err);
      if (!reason) throw err;
      return { left: false, reason };
    }
  }

  /**
   * The waiting-room connection for a queue token (from `joinQueue`), on this client's base URL
   * and fetch. Call `connect()` on it.
   */
  queueConnection(
    queueToken: string,
    options: Omit<QueueConnectionOptions, 'baseUrl' | 'queueToken'> = {},
  ): QueueConnection {
    return new QueueConnection({
      fetch: this.fetchImpl,
      ...options,
      baseUrl: this.baseUrl,
      queueToken,
    });
  }

  // Booking ([admitted] calls need the queue token of an active fan)

  schedules(
    concertId: number,
    queueToken: string,
    options: CallOptions = {},
  ): Promise<ScheduleAvailability[]> {
    return this.call({
      method: 'GET',
      path: `/concerts/${concertId}/schedules`,
      queueToken,
      options,
    });
  }

  seats(scheduleId: number, queueToken: string, options: SeatsOptions = {}): Promise<SeatView[]> {
    return this.call({
      method: 'GET',
      path: `/schedules/${scheduleId}/seats` + query({ status: options.status }),
      queueToken,
      options,
    });
  }

  /**
   * Holds 1..4 seats of one schedule, all or nothing (`POST /reservations`): the seats named by
   * `seatIds`, or `count` adjacent seats (of `grade`, if given) the server picks (best available).
   */
  hold(body: HoldBody, queueToken: string, options: IdempotencyOptions = {}): Promise<Reservation> {
    return this.call({
      method: 'POST',
      path: '/reservations',
      body:
        'count' in body
          ? { scheduleId: body.scheduleId, count: body.count, grade: body.grade }
          : { scheduleId: body.scheduleId, seatIds: body.seatIds },
      queueToken,
      idempotent: options,
    });
  }

  reservation(id: number, options: CallOptions = {}): Promise<Reservation> {
    return this.call({ method: 'GET', path: `/reservations/${id}`, options });
  }

  /** Releases a hold; answers the reservation with status `canceled`. */
  cancelReservation(id: number, options: CallOptions = {}): Promise<Reservation> {
    return this.call({ method: 'DELETE', path: `/reservations/${id}`, options });
  }

  /**
   * Pays a held reservation in full from points. Paying ends the fan's admission (the queue
   * token stops working, the connection ends with reason `completed`): hold every seat you want
   * before paying.
   */
  pay(reservationId: number, options: IdempotencyOptions = {}): Promise<PaymentResponse> {
    return this.call({
      method: 'POST',
      path: `/reservations/${reservationId}/payment`,
      idempotent: options,
    });
  }

  refund(reservationId: number, options: CallOptions = {}): Promise<RefundResponse> {
    return this.call({ method: 'POST', path: `/reservations/${reservationId}/refund`, options });
  }

  myReservations(options: CallOptions = {}): Promise<Reservation[]> {
    return this.call({ method: 'GET', path: '/users/me/reservations', options });
  }

  // Transport

  private async call<T>(spec: RequestSpec): Promise<T> {
    return (await this.send<T>(spec)).body;
  }

  private send<T>(spec: RequestSpec): Promise<{ status: number; body: T }> {
    const { baseUrl, token, fetchImpl, defaults } = this;
    return send<T>({ baseUrl, token, fetchImpl, defaults }, spec);
  }
}
