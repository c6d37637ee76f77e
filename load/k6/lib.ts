import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { Counter } from 'k6/metrics';

// Shared by the k6 scenarios. Configuration comes from the environment (`k6 run -e NAME=value`):
//   BASE_URLS    instance URLs, comma-separated (default http://127.0.0.1:3000); fans are spread
//                over them by index, like the Node runner
//   ADMIN_TOKEN  the deployment's ADMIN_TOKEN (default the development token)
//   FANS_FILE    JSON from `load/run.sh fans --count N --points P --out fans.json`: [{id, token}]
//                (fans created in bulk in the database with signed access tokens; k6 cannot
//                sign up thousands of fans, scrypt and the sign-up rate limit forbid it)

export interface Fan {
  id: number;
  token: string;
}

export const BASE_URLS = (__ENV.BASE_URLS ?? 'http://127.0.0.1:3000')
  .split(',')
  .map((u) => u.trim().replace(/\/+$/, ''));
export const ADMIN_TOKEN = __ENV.ADMIN_TOKEN ?? 'lineup-dev-admin-token';
export const num = (name: string, fallback: number): number =>
  __ENV[name] === undefined ? fallback : Number(__ENV[name]);

/** Percentiles in the end-of-test summary (add to each script's options). */
export const summaryTrendStats = ['avg', 'p(50)', 'p(95)', 'p(99)', 'max', 'count'];

export const fans = new SharedArray<Fan>('fans', () => {
  const path = __ENV.FANS_FILE ?? 'fans.json';
  return JSON.parse(open(path)) as Fan[];
});

// Errors by SPEC code: one counter per code (k6's end-of-test summary does not split a counter
// by tag), created here in the init context as k6 requires.
const CODES = [
  'QUEUE_FULL',
  'RATE_LIMITED',
  'SEAT_UNAVAILABLE',
  'SEAT_LIMIT_EXCEEDED',
  'NOT_ADMITTED',
  'ADMISSION_EXPIRED',
  'QUEUE_TOKEN_INVALID',
  'QUEUE_ENTRY_NOT_FOUND',
  'UNAUTHENTICATED',
  'HOLD_EXPIRED',
  'INSUFFICIENT_POINTS',
  'IDEMPOTENCY_KEY_IN_USE',
  'SERVICE_UNAVAILABLE',
  'NETWORK',
] as const;
const counters = new Map<string, Counter>(CODES.map((c) => [c, new Counter(`errors_${c}`)]));
const otherErrors = new Counter('errors_OTHER');

/** Counts one failure under its code (`errors_<CODE>` in the summary). */
export function countError(code: string): void {
  (counters.get(code) ?? otherErrors).add(1);
}

export const urlFor = (i: number): string => BASE_URLS[i % BASE_URLS.length]!;

/** The fan this iteration plays: one per iteration across the whole test. */
export function currentFan(): { fan: Fan; index: number } {
  const index = exec.scenario.iterationInTest;
  return { fan: fans[index % fans.length]!, index };
}

export function errorCode(res: RefinedResponse<ResponseType | undefined>): string {
  if (res.status === 0) return 'NETWORK';
  try {
    const body = JSON.parse(String(res.body)) as { error?: { code?: string } };
    return body.error?.code ?? `HTTP_${res.status}`;
  } catch {
    return `HTTP_${res.status}`;
  }
}

/** Records the error code of a non-2xx answer; returns whether it was 2xx. */
export function ok(res: RefinedResponse<ResponseType | undefined>, op: string): boolean {
  if (res.status >= 200 && res.status < 300) return true;
  const code = errorCode(res);
  countError(code);
  if (!counters.has(code)) console.warn(`${op}: ${code}`);
  return false;
}

export function fanHeaders(
  fan: Fan,
  queueToken?: string,
  idempotencyKey?: string,
): Record<string, string> {
  const h: Record<string, string> = {
    authorization: `Bearer ${fan.token}`,
    'content-type': 'application/json',
  };
  if (queueToken) h['x-queue-token'] = queueToken;
  if (idempotencyKey) h['idempotency-key'] = idempotencyKey;
  return h;
}

function admin<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): T {
  const res = http.request(
    method,
    BASE_URLS[0] + path,
    body === undefined ? null : JSON.stringify(body),
    {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      tags: { name: `admin ${method} ${path.replace(/\d+/g, ':id')}` },
    },
  );
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${String(res.body)}`);
  return (res.body ? JSON.parse(String(res.body)) : undefined) as T;
}

export interface Concert {
  concertId: number;
  scheduleIds: number[];
}

/** A venue of `seats` seats in rows of up to 50, graded front (VIP) to back (A). */
function createVenue(seats: number): number {
  const perRow = Math.min(50, seats);
  const rowCount = Math.ceil(seats / perRow);
  const grades = ['VIP', 'R', 'S', 'A'];
  return admin<{ id: number }>('POST', '/admin/venues', {
    name: `k6 venue ${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
    rows: Array.from({ length: rowCount }, (_, i) => ({
      name: `R${i + 1}`,
      seats: Math.min(perRow, seats - i * perRow),
      grade: grades[Math.min(3, Math.floor((i * 4) / rowCount))],
    })),
  }).id;
}

const PRICES = { VIP: 150_000, R: 120_000, S: 90_000, A: 60_000 };

/**
 * A concert on sale since yesterday: `schedules` performances at one venue of `seats` seats.
 * `spareSeats`: one more performance at a venue of that many seats, left out of `scheduleIds`:
 * a line admits no more fans than seats on sale (SPEC §2 "Sold-out awareness"), so a storm of N
 * fans on fewer seats needs seats elsewhere in the concert to admit them all.
 */
export function createConcert(
  seats: number,
  schedules = 1,
  title = 'k6 concert',
  spareSeats = 0,
): Concert {
  const venueId = createVenue(seats);
  const concert = admin<{ id: number }>('POST', '/admin/concerts', {
    title,
    artist: 'k6',
    saleOpensAt: new Date(Date.now() - 86_400_000).toISOString(),
  });
  const schedule = (venue: number, days: number) =>
    admin<{ id: number }>('POST', `/admin/concerts/${concert.id}/schedules`, {
      venueId: venue,
      startsAt: new Date(Date.now() + days * 86_400_000).toISOString(),
      prices: PRICES,
    }).id;
  const scheduleIds: number[] = [];
  for (let i = 0; i < schedules; i++) scheduleIds.push(schedule(venueId, 30 + i));
  if (spareSeats > 0) schedule(createVenue(spareSeats), 60);
  return { concertId: concert.id, scheduleIds };
}

export function setPolicy(concertId: number, patch: Record<string, number | boolean>): void {
  admin('PATCH', `/admin/concerts/${concertId}/queue`, patch);
}

export function queueStats(concertId: number): {
  waiting: number;
  active: number;
  admittedTotal: number;
} {
  return admin('GET', `/admin/concerts/${concertId}/queue`);
}

/** Per instance: hold requests and holds that reached the database write (`GET /admin/stats`). */
export function holdWrites(): number {
  let total = 0;
  for (const url of BASE_URLS) {
    const res = http.get(`${url}/admin/stats`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    if (res.status === 200)
      total += (JSON.parse(String(res.body)) as { booking: { holdDatabaseWrites: number } }).booking
        .holdDatabaseWrites;
  }
  return total;
}

export interface Joined {
  queueToken: string;
  status: string;
}

/** `POST /concerts/:id/queue` for a fan on instance `i`; null (and an error counted) on failure. */
export function join(fan: Fan, i: number, concertId: number): Joined | null {
  const res = http.post(`${urlFor(i)}/concerts/${concertId}/queue`, null, {
    headers: fanHeaders(fan),
    tags: { name: 'join' },
  });
  if (!ok(res, 'join')) return null;
  return JSON.parse(String(res.body)) as Joined;
}

/** Joins many fans in batches (setup of seat-storm and waiting-room). */
export function joinMany(list: Fan[], concertId: number, batch = 200): (Joined | null)[] {
  const out: (Joined | null)[] = [];
  for (let from = 0; from < list.length; from += batch) {
    const requests = list.slice(from, from + batch).map((fan, k) => ({
      method: 'POST',
      url: `${urlFor(from + k)}/concerts/${concertId}/queue`,
      body: null,
      params: { headers: fanHeaders(fan), tags: { name: 'join (setup)' } },
    }));
    for (const res of http.batch(requests))
      out.push(ok(res, 'join') ? (JSON.parse(String(res.body)) as Joined) : null);
  }
  return out;
}

export function uuid(): string {
  const hex = '0123456789abcdef';
  let s = '';
  for (let i = 0; i < 32; i++) s += hex[Math.floor(Math.random() * 16)];
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20)}`;
}
