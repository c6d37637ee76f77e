import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectContract, rawRequest, sendBytes } from '../support/fuzz.js';
import { pathParam, queryString } from '../support/fuzz-arbitraries.js';
import { FUZZ_ROUTES, httpFuzzWorld, type HttpFuzzWorld } from '../support/fuzz-fixture.js';
import { fuzzEndpoint, sendChecked } from '../support/fuzz-requests.js';

// SPEC §3.7 by property: arbitrary params, query strings, credentials, headers and bodies on
// every endpoint of §4 (the booking ones are in fuzz-http-booking.test.ts), sent as raw HTTP.
// Never a 5xx, every error in the envelope, and a refused request writes nothing: every table
// and every Redis key is compared before and after each request (support/fuzz.ts).

let world: HttpFuzzWorld;
beforeAll(async () => {
  world = await httpFuzzWorld();
});
afterAll(() => world?.close());

const RUNS = 200;

it('fuzzes every route the API declares (GET /openapi.json)', async () => {
  const res = await rawRequest(world.server.url, { method: 'GET', target: '/openapi.json' });
  const doc = res.json as { paths: Record<string, Record<string, unknown>> };
  const declared = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
  expect(declared.length).toBeGreaterThan(20);
  const fuzzed = [...FUZZ_ROUTES.http, ...FUZZ_ROUTES.booking];
  expect(
    declared.filter((r) => !fuzzed.includes(r)),
    'declared but not fuzzed',
  ).toEqual([]);
  expect(
    fuzzed.filter((r) => !declared.includes(r)),
    'fuzzed but not declared',
  ).toEqual([]);
  expect(world.endpoints.map((e) => `${e.method} ${e.path}`).sort()).toEqual(fuzzed.sort());
});

describe('arbitrary requests to each endpoint', () => {
  it.each(FUZZ_ROUTES.http)('%s', async (route) => {
    await fuzzEndpoint(world, route, RUNS);
  });
});

describe('beyond the declared routes', () => {
  it('answers arbitrary paths and methods within the contract, writing nothing on a refusal', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE');
    const segments = fc.array(pathParam(['users', 'me', 'concerts', 'queue', 'admin', '1']), {
      minLength: 0,
      maxLength: 5,
    });
    await fc.assert(
      fc.asyncProperty(method, segments, queryString, async (m, segs, query) => {
        const target = `/${segs.join('/')}${query}`;
        await sendChecked(world, { method: m, target });
      }),
      { numRuns: RUNS },
    );
  });

  it('serves the operational endpoints whatever the query and headers', async () => {
    const path = fc.constantFrom('/healthz', '/readyz', '/metrics', '/openapi.json');
    await fc.assert(
      fc.asyncProperty(path, queryString, fc.string({ maxLength: 100 }), async (p, q, junk) => {
        const headers: [string, string][] = [['Authorization', `Bearer ${junk}`]];
        const res = await sendChecked(world, { method: 'GET', target: p + q, headers });
        expect(res.status).toBe(200);
      }),
      { numRuns: 40 },
    );
  });
});

describe('protocol-level garbage', () => {
  const LINES = [
    'GET / HTTP/1.1',
    'FOO /users HTTP/1.1',
    'POST /users HTTP/9.9',
    'POST /users',
    'GET /users/me/points\u0000 HTTP/1.1',
    'GET /ü HTTP/1.1',
    '',
  ];
  const HEADERS = [
    'Content-Length: -1',
    'Content-Length: 1, 2',
    'Content-Length: 5\r\nContent-Length: 6',
    'Transfer-Encoding: chunked',
    'Transfer-Encoding: chunked\r\nContent-Length: 3',
    'Transfer-Encoding: gzip, chunked',
    'X-Bad: a\u0001b',
    'Authorization: Bearer \u00e9\u4e2d',
    'No-Colon',
    ' Leading: space',
    `X-Long: ${'x'.repeat(20_000)}`,
    'Content-Type: application/json',
  ];
  it('never answers 5xx, answers what reaches the app in the envelope, writes nothing', async () => {
    const bytes = fc.tuple(
      fc.constantFrom(...LINES),
      fc.array(fc.constantFrom(...HEADERS), { maxLength: 4 }),
      fc.oneof(
        fc.constant(''),
        fc.string({ unit: 'binary', maxLength: 50 }),
        fc.constant('zz\r\n{}\r\n0\r\n\r\n'),
      ),
    );
    let reachedApp = 0;
    await fc.assert(
      fc.asyncProperty(bytes, async ([line, headers, body]) => {
        const text = [line, 'Host: 127.0.0.1', ...headers, 'Connection: close', '', body].join(
          '\r\n',
        );
        const res = await sendBytes(world.server.url, Buffer.from(text, 'utf8'));
        if (!res) return; // closed without an answer
        expect(res.status, text.slice(0, 300)).toBeLessThan(500);
        // Node's HTTP parser answers a bare 400 before express sees the request; every answer
        // from the application carries X-Request-Id.
        if (res.headers['x-request-id']) {
          reachedApp++;
          expectContract(res, text.slice(0, 300));
        }
        await world.watch.check(res, text.slice(0, 300));
      }),
      { numRuns: 150 },
    );
    expect(reachedApp).toBeGreaterThan(0);
  });
});

describe('afterwards', () => {
  it('is still up, and a valid request still works', async () => {
    expect((await rawRequest(world.server.url, { method: 'GET', target: '/healthz' })).status).toBe(
      200,
    );
    const ep = world.endpoints.find((e) => e.path === '/users/me/points')!;
    const res = await rawRequest(world.server.url, {
      method: 'GET',
      target: ep.path,
      headers: [['Authorization', `Bearer ${ep.auth[0]}`]],
    });
    expect(res.status).toBe(200);
    expect(world.watch.seen.rejected).toBeGreaterThan(1_000);
  });
});
