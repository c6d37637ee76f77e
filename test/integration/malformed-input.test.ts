import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT } from '../../src/app.js';
import { sql } from '../support/db.js';
import { signUp, uniquePhone } from '../support/http.js';
import { ADMIN_TOKEN, useTestServer } from '../support/server.js';

// SPEC §3.7: bad input gets a clear 4xx in the error envelope, never a 500, never a partial write.

const ctx = useTestServer();
let concertId: number;
let venueId: number;
const tokens: Record<string, string> = {};

// SPEC's tables; rowCounts() covers these and any table added later.
const TABLES = `users wallets point_ledger idempotency_keys venues seats concerts schedules
  schedule_seats reservations reservation_items payments`.split(/\s+/);

/** Row counts of every table of the application (new tables are picked up automatically). */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }>(
    ctx.db.url,
    `select table_name as name from information_schema.tables
     where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'mikro_orm_migrations'`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await sql<{ n: string }>(ctx.db.url, `select count(*) as n from "${name}"`);
    counts[name] = Number(row!.n);
  }
  return counts;
}

beforeAll(async () => {
  const fan = await signUp(ctx.api);
  await ctx.api.post('/users/me/points/charge', { amount: 5_000 }, { token: fan.token });
  const secret = new TextEncoder().encode(ctx.server.config.authJwtSecret);
  const jwt = (sub: string, exp: number | string = '1h', key = secret) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setExpirationTime(exp)
      .sign(key);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  Object.assign(tokens, {
    fan: fan.token,
    admin: ADMIN_TOKEN,
    forged: await jwt(String(fan.id), '1h', new TextEncoder().encode('another-secret-0123456789')),
    expired: await jwt(String(fan.id), Math.floor(Date.now() / 1000) - 60),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: String(fan.id) })}.`,
    garbage: 'not.a.jwt',
    subNotNumber: await jwt('abc'),
    subZero: await jwt('0'),
    unknownUser: await jwt('999999'),
    hugeSub: await jwt(String(2 ** 40)),
    wrongAdmin: 'not-the-admin-token',
  });
  const admin = { token: ADMIN_TOKEN };
  const hall = { name: 'Probe Hall', rows: [{ name: 'A', seats: 3, grade: 'R' }] };
  venueId = (await ctx.api.post('/admin/venues', hall, admin)).body.id;
  const concert = { title: 'Probe', artist: 'P', saleOpensAt: '2030-01-01T00:00:00Z' };
  concertId = (await ctx.api.post('/admin/concerts', concert, admin)).body.id;
});

interface Case {
  name: string;
  method: 'GET' | 'POST';
  /** `:concert` is replaced by the concert created in beforeAll. */
  path: string;
  query?: string;
  /** A function when the body needs an id created in beforeAll. */
  body?: unknown;
  raw?: string;
  as?: string; // key of `tokens`; unauthenticated when absent
  headers?: Record<string, string>;
  status: number;
  code: string;
}
type Row = [name: string, input: unknown, status: number, code: string];

const KB10 = 'x'.repeat(10_240);
const V = 'VALIDATION_FAILED';
const future = '2031-06-01T19:00:00+09:00';
const prices = { VIP: 150_000, R: 120_000, S: 90_000, A: 60_000 };
const user = () => ({ name: 'Fan', phone: uniquePhone(), password: 'password123' });
const SCHEDULES = '/admin/concerts/:concert/schedules';
const schedule = (patch: object) => () => ({ venueId, startsAt: future, prices, ...patch });

/** One case per row; `put` says where the row's input goes (JSON body by default). */
function group(
  method: Case['method'],
  path: string,
  as: string | undefined,
  rows: Row[],
  put: (input: unknown) => Partial<Case> = (body) => ({ body }),
): Case[] {
  return rows.map(([name, input, status, code]) => {
    return { name: `${method} ${path}: ${name}`, method, path, as, status, code, ...put(input) };
  });
}
const raw = (input: unknown) => ({ raw: input as string });
const query = (input: unknown) => ({ query: input as string });
const token = (body?: unknown) => (input: unknown) => ({ as: input as string, body });

// prettier-ignore
const BAD_USER_TOKENS: Row[] = [
  ['no token', undefined, 401, 'UNAUTHENTICATED'],
  ['forged token', 'forged', 401, 'UNAUTHENTICATED'],
  ['expired token', 'expired', 401, 'UNAUTHENTICATED'],
  ['alg none token', 'algNone', 401, 'UNAUTHENTICATED'],
  ['garbage token', 'garbage', 401, 'UNAUTHENTICATED'],
  ['token with sub abc', 'subNotNumber', 401, 'UNAUTHENTICATED'],
  ['token with sub 0', 'subZero', 401, 'UNAUTHENTICATED'],
  ['the admin token', 'admin', 401, 'UNAUTHENTICATED'],
  ['token of an unknown user', 'unknownUser', 404, 'USER_NOT_FOUND'],
  ['token with sub 2**40', 'hugeSub', 404, 'USER_NOT_FOUND'],
];
// prettier-ignore
const BAD_ADMIN_TOKENS: Row[] = [
  ['no token', undefined, 401, 'UNAUTHENTICATED'],
  ['wrong admin token', 'wrongAdmin', 401, 'UNAUTHENTICATED'],
  ["a fan's access token", 'fan', 401, 'UNAUTHENTICATED'],
];
// prettier-ignore
const BAD_JSON: Row[] = [
  ['truncated JSON', '{"name": "a", ', 400, 'MALFORMED_JSON'],
  ['single-quoted JSON', "{'amount': 1000}", 400, 'MALFORMED_JSON'],
  ['a bare JSON string', '"hello"', 400, 'MALFORMED_JSON'],
  ['JSON null', 'null', 400, 'MALFORMED_JSON'],
  ['an empty array', '[]', 400, V],
  ['5,000 nested arrays', '['.repeat(5_000) + ']'.repeat(5_000), 400, V],
  ['a __proto__ key', '{"__proto__": {"admin": true}}', 400, V],
];

// prettier-ignore
const CASES: Case[] = [
  ...group('POST', '/users', undefined, [
    ['empty object', {}, 400, V],
    ['name is a number', { ...user(), name: 1 }, 400, V],
    ['name is null', { ...user(), name: null }, 400, V],
    ['name is blank', { ...user(), name: '   ' }, 400, V],
    ['name of 10 KB', { ...user(), name: KB10 }, 400, V],
    ['name with NUL', { ...user(), name: 'a\u0000b' }, 400, V],
    ['phone is a number', { ...user(), phone: 1012345678 }, 400, V],
    ['phone with letters', { ...user(), phone: '010-abcd-5678' }, 400, V],
    ['phone of 21 digits', { ...user(), phone: '+012345678901234567890' }, 400, V],
    ['phone of 10 KB', { ...user(), phone: KB10 }, 400, V],
    ['password too short', { ...user(), password: 'short' }, 400, V],
    ['password of 10 KB', { ...user(), password: KB10 }, 400, V],
    ['password missing', { name: 'Fan', phone: uniquePhone() }, 400, V],
    ['unknown extra field', { ...user(), role: 'admin' }, 400, V],
    ['array of a valid user', [user()], 400, V],
  ]),
  ...group('POST', '/users', undefined, BAD_JSON, raw),
  ...group('POST', '/auth/login', undefined, [
    ['empty object', {}, 400, V],
    ['phone is a number', { phone: 1012345678, password: 'password123' }, 400, V],
    ['password of 10 KB', { phone: '010-0000-0000', password: KB10 }, 400, V],
    ['empty password', { phone: '010-0000-0000', password: '' }, 400, V],
    ['unknown extra field', { phone: '010-0000-0000', password: 'password123', otp: 1 }, 400, V],
    ['unknown phone', { phone: '010-9999-0000', password: 'password123' }, 401, 'INVALID_CREDENTIALS'],
  ]),
  ...group('POST', '/auth/login', undefined, BAD_JSON.slice(0, 4), raw),
  ...group('GET', '/users/me/points', undefined, BAD_USER_TOKENS, token()),
  ...group('POST', '/users/me/points/charge', undefined, BAD_USER_TOKENS, token({ amount: 1_000 })),
  ...group('POST', '/users/me/points/charge', 'fan', [
    ['empty object', {}, 400, V],
    ['amount is a string', { amount: '1000' }, 400, V],
    ['amount of 10 KB', { amount: KB10 }, 400, V],
    ['amount is null', { amount: null }, 400, V],
    ['amount is a boolean', { amount: true }, 400, V],
    ['amount is an array', { amount: [1_000] }, 400, V],
    ['amount 1e308', { amount: 1e308 }, 400, V],
    ['amount 2**53', { amount: 2 ** 53 }, 400, V],
    ['amount 1.5', { amount: 1.5 }, 400, V],
    ['amount -1', { amount: -1 }, 422, 'CHARGE_AMOUNT_OUT_OF_RANGE'],
    ['amount 999', { amount: 999 }, 422, 'CHARGE_AMOUNT_OUT_OF_RANGE'],
    ['amount 2**53-1', { amount: 2 ** 53 - 1 }, 422, 'CHARGE_AMOUNT_OUT_OF_RANGE'],
    ['unknown extra field', { amount: 1_000, currency: 'USD' }, 400, V],
    ['array of a valid body', [{ amount: 1_000 }], 400, V],
  ]),
  ...group('POST', '/users/me/points/charge', 'fan', BAD_JSON, raw),
  ...group('POST', '/users/me/points/charge', 'fan', [
    ['out of range, with a key', ['k-range', 1_000_001], 422, 'CHARGE_AMOUNT_OUT_OF_RANGE'],
    ['Idempotency-Key of 300 chars', ['k'.repeat(300), 1_000], 400, V],
    ['Idempotency-Key with a space', ['a key', 1_000], 400, V],
  ], (input) => {
    const [key, amount] = input as [string, number];
    return { body: { amount }, headers: { 'idempotency-key': key } };
  }),
  ...group('GET', '/users/me/points/history', undefined, BAD_USER_TOKENS.slice(0, 8), token()),
  ...group('GET', '/users/me/points/history', 'fan', [
    ['cursor abc', '?cursor=abc', 400, V],
    ['cursor 0', '?cursor=0', 400, V],
    ['cursor -1', '?cursor=-1', 400, V],
    ['cursor 1.5', '?cursor=1.5', 400, V],
    ['cursor 2**64', `?cursor=${2n ** 64n}`, 400, V],
    ['cursor of 10 KB', `?cursor=${'9'.repeat(10_240)}`, 400, V],
    ['cursor twice', '?cursor=1&cursor=2', 400, V],
    ['limit 0', '?limit=0', 400, V],
    ['limit 101', '?limit=101', 400, V],
    ['limit -1', '?limit=-1', 400, V],
    ['limit 1.5', '?limit=1.5', 400, V],
    ['limit abc', '?limit=abc', 400, V],
    ['limit 1e308', '?limit=1e308', 400, V],
    ['unknown parameter', '?sort=asc', 400, V],
  ], query),
  ...group('POST', '/admin/venues', undefined, BAD_ADMIN_TOKENS, token({ name: 'Never', seats: [{ label: 'A-1', grade: 'R' }] })),
  ...group('POST', '/admin/venues', 'admin', [
    ['empty object', {}, 400, V],
    ['no seats', { name: 'Never', seats: [] }, 400, V],
    ['seats and rows', { name: 'Never', seats: [{ label: 'A-1', grade: 'R' }], rows: [{ name: 'B', seats: 1, grade: 'R' }] }, 400, V],
    ['unknown grade', { name: 'Never', seats: [{ label: 'A-1', grade: 'GOLD' }] }, 400, V],
    ['label of 10 KB', { name: 'Never', seats: [{ label: KB10, grade: 'R' }] }, 400, V],
    ['label is a number', { name: 'Never', seats: [{ label: 1, grade: 'R' }] }, 400, V],
    ['duplicate labels', { name: 'Never', seats: [{ label: 'A-1', grade: 'R' }, { label: 'A-1 ', grade: 'S' }] }, 400, V],
    ['name of 10 KB', { name: KB10, seats: [{ label: 'A-1', grade: 'R' }] }, 400, V],
    ['name with NUL', { name: 'Ne\u0000ver', seats: [{ label: 'A-1', grade: 'R' }] }, 400, V],
    ['row seats -1', { name: 'Never', rows: [{ name: 'A', seats: -1, grade: 'R' }] }, 400, V],
    ['row seats 1.5', { name: 'Never', rows: [{ name: 'A', seats: 1.5, grade: 'R' }] }, 400, V],
    ['row seats 1e308', { name: 'Never', rows: [{ name: 'A', seats: 1e308, grade: 'R' }] }, 400, V],
    ['row seats 2**53', { name: 'Never', rows: [{ name: 'A', seats: 2 ** 53, grade: 'R' }] }, 400, V],
    ['row name with NUL', { name: 'Never', rows: [{ name: 'A\u0000', seats: 2, grade: 'R' }] }, 400, V],
    ['seats is an object', { name: 'Never', seats: { label: 'A-1', grade: 'R' } }, 400, V],
    ['unknown extra field', { name: 'Never', seats: [{ label: 'A-1', grade: 'R' }], city: 'Seoul' }, 400, V],
    ['name already taken', { name: 'Probe Hall', seats: [{ label: 'A-1', grade: 'R' }] }, 409, 'VENUE_NAME_TAKEN'],
  ]),
  ...group('POST', '/admin/venues', 'admin', BAD_JSON, raw),
  ...group('POST', '/admin/concerts', undefined, BAD_ADMIN_TOKENS, token({ title: 'Never', artist: 'N', saleOpensAt: future })),
  ...group('POST', '/admin/concerts', 'admin', [
    ['empty object', {}, 400, V],
    ['title of 10 KB', { title: KB10, artist: 'N', saleOpensAt: future }, 400, V],
    ['blank title', { title: ' ', artist: 'N', saleOpensAt: future }, 400, V],
    ['artist with NUL', { title: 'Never', artist: 'N\u0000', saleOpensAt: future }, 400, V],
    ['saleOpensAt in words', { title: 'Never', artist: 'N', saleOpensAt: 'tomorrow' }, 400, V],
    ['saleOpensAt a number', { title: 'Never', artist: 'N', saleOpensAt: 1_900_000_000_000 }, 400, V],
    ['saleOpensAt without offset', { title: 'Never', artist: 'N', saleOpensAt: '2031-01-01T00:00:00' }, 400, V],
    ['saleOpensAt on Feb 30', { title: 'Never', artist: 'N', saleOpensAt: '2031-02-30T00:00:00Z' }, 400, V],
    ['saleOpensAt in year 0', { title: 'Never', artist: 'N', saleOpensAt: '0000-01-01T00:00:00Z' }, 400, V],
    ['saleOpensAt after 9999 UTC', { title: 'Never', artist: 'N', saleOpensAt: '9999-12-31T23:00:00-05:00' }, 400, V],
    ['unknown extra field', { title: 'Never', artist: 'N', saleOpensAt: future, genre: 'pop' }, 400, V],
    ['array of a valid body', [{ title: 'Never', artist: 'N', saleOpensAt: future }], 400, V],
  ]),
  ...group('POST', '/admin/concerts', 'admin', BAD_JSON.slice(0, 5), raw),
  ...group('POST', SCHEDULES, undefined, BAD_ADMIN_TOKENS, token(schedule({}))),
  ...['0', '-1', 'abc', '1.5', String(2 ** 40), '%E0%A4%A'].flatMap((id) =>
    group('POST', `/admin/concerts/${id}/schedules`, 'admin', [['bad concert id', schedule({}), 400, V]])),
  ...group('POST', '/admin/concerts/999999/schedules', 'admin', [['unknown concert', schedule({}), 404, 'CONCERT_NOT_FOUND']]),
  ...group('POST', SCHEDULES, 'admin', [
    ['empty object', {}, 400, V],
    ['unknown venue', schedule({ venueId: 999_999 }), 404, 'VENUE_NOT_FOUND'],
    ...['0', '-1', '1.5', '"1"', String(2 ** 40), '1e308'].map((v): Row => [`venueId ${v}`, schedule({ venueId: JSON.parse(v) }), 400, V]),
    ['startsAt in the past', schedule({ startsAt: '2001-01-01T00:00:00Z' }), 400, V],
    ['startsAt of 10 KB', schedule({ startsAt: KB10 }), 400, V],
    ['a grade price missing', schedule({ prices: { VIP: 1, R: 1, S: 1 } }), 400, V],
    ['a negative price', schedule({ prices: { ...prices, A: -1 } }), 400, V],
    ['a fractional price', schedule({ prices: { ...prices, A: 1.5 } }), 400, V],
    ['a price of 1e308', schedule({ prices: { ...prices, A: 1e308 } }), 400, V],
    ['an unknown grade price', schedule({ prices: { ...prices, GOLD: 1 } }), 400, V],
    ['unknown extra field', schedule({ hall: 'B' }), 400, V],
  ]),
  ...group('POST', SCHEDULES, 'admin', BAD_JSON.slice(0, 5), raw),
  { name: 'unknown route', method: 'GET', path: '/nope', status: 404, code: 'NOT_FOUND' },
  { name: 'POST on a GET-only route', method: 'POST', path: '/concerts', body: {}, status: 404, code: 'NOT_FOUND' },
  { name: 'GET /concerts/abc', method: 'GET', path: '/concerts/abc', status: 404, code: 'NOT_FOUND' },
  { name: 'latin1 charset', method: 'POST', path: '/users', raw: '{}', headers: { 'content-type': 'application/json; charset=latin1' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'gzip header on a plain body', method: 'POST', path: '/users', raw: '{}', headers: { 'content-encoding': 'gzip' }, status: 400, code: V },
  { name: 'text/plain body', method: 'POST', path: '/users', raw: JSON.stringify(user()), headers: { 'content-type': 'text/plain' }, status: 400, code: V },
];

function expectEnvelope(body: unknown, code: string): void {
  expect(body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  const error = (body as { error: { details?: { issues?: unknown } } }).error;
  if (code === V) {
    expect(error.details?.issues).toEqual(
      expect.arrayContaining([{ path: expect.any(String), message: expect.any(String) }]),
    );
  }
}

describe('malformed input on every endpoint', () => {
  let before: Record<string, number>;
  beforeAll(async () => {
    before = await rowCounts();
    expect(Object.keys(before)).toEqual(expect.arrayContaining(TABLES));
  });

  it.each(CASES)('$name -> $status $code', async (c) => {
    const path = c.path.replace(':concert', String(concertId)) + (c.query ?? '');
    const body = typeof c.body === 'function' ? (c.body as () => unknown)() : c.body;
    const token = c.as ? tokens[c.as] : undefined;
    const res = await ctx.api.request(c.method, path, body, {
      token,
      raw: c.raw,
      headers: c.headers,
    });
    expect(res.status).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectEnvelope(res.body, c.code);
  });

  it('wrote nothing to any table', async () => {
    expect(await rowCounts()).toEqual(before);
  });
});

describe('request size and parsing', () => {
  const limitBytes = Number(/^(\d+)kb$/.exec(BODY_LIMIT)?.[1]) * 1024;
  const bodyOfSize = (bytes: number) => {
    const shell = JSON.stringify({ name: '', phone: uniquePhone(), password: 'password123' });
    return shell.replace('"name":""', `"name":"${'x'.repeat(bytes - shell.length)}"`);
  };

  it(`answers 413 PAYLOAD_TOO_LARGE one byte over BODY_LIMIT (${BODY_LIMIT}), and reads a body at the limit`, async () => {
    expect(limitBytes).toBe(256 * 1024);
    const over = await ctx.api.post('/users', undefined, { raw: bodyOfSize(limitBytes + 1) });
    expect(over.status).toBe(413);
    expectEnvelope(over.body, 'PAYLOAD_TOO_LARGE');
    const at = await ctx.api.post('/users', undefined, { raw: bodyOfSize(limitBytes) });
    expect(at.status).toBe(400);
    expectEnvelope(at.body, V);
    expect(at.body.error.details.issues[0].path).toBe('body.name');
  });

  it('answers 400 MALFORMED_JSON for unparsable JSON and 404 NOT_FOUND for an unknown route', async () => {
    const bad = await ctx.api.post('/users', undefined, { raw: '{"name":' });
    expect(bad.status).toBe(400);
    expectEnvelope(bad.body, 'MALFORMED_JSON');
    const unknown = await ctx.api.get('/no/such/route');
    expect(unknown.status).toBe(404);
    expectEnvelope(unknown.body, 'NOT_FOUND');
  });
});
