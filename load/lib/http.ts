import type { FetchLike } from '@lineup/client-sdk';
import { SourceAddresses } from './addresses.js';
import { Http1Pool, type Http1Error, type Http1Request } from './http1.js';

export interface HttpOptions {
  /**
   * Kept-alive connections per (target, source address), on average: a target's connections are
   * one pool (any idle one serves a request) of at most maxSockets x the number of sources.
   */
  maxSockets?: number;
  /** Spread connections over these local addresses (127.0.0.x on loopback). */
  sources?: SourceAddresses;
  timeoutMs?: number;
}

/** How a reused connection fails when its server had closed it before reading our request. */
const STALE = new Set([
  'ECONNRESET',
  'EPIPE',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_DESTROYED',
]);

/**
 * The SDK's `fetch`, on kept-alive HTTP/1.1 connections (http1.ts) with a chosen source address
 * per request (the server's per-address limits then see many clients, as in the field). Lighter
 * than undici or node:http requests for every call, and it lets the runner pick `localAddress`.
 */
export function loadFetch(
  options: HttpOptions = {},
): FetchLike & { agent: { destroy(): void }; pool: Http1Pool; stats: { staleRetries: number } } {
  const sources = options.sources;
  const pool = new Http1Pool(
    (options.maxSockets ?? 64) * (sources?.list.length ?? 1),
    options.timeoutMs ?? 30_000,
  );
  const stats = { staleRetries: 0 };
  const origins = new Map<string, { host: string; port: number }>();
  const fetchLike = async (input: string, init: RequestInit = {}): Promise<Response> => {
    // http://host:port/path?query: the origin is parsed once, not a URL object per request.
    const slash = input.indexOf('/', input.indexOf('//') + 2);
    const origin = slash < 0 ? input : input.slice(0, slash);
    let target = origins.get(origin);
    if (!target) {
      const url = new URL(origin);
      if (url.protocol !== 'http:')
        throw new TypeError(`the load runner speaks http only: ${input}`);
      target = { host: url.hostname, port: Number(url.port || 80) };
      origins.set(origin, target);
    }
    const req: Http1Request = {
      host: target.host,
      port: target.port,
      localAddress: sources?.next(),
      method: init.method ?? 'GET',
      path: slash < 0 ? '/' : input.slice(slash),
      headers: headersOf(init.headers),
      body: init.body as string | undefined,
    };
    for (let retries = 0; ; retries++) {
      try {
        const answer = await pool.request(req);
        return liteResponse(answer.status, answer.headers, answer.body);
      } catch (e) {
        const err = e as Http1Error;
        // The keep-alive race (Node's http docs, `request.reusedSocket`): the server closed an
        // idle connection just as we reused it, before answering. Send again on another
        // connection (up to 3 times: several idle ones may have gone at once), counted.
        if (retries < 3 && err.reused && !err.answered && STALE.has(err.code ?? '')) {
          stats.staleRetries++;
          continue;
        }
        if (err.code === 'ECONNRESET')
          err.message = `${err.message} (reused connection: ${err.reused ?? false})`;
        throw err;
      }
    }
  };
  return Object.assign((input: string, init?: RequestInit) => fetchLike(input, init), {
    agent: pool,
    pool,
    stats,
  });
}

/** The request's headers as a plain object (the SDK passes one already). */
function headersOf(init: HeadersInit | undefined): Record<string, string> {
  if (init === undefined) return {};
  if (init instanceof Headers || Array.isArray(init)) {
    const out: Record<string, string> = {};
    new Headers(init).forEach((v, k) => (out[k] = v));
    return out;
  }
  return init;
}

/**
 * What the SDK reads of a Response (ok, status, headers.get, text, json), without building a
 * WHATWG Response, Headers and body stream per request: those were about a sixth of the runner's
 * CPU in the booking mix (undici and web streams in its profile), CPU the server then lacks.
 * Classes, not an object of closures: no functions made per response.
 */
class LiteHeaders {
  constructor(private readonly all: Record<string, string>) {}
  get(name: string): string | null {
    return this.all[name.toLowerCase()] ?? null;
  }
}

class LiteResponse {
  readonly ok: boolean;
  readonly headers: LiteHeaders;
  constructor(
    readonly status: number,
    headers: Record<string, string>,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new LiteHeaders(headers);
  }
  text(): Promise<string> {
    return Promise.resolve(this.body);
  }
  json(): Promise<unknown> {
    return Promise.resolve(this.body).then(JSON.parse);
  }
}

function liteResponse(status: number, headers: Record<string, string>, text: string): Response {
  return new LiteResponse(status, headers, text) as unknown as Response;
}
