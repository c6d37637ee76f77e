import { connect } from 'node:net';
import pg from 'pg';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { ERROR_CATALOGUE as ERRORS } from '@lineup/client-sdk/contract';

// Support for the property-based fuzz tests: a raw HTTP/1.1 client (bytes exactly as generated,
// nothing normalised by fetch), the response contract every answer must meet, and a watch that
// proves a rejected request wrote nothing to PostgreSQL or Redis.

export interface RawRequest {
  method: string;
  /** The request target exactly as sent: path and query, already encoded (or deliberately not). */
  target: string;
  headers?: [name: string, value: string][];
  /** Sent as UTF-8 with a matching Content-Length. */
  body?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
}

/** One request on its own connection (`Connection: close`), read to the end. */
export function rawRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const lines = [`${req.method} ${req.target} HTTP/1.1`, `Host: ${hostname}:${port}`];
  for (const [name, value] of req.headers ?? []) lines.push(`${name}: ${value}`);
  const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
  if (body) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close', '', '');
  const head = Buffer.from(lines.join('\r\n'), 'utf8');
  return sendBytes(baseUrl, body ? Buffer.concat([head, body]) : head).then((res) => {
    if (!res) throw new Error(`connection closed without an answer: ${req.method} ${req.target}`);
    return res;
  });
}

/**
 * Writes `bytes` to a new connection and reads the answer until the server closes it; null when
 * it closed without answering. The connection is not half-closed at once: Node's HTTP server
 * aborts a request whose client ends its side before the answer. Only when the server is still
 * waiting for bytes after `patienceMs` (a body shorter than announced) is our side ended.
 */
export function sendBytes(baseUrl: string, bytes: Buffer, patienceMs = 2_000) {
  const { hostname, port } = new URL(baseUrl);
  return new Promise<RawResponse | null>((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(patience);
      clearTimeout(deadline);
      try {
        resolve(chunks.length ? parseResponse(Buffer.concat(chunks)) : null);
      } catch (err) {
        reject(err as Error);
      }
    };
    const patience = setTimeout(() => socket.end(), patienceMs);
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`));
    }, patienceMs + 10_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    // The server may close the connection before reading everything we wrote.
    socket.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' || err.code === 'EPIPE' ? finish() : reject(err),
    );
    socket.on('close', finish);
    socket.write(bytes);
  });
}

function parseResponse(raw: Buffer): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`not an HTTP response: ${JSON.stringify(raw.toString('latin1'))}`);
  const [statusLine, ...headerLines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.subarray(split + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers, text, json };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; ;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/**
 * SPEC §3.7 and §4 for one answer: never a 5xx; an error is JSON in the one envelope, with a
 * catalogued code whose status is the one answered, and VALIDATION_FAILED lists its issues.
 */
export function expectContract(res: RawResponse, what: string): void {
  const context = `${what} -> ${res.status} ${res.text.slice(0, 500)}`;
  expect(res.status, context).toBeGreaterThanOrEqual(200);
  expect(res.status, context).toBeLessThan(500);
  if (res.status < 400) return;
  expect(res.headers['content-type'], context).toMatch(/^application\/json/);
  const body = res.json as { error?: Record<string, unknown> };
  expect(Object.keys(body ?? {}), context).toEqual(['error']);
  const error = body.error!;
  expect(error, context).toEqual({
    code: expect.any(String),
    message: expect.any(String),
    ...('details' in error ? { details: expect.any(Object) } : {}),
  });
  const code = error.code as keyof typeof ERRORS;
  expect(ERRORS[code]?.status, context).toBe(res.status);
  if (code === 'VALIDATION_FAILED') {
    const issues = (error.details as { issues?: unknown } | undefined)?.issues;
    expect(issues, context).toEqual(expect.any(Array));
    for (const issue of issues as unknown[])
      expect(issue, context).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
}

/** Error codes whose documented policy writes even though the request is refused. */
const WRITES_ON_PURPOSE = new Set([
  'INSUFFICIENT_POINTS', // counts the failed attempt; the fifth releases the hold (seed policy)
  'HOLD_EXPIRED', // the expired hold is marked expired and its seats freed (lazy expiry)
]);

// Redis keys that change with time rather than with requests: the leader's lease and tick
// bookkeeping (with the admissions history it appends every 10 ticks), and seat locks (taken
// and released inside one request).
const VOLATILE_KEYS = /\{leader\}|:meta$|:departures$|:admissions$|:lock:/;

const KEY_SIZES = `
local out = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
  local t = redis.call('TYPE', k).ok
  local n = 1
  if t == 'zset' then n = redis.call('ZCARD', k)
  elseif t == 'set' then n = redis.call('SCARD', k)
  elseif t == 'hash' then n = redis.call('HLEN', k)
  elseif t == 'list' then n = redis.call('LLEN', k) end
  out[#out + 1] = k .. ' ' .. t .. ' ' .. n
end
return out`;

type Snapshot = Record<string, string>;

/**
 * Snapshots every application table (row count and a digest of every row) and the size of every
 * Redis key, after each request. Requests run one at a time, so the snapshot after request n-1 is
 * the state before request n: a refused request must leave both unchanged. The Redis server must
 * be private to the test file (every key in it is looked at).
 */
export class WriteWatch {
  private readonly pg: pg.Client;
  private query = '';
  private last: Snapshot = {};
  private previous = '(none)';
  /** Requests checked, by outcome. */
  readonly seen = { accepted: 0, rejected: 0 };

  constructor(
    databaseUrl: string,
    private readonly redis: Redis,
  ) {
    this.pg = new pg.Client({ connectionString: databaseUrl });
  }

  async start(): Promise<void> {
    await this.pg.connect();
    const tables = await this.pg.query<{ name: string }>(
      `select table_name as name from information_schema.tables
       where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'mikro_orm_migrations'`,
    );
    this.query = tables.rows
      .map(
        ({ name }) =>
          `select '${name}' as t, count(*) || ' ' || md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as v from "${name}" x`,
      )
      .join(' union all ');
    this.last = await this.snapshot();
  }

  /** The tables the snapshot covers. */
  get tables(): string[] {
    return Object.keys(this.last).filter((k) => k.startsWith('table '));
  }

  async snapshot(): Promise<Snapshot> {
    const [rows, keys] = await Promise.all([
      this.pg.query<{ t: string; v: string }>(this.query),
      this.redis.eval(KEY_SIZES, 0) as Promise<string[]>,
    ]);
    const snap: Snapshot = {};
    for (const { t, v } of rows.rows) snap[`table ${t}`] = v;
    for (const line of keys) {
      const [key, type, size] = line.split(' ');
      if (!VOLATILE_KEYS.test(key!)) snap[`redis ${key}`] = `${type} ${size}`;
    }
    return snap;
  }

  /** Call after every request: a refused one (4xx) must not have changed anything. */
  async check(res: RawResponse, what: string): Promise<void> {
    const code = (res.json as { error?: { code?: string } } | undefined)?.error?.code;
    if (res.status < 400) {
      this.seen.accepted++;
      this.last = await this.snapshot();
      this.previous = `${what} -> ${res.status}`;
      return;
    }
    if (code && WRITES_ON_PURPOSE.has(code)) {
      this.seen.rejected++;
      this.last = await this.snapshot();
      return;
    }
    await this.expectUnchanged(`${what} -> ${res.status} ${code}`);
  }

  /** Nothing may have changed since the last snapshot (the last request was refused). */
  async expectUnchanged(what: string): Promise<void> {
    this.seen.rejected++;
    const now = await this.snapshot();
    const before = this.last;
    const previous = this.previous;
    this.last = now;
    this.previous = what;
    const changed = [...new Set([...Object.keys(before), ...Object.keys(now)])]
      .filter((k) => before[k] !== now[k])
      .map((k) => `${k}: ${before[k] ?? '(none)'} -> ${now[k] ?? '(none)'}`);
    expect(changed, `${what} wrote (the step before: ${previous})`).toEqual([]);
  }

  /** Re-reads the state (after setup steps that wrote on purpose). */
  async rebase(): Promise<void> {
    this.last = await this.snapshot();
  }

  async close(): Promise<void> {
    await this.pg.end();
  }
}
