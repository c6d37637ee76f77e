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
import { QUEUE_TOKEN_HEADER } from './contract/names.js';
import type { JoinResponse, QueueStatus, ScheduleAvailability } from './contract/queue.js';
import { globalFetch, joinUrl, request, type FetchLike } from './http.js';
import { QueueConnection } from './queue-connection.js';
import type { QueueConnectionOptions } from './queue-types.js';

export type { FetchLike } from './http.js';

export interface LineupClientOptions {
  /** Where the API is served, e.g. `https://tickets.example.com` (no trailing path needed). */
  baseUrl: string;
  /** A token from an earlier `signUp`/`login`; those two set it themselves. */
  accessToken?: string;
  fetch?: FetchLike;
}

export interface IdempotencyOptions {
  /**
   * Send the same key when you retry the same request: the server then replays the first answer
   * instead of charging, holding or paying twice (kept at least 24 h, scoped to the user).
   */
  idempotencyKey?: string;
}

export interface HistoryOptions {
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1..100, default 20. */
  limit?: number;
}

export type JoinResult = JoinResponse & {
  /** True when this call put the fan in line (201), false when they already were (200). */
  created: boolean;
};

interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** Send the access token (default true). */
  auth?: boolean;
  queueToken?: string;
  idempotencyKey?: string;
}

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

  constructor(options: LineupClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.accessToken;
    this.fetchImpl = options.fetch ?? globalFetch;
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
  async signUp(body: CreateUserBody): Promise<CreateUserResponse> {
    const res = await this.call<CreateUserResponse>({
      method: 'POST',
      path: '/users',
      body,
      auth: false,
    });
    this.token = res.accessToken;
    return res;
  }

  /** `POST /auth/login`; keeps the returned access token for the next calls. */
  async login(body: LoginBody): Promise<LoginResponse> {
    const res = await this.call<LoginResponse>({
      method: 'POST',
      path: '/auth/login',
      body,
      auth: false,
    });
    this.token = res.accessToken;
    return res;
  }

  balance(): Promise<BalanceResponse> {
    return this.call({ method: 'GET', path: '/users/me/points' });
  }

  charge(amount: number, options: IdempotencyOptions = {}): Promise<BalanceResponse> {
    return this.call({
      method: 'POST',
      path: '/users/me/points/charge',
      body: { amount },
      idempotencyKey: options.idempotencyKey,
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
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** The points ledger, newest first; pass `nextCursor` back as `cursor` for the next page. */
  history(options: HistoryOptions = {}): Promise<HistoryResponse> {
    return this.call({ method: 'GET', path: '/users/me/points/history' + query(options) });
  }

  // Catalogue and queue

  /** `GET /concerts` (public: no token needed). */
  concerts(): Promise<ConcertListItem[]> {
    return this.call({ method: 'GET', path: '/concerts', auth: false });
  }

  /** Joins the concert's waiting line; joining again returns the same place (`created: false`). */
  async joinQueue(concertId: number): Promise<JoinResult> {
    const { status, body } = await this.send<JoinResponse>({
      method: 'POST',
      path: `/concerts/${concertId}/queue`,
    });
    return { ...body, created: status === 201 };
  }

  /** `GET /queue/status` (needs only the queue token; counts as a sign of life). */
  queueStatus(queueToken: string): Promise<QueueStatus> {
    return this.call({ method: 'GET', path: '/queue/status', auth: false, queueToken });
  }

  /** Leaves the line, or gives up an admission. */
  async leaveQueue(queueToken: string): Promise<void> {
    await this.call({ method: 'DELETE', path: '/queue', auth: false, queueToken });
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

  schedules(concertId: number, queueToken: string): Promise<ScheduleAvailability[]> {
    return this.call({ method: 'GET', path: `/concerts/${concertId}/schedules`, queueToken });
  }

  seats(
    scheduleId: number,
    queueToken: string,
    options: { status?: 'available' } = {},
  ): Promise<SeatView[]> {
    return this.call({
      method: 'GET',
      path: `/schedules/${scheduleId}/seats` + query(options),
      queueToken,
    });
  }

  /** Holds 1..4 seats of one schedule, all or nothing (`POST /reservations`). */
  hold(body: HoldBody, queueToken: string, options: IdempotencyOptions = {}): Promise<Reservation> {
    return this.call({
      method: 'POST',
      path: '/reservations',
      body: { scheduleId: body.scheduleId, seatIds: body.seatIds },
      queueToken,
      idempotencyKey: options.idempotencyKey,
    });
  }

  reservation(id: number): Promise<Reservation> {
    return this.call({ method: 'GET', path: `/reservations/${id}` });
  }

  /** Releases a hold; answers the reservation with status `canceled`. */
  cancelReservation(id: number): Promise<Reservation> {
    return this.call({ method: 'DELETE', path: `/reservations/${id}` });
  }

  /** Pays a held reservation in full from points. */
  pay(reservationId: number, options: IdempotencyOptions = {}): Promise<PaymentResponse> {
    return this.call({
      method: 'POST',
      path: `/reservations/${reservationId}/payment`,
      idempotencyKey: options.idempotencyKey,
    });
  }

  refund(reservationId: number): Promise<RefundResponse> {
    return this.call({ method: 'POST', path: `/reservations/${reservationId}/refund` });
  }

  myReservations(): Promise<Reservation[]> {
    return this.call({ method: 'GET', path: '/users/me/reservations' });
  }

  // Transport

  private async call<T>(spec: RequestSpec): Promise<T> {
    return (await this.send<T>(spec)).body;
  }

  private async send<T>(spec: RequestSpec): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (spec.auth !== false && this.token) headers.authorization = `Bearer ${this.token}`;
    if (spec.queueToken !== undefined) headers[QUEUE_TOKEN_HEADER] = spec.queueToken;
    if (spec.idempotencyKey !== undefined) headers['Idempotency-Key'] = spec.idempotencyKey;
    let payload: string | undefined;
    if (spec.body !== undefined) {
      payload = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    return request<T>(this.fetchImpl, joinUrl(this.baseUrl, spec.path), {
      method: spec.method,
      headers,
      body: payload,
    });
  }
}

function query(params: object): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params) as [string, unknown][]) {
    if (value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
