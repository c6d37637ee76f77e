import http from 'node:http';
import type { FetchLike } from '@lineup/client-sdk';
import { SourceAddresses } from './addresses.js';

export interface HttpOptions {
  /** Kept-alive connections per (target, source address). */
  maxSockets?: number;
  /** Spread connections over these local addresses (127.0.0.x on loopback). */
  sources?: SourceAddresses;
  timeoutMs?: number;
}

/**
 * The SDK's `fetch`, on node:http with a keep-alive agent and a chosen source address per
 * request (the server's per-address limits then see many clients, as in the field). Lighter
 * than building undici requests for every call, and it lets the runner pick `localAddress`.
 */
export function loadFetch(
  options: HttpOptions = {},
): FetchLike & { agent: http.Agent; stats: { staleRetries: number } } {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: options.maxSockets ?? 64,
    scheduling: 'fifo',
  });
  const sources = options.sources;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const stats = { staleRetries: 0 };
  const fetchLike = (input: string, init: RequestInit = {}, retries = 0): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input);
      const headers = headersOf(init.headers);
      const body = init.body as string | undefined;
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: init.method ?? 'GET',
          headers,
          localAddress: sources?.next(),
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const empty = status === 204 || status === 304;
            const text = empty ? '' : Buffer.concat(chunks).toString('utf8');
            resolve(liteResponse(status, res.headers, text));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // The keep-alive race (Node's http docs, `request.reusedSocket`): the server closed an
        // idle connection just as we reused it, before reading the request. Send again on
        // another connection (up to 3 times: several idle ones may have gone at once), counted.
        if (
          retries < 3 &&
          req.reusedSocket &&
          (err.code === 'ECONNRESET' || err.code === 'EPIPE')
        ) {
          stats.staleRetries++;
          fetchLike(input, init, retries + 1).then(resolve, reject);
        } else {
          if (err.code === 'ECONNRESET')
            err.message = `${err.message} (reused connection: ${req.reusedSocket})`;
          reject(err);
        }
      });
      req.end(body);
    });
  return Object.assign((input: string, init?: RequestInit) => fetchLike(input, init), {
    agent,
    stats,
  });
}

/** The request's headers as node:http takes them (the SDK passes a plain object). */
function headersOf(init: HeadersInit | undefined): Record<string, string> {
  if (init === undefined) return {};
  if (init instanceof Headers || Array.isArray(init)) {
    const out: Record<string, string> = {};
    new Headers(init).forEach((v, k) => (out[k] = v));
    return out;
  }
  return { ...init };
}

/**
 * What the SDK reads of a Response (ok, status, headers.get, text, json), without building a
 * WHATWG Response, Headers and body stream per request: those were about a sixth of the runner's
 * CPU in the booking mix (undici and web streams in its profile), CPU the server then lacks.
 */
function liteResponse(status: number, headers: http.IncomingHttpHeaders, text: string): Response {
  const lite = {
    ok: status >= 200 && status < 300,
    status,
    headers: {
      get: (name: string) => {
        const v = headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    text: () => Promise.resolve(text),
    json: () => Promise.resolve(JSON.parse(text) as unknown),
  };
  return lite as unknown as Response;
}
