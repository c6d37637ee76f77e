import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { comparable, comparer, send, type Answer } from '../support/hot-compare.js';
import { startTestServer } from '../support/server.js';
import { bulkFans, type TestFan } from '../support/users.js';

// The join and the status poll are answered before express (src/infra/http/hot-http.ts) when
// they are ordinary requests. A client must not be able to tell: every request below goes once
// to the instance (the hot path) and once to the same instance's express app alone (the express
// routes), and the two answers must be the same to the header — status, envelope, security
// headers, request id, Content-Type/Length, ETag, Retry-After. The instance counts what its hot
// path answered, so each case also says which path it took.
let db: TestDatabase;
let server: RunningServer;
let expressOnly: Server;
let api: Client;
let expressUrl: string;
let concertId: number;
let fans: TestFan[];

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db.url, { RATE_LIMIT_ENABLED: 'true' }, { startLeader: false });
  expressOnly = createServer(server.app);
  await new Promise<void>((resolve) => expressOnly.listen(0, '127.0.0.1', resolve));
  expressUrl = `http://127.0.0.1:${(expressOnly.address() as AddressInfo).port}`;
  api = client(server.url);
  ({ concertId } = await createConcert(api));
  await setQueuePolicy(api, concertId, { paused: true });
  fans = await bulkFans(server, 8);
});
afterAll(async () => {
  expressOnly?.close();
  await server?.close();
  await db?.drop();
});

const both = comparer(
  () => server,
  () => expressUrl,
);

const bearer = (fan: TestFan) => ({ authorization: `Bearer ${fan.token}` });
const JSON_TYPE = { 'content-type': 'application/json' };

describe('the join before express', () => {
  it.each([
    ['no access token', {}, undefined, 401, 'UNAUTHENTICATED'],
    [
      'a forged access token',
      { authorization: 'Bearer abc.def.ghi' },
      undefined,
      401,
      'UNAUTHENTICATED',
    ],
    ['a body that is not JSON', JSON_TYPE, '{"challenge":', 400, 'MALFORMED_JSON'],
    ['a JSON string (strict parse)', JSON_TYPE, '"text"', 400, 'MALFORMED_JSON'],
    ['a blank body', JSON_TYPE, '  \n ', 400, 'MALFORMED_JSON'],
  ] as const)('answers %s as express does', async (_case, headers, body, status, code) => {
    const { hot, express, tookHotPath } = await both(
      'POST',
      `/concerts/${concertId}/queue`,
      headers,
      body,
    );
    expect(tookHotPath).toBe(true);
    expect(hot.status).toBe(status);
    expect(JSON.parse(hot.body).error.code).toBe(code);
    expect(comparable(hot)).toEqual(comparable(express));
    expect(hot.headers['content-security-policy']).toBeDefined();
    expect(hot.headers.etag).toMatch(/^W\/"/);
  });

  it.each([
    ['an array', '[]'],
    ['an unknown field', '{"extra":1}'],
    ['an empty nonce', '{"challenge":{"nonce":"","solution":"x"}}'],
    ['a wrong-typed length', '{"challenge":{"nonce":{"length":{"toString":0}},"solution":"x"}}'],
  ])('refuses %s with 400 VALIDATION_FAILED and the same issues', async (_case, body) => {
    const { hot, express, tookHotPath } = await both(
      'POST',
      `/concerts/${concertId}/queue`,
      { ...bearer(fans[0]!), ...JSON_TYPE },
      body,
    );
    expect(tookHotPath).toBe(true);
    expect(hot.status).toBe(400);
    expect(JSON.parse(hot.body).error.details.issues.length).toBeGreaterThan(0);
    expect(comparable(hot)).toEqual(comparable(express));
  });

  it('answers an unknown concert with 404 CONCERT_NOT_FOUND and keeps the given request id', async () => {
    const headers = { ...bearer(fans[0]!), 'x-request-id': 'req-abc.1:2' };
    const { hot, express, tookHotPath } = await both('POST', '/concerts/987654321/queue', headers);
    expect(tookHotPath).toBe(true);
    expect(hot.status).toBe(404);
    expect(hot.headers['x-request-id']).toBe('req-abc.1:2');
    expect(comparable(hot, true)).toEqual(comparable(express, true));
  });

  it('joins (201, then 200 for the same place) with the same body, whichever path', async () => {
    const fan = fans[1]!;
    const created = await send(server.url, 'POST', `/concerts/${concertId}/queue`, bearer(fan));
    expect(created.status).toBe(201);
    // Byte-order mark, `{}` and no body at all: express.json reads all three as {}.
    const variants: [Record<string, string>, string | undefined][] = [
      [{}, undefined],
      [JSON_TYPE, '\uFEFF{}'],
      [{ 'content-type': 'Application/JSON; charset=UTF-8' }, ' {} '],
      [{ ...JSON_TYPE, 'content-length': '0' }, ''],
    ];
    for (const [headers, body] of variants) {
      const { hot, express, tookHotPath } = await both(
        'POST',
        `/concerts/${concertId}/queue?from=test`,
        { ...bearer(fan), ...headers },
        body,
      );
      expect(tookHotPath).toBe(true);
      expect(hot.status).toBe(200);
      expect(express.status).toBe(200);
      const [h, e] = [JSON.parse(hot.body), JSON.parse(express.body)];
      // The queue token is signed with the second it was made in: the rest must be equal.
      expect({ ...h, queueToken: 'x' }).toEqual({ ...e, queueToken: 'x' });
      const { etag: he, ...hotHeaders } = comparable(hot).headers;
      const { etag: ee, ...expressHeaders } = comparable(express).headers;
      expect(hotHeaders).toEqual(expressHeaders);
      if (h.queueToken === e.queueToken) expect(he).toBe(ee);
    }
  });

  it('refuses the 11th join within the window with 429 RATE_LIMITED and Retry-After on both paths', async () => {
    const fan = fans[2]!;
    for (let i = 0; i < 10; i++)
      expect(
        (await send(server.url, 'POST', `/concerts/${concertId}/queue`, bearer(fan))).status,
      ).toBeLessThan(300);
    const { hot, express, tookHotPath } = await both(
      'POST',
      `/concerts/${concertId}/queue`,
      bearer(fan),
    );
    expect(tookHotPath).toBe(true);
    expect(hot.status).toBe(429);
    expect(Number(hot.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Retry-After counts down: the two answers may fall in different seconds of the window.
    const strip = (a: Answer) => {
      const c = comparable(a);
      const body = JSON.parse(c.body);
      delete body.error.details;
      const { 'retry-after': _r, etag: _e, 'content-length': _l, ...rest } = c.headers;
      return { status: c.status, body, headers: rest };
    };
    expect(strip(hot)).toEqual(strip(express));
  });

  it('leaves to express what express alone would treat differently', async () => {
    const path = `/concerts/${concertId}/queue`;
    const unusual: [string, Record<string, string>, string | undefined][] = [
      ['/concerts/0123/queue', bearer(fans[3]!), undefined],
      [`${path}/`, bearer(fans[3]!), undefined],
      [path, { ...bearer(fans[3]!), 'content-type': 'text/plain' }, 'hello'],
      [path, { ...bearer(fans[3]!), ...JSON_TYPE, 'transfer-encoding': 'chunked' }, '{}'],
      [path, { ...bearer(fans[3]!), 'content-type': 'application/json; charset=latin1' }, '{}'],
      [path, { ...bearer(fans[3]!), ...JSON_TYPE, 'content-encoding': 'gzip' }, '{}'],
      [path, { ...bearer(fans[3]!), ...JSON_TYPE }, `{"pad":"${'x'.repeat(5_000)}"}`],
    ];
    for (const [p, headers, body] of unusual) {
      const before = server.hot.served;
      const answer = await send(server.url, 'POST', p, headers, body);
      expect(server.hot.served, `${p} ${JSON.stringify(headers)}`).toBe(before);
      expect(answer.status).toBeLessThan(500);
    }
  });

  it('counts its answers in the same HTTP metric as express', async () => {
    const metric = async () => {
      const text = (await api.get('/metrics')).body as string;
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('lineup_http_request_duration_seconds_count{') &&
            l.includes('method="POST"') &&
            l.includes('route="/concerts/:concertId/queue"') &&
            l.includes('status="401"'),
        );
      return Number(line?.split(' ').pop() ?? 0);
    };
    const before = await metric();
    const before401 = server.hot.served;
    await send(server.url, 'POST', `/concerts/${concertId}/queue`);
    expect(server.hot.served).toBe(before401 + 1);
    expect(await metric()).toBe(before + 1);
  });
});

describe('the status poll before express', () => {
  it('answers a place, a missing and a forged token as express does', async () => {
    const fan = fans[4]!;
    const joined = await send(server.url, 'POST', `/concerts/${concertId}/queue`, bearer(fan));
    const { queueToken } = JSON.parse(joined.body);
    const tokens: Record<string, string>[] = [
      { 'x-queue-token': queueToken },
      {},
      { 'x-queue-token': `${queueToken}x` },
      { 'x-queue-token': fan.token }, // an access token is no queue token
    ];
    for (const headers of tokens) {
      const { hot, express, tookHotPath } = await both('GET', '/queue/status?t=1', headers);
      expect(tookHotPath).toBe(true);
      expect(comparable(hot)).toEqual(comparable(express));
    }
    const ok = await send(server.url, 'GET', '/queue/status', { 'x-queue-token': queueToken });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ concertId, status: 'waiting' });
  });

  it('leaves a conditional poll to express, which answers 304 for an unchanged place', async () => {
    const joined = await send(server.url, 'POST', `/concerts/${concertId}/queue`, bearer(fans[5]!));
    const headers = { 'x-queue-token': JSON.parse(joined.body).queueToken as string };
    const first = await send(server.url, 'GET', '/queue/status', headers);
    const before = server.hot.served;
    const again = await send(server.url, 'GET', '/queue/status', {
      ...headers,
      'if-none-match': first.headers.etag as string,
    });
    expect(server.hot.served).toBe(before);
    expect(again.status).toBe(304);
    // A body on a GET is express.json's to parse (and to refuse).
    const withBody = await both(
      'GET',
      '/queue/status',
      { ...headers, ...JSON_TYPE, 'content-length': '1' },
      '{',
    );
    expect(withBody.tookHotPath).toBe(false);
    expect(withBody.hot.status).toBe(400);
  });
});
