import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admittedFans, type AdmittedFan } from '../support/booking.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { comparable, comparer, send, type Answer } from '../support/hot-compare.js';
import { useTestServer } from '../support/server.js';

// The booking flow's requests answered before express (src/modules/booking/booking-hot.routes.ts):
// the seat map, the schedules list, the hold and the payment. As in hot-http.test.ts, each request
// goes once to the instance (the hot path) and once to its express app alone, and the answers
// must be the same to the header; each case also checks that the hot path took it.
const ctx = useTestServer({ QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });
let expressOnly: Server;
let expressUrl: string;
let concertId: number;
let scheduleId: number;
let fans: AdmittedFan[];
/** A fan in the line of a paused concert: never admitted. */
let waiting: { token: string; queueToken: string; concertId: number; scheduleId: number };
let seatIds: number[];

const both = comparer(
  () => ctx.server,
  () => expressUrl,
);

beforeAll(async () => {
  expressOnly = createServer(ctx.server.app);
  await new Promise<void>((resolve) => expressOnly.listen(0, '127.0.0.1', resolve));
  expressUrl = `http://127.0.0.1:${(expressOnly.address() as AddressInfo).port}`;
  const fixture = await createConcert(ctx.api, { seats: 20, schedules: 2 });
  ({ concertId } = fixture);
  scheduleId = fixture.scheduleIds[0]!;
  await setQueuePolicy(ctx.api, concertId, { maxActive: 100, admitPerMinute: 60_000 });
  fans = await admittedFans(ctx.server, concertId, 6);
  const seats = await send(ctx.server.url, 'GET', `/schedules/${scheduleId}/seats`, admitted(0));
  seatIds = (JSON.parse(seats.body) as { id: number }[]).map((s) => s.id);

  const paused = await createConcert(ctx.api, { seats: 10 });
  await setQueuePolicy(ctx.api, paused.concertId, { paused: true });
  const [fan] = await admittedFans(ctx.server, concertId, 1);
  const joined = await send(ctx.server.url, 'POST', `/concerts/${paused.concertId}/queue`, {
    authorization: `Bearer ${fan!.token}`,
  });
  waiting = {
    token: fan!.token,
    queueToken: JSON.parse(joined.body).queueToken,
    concertId: paused.concertId,
    scheduleId: paused.scheduleIds[0]!,
  };
});
afterAll(() => {
  expressOnly?.close();
});

const JSON_TYPE = { 'content-type': 'application/json' };
/** Headers of an [admitted] request of fans[i]. */
const admitted = (i: number, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${fans[i]!.token}`,
  'x-queue-token': fans[i]!.queueToken,
  ...extra,
});
const notAdmitted = () => ({
  authorization: `Bearer ${waiting.token}`,
  'x-queue-token': waiting.queueToken,
});

/** Expects the hot path took the request and both answered the same, to the header. */
function same(r: { hot: Answer; express: Answer; tookHotPath: boolean }, status: number): unknown {
  expect(r.tookHotPath).toBe(true);
  expect(r.hot.status).toBe(status);
  expect(comparable(r.hot)).toEqual(comparable(r.express));
  expect(r.hot.headers['content-security-policy']).toBeDefined();
  return JSON.parse(r.hot.body);
}
const code = (body: unknown) => (body as { error: { code: string } }).error.code;

describe('the seat map before express', () => {
  it('answers the map, the available seats and its Seat-Map-Version as express does', async () => {
    for (const query of ['', '?status=available', '?']) {
      const r = await both('GET', `/schedules/${scheduleId}/seats${query}`, admitted(0));
      const seats = same(r, 200) as unknown[];
      expect(seats).toHaveLength(20);
      expect(r.hot.headers['seat-map-version']).toMatch(/^\d+$/);
      expect(r.hot.headers.etag).toMatch(/^W\//);
    }
  });

  it.each([
    [
      'no access token',
      () => ({ 'x-queue-token': fans[0]!.queueToken }),
      '',
      401,
      'UNAUTHENTICATED',
    ],
    [
      'no queue token',
      () => ({ authorization: `Bearer ${fans[0]!.token}` }),
      '',
      401,
      'QUEUE_TOKEN_INVALID',
    ],
    [
      'another fan\u2019s queue token',
      () => admitted(1, { authorization: `Bearer ${fans[0]!.token}` }),
      '',
      401,
      'QUEUE_TOKEN_INVALID',
    ],
    ['a fan still waiting', notAdmitted, '', 403, 'NOT_ADMITTED'],
    ['an unknown status', () => admitted(0), '?status=held', 400, 'VALIDATION_FAILED'],
    [
      'an unknown query field',
      () => admitted(0),
      '?status=available&x=1',
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a repeated status',
      () => admitted(0),
      '?status=available&status=available',
      400,
      'VALIDATION_FAILED',
    ],
  ] as const)('refuses %s as express does', async (_case, headers, query, status, expected) => {
    const r = await both('GET', `/schedules/${scheduleId}/seats${query}`, headers());
    expect(code(same(r, status))).toBe(expected);
  });

  it('answers NOT_ADMITTED for a schedule of a concert the fan is not admitted to, and SCHEDULE_NOT_FOUND', async () => {
    // fans[0]'s queue token is for another concert than this schedule's.
    const other = await both('GET', `/schedules/${waiting.scheduleId}/seats`, admitted(0));
    expect(code(same(other, other.express.status))).toMatch(/QUEUE_TOKEN_INVALID|NOT_ADMITTED/);
    const missing = await both('GET', '/schedules/987654321/seats', admitted(0));
    expect(code(same(missing, 404))).toBe('SCHEDULE_NOT_FOUND');
  });

  it('leaves to express what express alone would treat differently', async () => {
    const path = `/schedules/${scheduleId}/seats`;
    const first = await send(ctx.server.url, 'GET', path, admitted(0));
    const unusual: [string, Record<string, string>][] = [
      [`/schedules/0${scheduleId}/seats`, admitted(0)],
      [`${path}/`, admitted(0)],
      [`${path}?status=available,held`, admitted(0)],
      [path, admitted(0, { 'if-none-match': first.headers.etag as string })],
      [path, admitted(0, { ...JSON_TYPE, 'content-length': '2' })],
    ];
    for (const [p, headers] of unusual) {
      const before = ctx.server.hot.served;
      const answer = await send(
        ctx.server.url,
        'GET',
        p,
        headers,
        headers['content-length'] ? '{}' : undefined,
      );
      expect(ctx.server.hot.served, `${p} ${JSON.stringify(headers)}`).toBe(before);
      expect(answer.status).toBeLessThan(500);
    }
  });
});

describe('the schedules list before express', () => {
  it('answers the list and its refusals as express does', async () => {
    const list = same(await both('GET', `/concerts/${concertId}/schedules`, admitted(0)), 200);
    expect(list).toHaveLength(2);
    expect(code(same(await both('GET', `/concerts/${concertId}/schedules`), 401))).toBe(
      'UNAUTHENTICATED',
    );
    const waitingList = await both(
      'GET',
      `/concerts/${waiting.concertId}/schedules`,
      notAdmitted(),
    );
    expect(code(same(waitingList, 403))).toBe('NOT_ADMITTED');
    // A queue token of another concert than the one asked for.
    const wrong = await both('GET', `/concerts/${waiting.concertId}/schedules`, admitted(0));
    expect(code(same(wrong, wrong.express.status))).toMatch(/QUEUE_TOKEN_INVALID|NOT_ADMITTED/);
  });
});

/** A reservation's answer with what differs between two holds (ids, times) masked. */
function shape(a: Answer) {
  const body = JSON.parse(a.body);
  const { etag: _e, 'content-length': _l, ...headers } = comparable(a).headers;
  return {
    status: a.status,
    headers,
    body: {
      ...body,
      id: 'x',
      createdAt: 'x',
      expiresAt: 'x',
      amount: 'x',
      seats: body.seats.length,
    },
  };
}

describe('the hold before express', () => {
  const hold = (body: unknown) => JSON.stringify({ scheduleId, ...(body as object) });

  it.each<[string, () => Record<string, string>, () => string | undefined, number, string]>([
    [
      'no access token',
      () => ({ 'x-queue-token': fans[0]!.queueToken, ...JSON_TYPE }),
      () => hold({ seatIds: [1] }),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'a body that is not JSON',
      () => admitted(0, JSON_TYPE),
      () => '{"scheduleId":',
      400,
      'MALFORMED_JSON',
    ],
    [
      'an empty seat list',
      () => admitted(0, JSON_TYPE),
      () => hold({ seatIds: [] }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'repeated seats',
      () => admitted(0, JSON_TYPE),
      () => hold({ seatIds: [5, 5] }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'both seat ids and count',
      () => admitted(0, JSON_TYPE),
      () => hold({ seatIds: [5], count: 1 }),
      400,
      'VALIDATION_FAILED',
    ],
    ['no body', () => admitted(0), () => undefined, 400, 'VALIDATION_FAILED'],
    [
      'a bad Idempotency-Key',
      () => admitted(0, { ...JSON_TYPE, 'idempotency-key': 'a b' }),
      () => hold({ seatIds: [5] }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a schedule id 0',
      () => admitted(0, JSON_TYPE),
      () => JSON.stringify({ scheduleId: 0, seatIds: [1] }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a fan not admitted to the concert',
      () => ({ ...notAdmitted(), ...JSON_TYPE }),
      () => hold({ seatIds: [1] }),
      403,
      'NOT_ADMITTED',
    ],
    [
      'an unknown schedule',
      () => admitted(0, JSON_TYPE),
      () => JSON.stringify({ scheduleId: 987654321, seatIds: [1] }),
      404,
      'SCHEDULE_NOT_FOUND',
    ],
    [
      'more seats than allowed',
      () => admitted(0, JSON_TYPE),
      () => hold({ count: 5 }),
      422,
      'SEAT_LIMIT_EXCEEDED',
    ],
  ])('refuses %s as express does', async (_case, headers, body, status, expected) => {
    const r = await both('POST', '/reservations', headers(), body());
    expect(code(same(r, status))).toBe(expected);
  });

  it('holds named and best-available seats with the same answer, refuses a taken seat, replays a key, refuses its reuse', async () => {
    const key = randomUUID();
    const named = hold({ seatIds: [seatIds[0], seatIds[1]] });
    const first = await send(
      ctx.server.url,
      'POST',
      '/reservations',
      admitted(1, { ...JSON_TYPE, 'idempotency-key': key }),
      named,
    );
    expect(first.status).toBe(201);
    // The same hold by another fan on express: the same shape of answer.
    const other = await send(
      expressUrl,
      'POST',
      '/reservations',
      admitted(2, JSON_TYPE),
      hold({ seatIds: [seatIds[2], seatIds[3]] }),
    );
    expect(shape(first)).toEqual(shape(other));

    const taken = await both(
      'POST',
      '/reservations',
      admitted(3, JSON_TYPE),
      hold({ seatIds: [seatIds[1]] }),
    );
    expect(code(same(taken, 409))).toBe('SEAT_UNAVAILABLE');

    // The retry of the first hold: its answer again (201, Idempotent-Replayed), on both paths.
    const replay = await both(
      'POST',
      '/reservations',
      admitted(1, { ...JSON_TYPE, 'idempotency-key': key }),
      named,
    );
    expect(same(replay, 201)).toEqual(JSON.parse(first.body));
    expect(replay.hot.headers['idempotent-replayed']).toBe('true');
    expect(replay.hot.headers.etag).toBe(first.headers.etag);

    const reused = await both(
      'POST',
      '/reservations',
      admitted(1, { ...JSON_TYPE, 'idempotency-key': key }),
      hold({ seatIds: [seatIds[5]] }),
    );
    expect(code(same(reused, 422))).toBe('IDEMPOTENCY_KEY_REUSED');

    const best = await send(
      ctx.server.url,
      'POST',
      '/reservations',
      admitted(4, JSON_TYPE),
      hold({ count: 2 }),
    );
    const bestExpress = await send(
      expressUrl,
      'POST',
      '/reservations',
      admitted(5, JSON_TYPE),
      hold({ count: 2 }),
    );
    expect(best.status).toBe(201);
    expect(shape(best)).toEqual(shape(bestExpress));
  });

  it('counts its answers in the same HTTP metric as express', async () => {
    const metric = async () => {
      const text = (await ctx.api.get('/metrics')).body as string;
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('lineup_http_request_duration_seconds_count{') &&
            l.includes('method="POST"') &&
            l.includes('route="/reservations"') &&
            l.includes('status="401"'),
        );
      return Number(line?.split(' ').pop() ?? 0);
    };
    const before = await metric();
    const served = ctx.server.hot.served;
    await send(ctx.server.url, 'POST', '/reservations');
    expect(ctx.server.hot.served).toBe(served + 1);
    expect(await metric()).toBe(before + 1);
  });
});

describe('the payment before express', () => {
  it('pays, replays a key, and refuses as express does', async () => {
    const held = await send(
      ctx.server.url,
      'POST',
      '/reservations',
      admitted(0, JSON_TYPE),
      JSON.stringify({ scheduleId, seatIds: [seatIds[10]] }),
    );
    expect(held.status).toBe(201);
    const id = JSON.parse(held.body).id as number;
    const path = `/reservations/${id}/payment`;
    const bearer = { authorization: `Bearer ${fans[0]!.token}` };

    expect(code(same(await both('POST', path), 401))).toBe('UNAUTHENTICATED');
    expect(code(same(await both('POST', path, { ...bearer, ...JSON_TYPE }, '{'), 400))).toBe(
      'MALFORMED_JSON',
    );
    const stranger = { authorization: `Bearer ${fans[1]!.token}` };
    expect(code(same(await both('POST', path, stranger), 404))).toBe('RESERVATION_NOT_FOUND');

    const key = randomUUID();
    const paid = await send(
      ctx.server.url,
      'POST',
      path,
      { ...bearer, 'idempotency-key': key, ...JSON_TYPE },
      '{}',
    );
    expect(paid.status).toBe(200);
    const replay = await both('POST', path, { ...bearer, 'idempotency-key': key });
    expect(same(replay, 200)).toEqual(JSON.parse(paid.body));
    expect(replay.hot.headers['idempotent-replayed']).toBe('true');
    expect(code(same(await both('POST', path, bearer), 409))).toBe('ALREADY_PAID');
  });
});
