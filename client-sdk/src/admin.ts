// The operators' client: typed calls for the admin API (SPEC §4 "Operators"), so an operator's
// tooling needs no hand-written fetch calls. Authenticates with the deployment's ADMIN_TOKEN.
import type { z } from 'zod';
import { Deadline, type CallOptions } from './cancel.js';
import type {
  ConcertCreated,
  CreateConcertBody,
  CreateScheduleBody,
  CreateVenueBody,
  ScheduleCreated,
  VenueCreated,
} from './contract/catalogue.js';
import type { ConcertListItem } from './contract/catalogue.js';
import type {
  AdminQueueStats,
  QueueCloseResponse,
  QueuePolicy,
  QueuePolicyPatch,
} from './contract/queue.js';
import { globalFetch, joinUrl, request, type FetchLike } from './http.js';

export interface LineupAdminOptions {
  /** Where the API is served, e.g. `https://tickets.example.com`. */
  baseUrl: string;
  /** The deployment's `ADMIN_TOKEN`, sent as `Authorization: Bearer`. Keep it out of browsers. */
  adminToken: string;
  fetch?: FetchLike;
  /** A time limit for every call that gives none of its own (ms; default: none). */
  timeoutMs?: number;
}

export type VenueCreatedResponse = z.infer<typeof VenueCreated>;
export type ConcertCreatedResponse = z.infer<typeof ConcertCreated>;
export type ScheduleCreatedResponse = z.infer<typeof ScheduleCreated>;

/**
 * Typed calls for every operator endpoint. Failures throw `LineupError` like `LineupClient`'s:
 * 401 `UNAUTHENTICATED` for a wrong token, 404 `CONCERT_NOT_FOUND` / `VENUE_NOT_FOUND`, 409
 * `VENUE_NAME_TAKEN`, 400 `VALIDATION_FAILED` (with `details.issues`).
 */
export class LineupAdmin {
  readonly baseUrl: string;
  private readonly adminToken: string;
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number | undefined;

  constructor(options: LineupAdminOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.adminToken = options.adminToken;
    this.fetchImpl = options.fetch ?? globalFetch;
    this.timeoutMs = options.timeoutMs;
  }

  /** `POST /admin/venues`: a seat list (`seats: [{label, grade}]`) or rows (`rows: [{name, seats, grade}]`). */
  createVenue(body: CreateVenueBody, options: CallOptions = {}): Promise<VenueCreatedResponse> {
    return this.send('POST', '/admin/venues', body, options);
  }

  /** `POST /admin/concerts` (`saleOpensAt`: ISO time with offset; the line opens then). */
  createConcert(
    body: CreateConcertBody,
    options: CallOptions = {},
  ): Promise<ConcertCreatedResponse> {
    return this.send('POST', '/admin/concerts', body, options);
  }

  /** `POST /admin/concerts/:id/schedules`: a performance at a venue, with a price per grade. */
  createSchedule(
    concertId: number,
    body: CreateScheduleBody,
    options: CallOptions = {},
  ): Promise<ScheduleCreatedResponse> {
    return this.send('POST', `/admin/concerts/${concertId}/schedules`, body, options);
  }

  /** `GET /concerts` (the public catalogue: every concert with its schedules). */
  concerts(options: CallOptions = {}): Promise<ConcertListItem[]> {
    return this.send('GET', '/concerts', undefined, options);
  }

  /** `GET /admin/concerts/:id/queue`: counts, admission rate, policy and the leading instance. */
  queueStats(concertId: number, options: CallOptions = {}): Promise<AdminQueueStats> {
    return this.send('GET', `/admin/concerts/${concertId}/queue`, undefined, options);
  }

  /** `PATCH /admin/concerts/:id/queue`: changes a running line's limits (next tick). */
  async updatePolicy(
    concertId: number,
    patch: QueuePolicyPatch,
    options: CallOptions = {},
  ): Promise<QueuePolicy> {
    const res = await this.send<{ policy: QueuePolicy }>(
      'PATCH',
      `/admin/concerts/${concertId}/queue`,
      patch,
      options,
    );
    return res.policy;
  }

  /** Pauses admissions: everyone keeps queueing, nobody is admitted. */
  pause(concertId: number, options: CallOptions = {}): Promise<QueuePolicy> {
    return this.updatePolicy(concertId, { paused: true }, options);
  }

  /** Resumes admissions after `pause`. */
  resume(concertId: number, options: CallOptions = {}): Promise<QueuePolicy> {
    return this.updatePolicy(concertId, { paused: false }, options);
  }

  /**
   * `POST /admin/concerts/:id/queue/close`: every waiting and pre-queue place ends (`queue:ended`
   * reason `closed`), later joins get 409 `SALE_ENDED`; admitted fans keep their admission.
   * Answers how many places ended.
   */
  closeQueue(concertId: number, options: CallOptions = {}): Promise<QueueCloseResponse> {
    return this.send('POST', `/admin/concerts/${concertId}/queue/close`, undefined, options);
  }

  private async send<T>(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body: unknown,
    options: CallOptions,
  ): Promise<T> {
    const deadline = new Deadline(`${method} ${path}`, {
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
    });
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${this.adminToken}`,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await request<T>(
        this.fetchImpl,
        joinUrl(this.baseUrl, path),
        { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
        deadline,
      );
      return res.body;
    } finally {
      deadline.dispose();
    }
  }
}
