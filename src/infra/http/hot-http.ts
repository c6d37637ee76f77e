import { hash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parse as parseQuery, type ParsedUrlQuery } from 'node:querystring';
import type { Response } from 'express';
import proxyaddr from 'proxy-addr';
import type { Logger } from 'pino';
import { AppError } from '../app-error.js';
import { requestContext } from '../logger.js';
import { toAppError } from './error.middleware.js';

// The hottest routes (the join, the status poll: a stadium at once, then every few seconds; the
// booking flow's seat map, schedules, hold and payment: a seat storm is thousands of holds refused
// from Redis) are answered here, on node:http, before express sees the request. Express costs a
// join about as much CPU as the route's own work (router layers, req/res prototypes, parseurl,
// body-parser, res.json, a 'finish' listener per middleware; BENCHMARKS.md "Join and status
// poll"), and nothing of it is needed for a few fixed routes.
//
// What a client sees is the express path's answer to the byte, headers included: the security
// headers, X-Request-Id, the error envelope (AppError, toAppError), Content-Type, Content-Length
// and express's weak ETag; the HTTP metric is the same histogram with the same labels; a 5xx is
// logged with the request (redacted) and its id. Only the ordinary request is taken: anything
// else about it (CORS configured, a conditional GET, a body that is not small plain JSON, a path
// spelled another way) goes to express, whose same routes answer it (Api `hot` routes), so an
// unusual request is answered by the express path itself. test/integration/hot-http.test.ts
// compares the two paths answer for answer.

/** Bodies up to this size are read here; a larger one goes to express (and its 256 kB limit). */
const MAX_HOT_BODY_BYTES = 4_096;
const REQUEST_ID = /^[\w.:-]{1,64}$/;
const JSON_TYPE = 'application/json; charset=utf-8';
/**
 * A query string taken here: names, values, `=` and `&`, percent-escapes. Anything else (a `#`,
 * a space, a quote: parseurl reparses such URLs with url.parse) is express's.
 */
const PLAIN_QUERY = /^[\w.~%+=&-]*$/;

export interface HotRequest {
  raw: IncomingMessage;
  /** The route pattern's match on the path. */
  match: RegExpExecArray;
  /** The path, query string removed (req.baseUrl + req.path as express has it). */
  path: string;
  /** The parsed JSON body ({} when none was sent), for routes with `body`. */
  body: unknown;
  /** The query as express' default ("simple") query parser has it, for routes with `query`. */
  query: ParsedUrlQuery;
  /** req.ip as express computes it (trust proxy). */
  address(): string;
}

export interface HotAnswer {
  status: number;
  /** The body to send as JSON, or a `JsonText`: JSON already serialized, sent as is. */
  body: unknown;
  /** Headers of the answer (the route's res.set before res.json). */
  headers?: Record<string, string>;
}

export interface HotRoute {
  method: 'GET' | 'POST';
  /** Matches the path (query string removed); a path it does not match goes to express. */
  pattern: RegExp;
  /** The express route template, for the metric's `route` label. */
  route: string;
  /** The route reads a JSON body (express.json's rules: see readJson). */
  body?: boolean;
  /** The route reads the query string (one that is not plain goes to express). */
  query?: boolean;
  /**
   * Run the handler in the request's log context (logger.ts requestContext: its id on every log
   * line, the PostgreSQL round trips it sends), as express runs its non-hot routes.
   */
  context?: boolean;
  handle(req: HotRequest): Promise<HotAnswer>;
}

export interface HotHttpOptions {
  /** The security headers every answer carries (security.ts staticHeaders), in order. */
  headers: [string, string][];
  /** CORS is configured: every request goes to express (the cors middleware answers). */
  cors: boolean;
  /** express' 'trust proxy fn'. */
  trustProxy: (addr: string, hop: number) => boolean;
  /** Records the HTTP metric (Metrics.observeHttp). */
  observe: (method: string, route: string, status: number, seconds: number) => void;
  logger: Logger;
}

export class HotHttp {
  private readonly routes: HotRoute[] = [];
  /** The security headers, flat, as writeHead takes them. */
  private readonly headers: string[];
  /** Requests answered here (the rest went to express). */
  served = 0;

  constructor(private readonly options: HotHttpOptions) {
    this.headers = options.headers.flat();
  }

  add(route: HotRoute): void {
    this.routes.push(route);
  }

  /** Serves the request if it is one of the hot routes' ordinary requests; false: not taken. */
  dispatch(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.options.cors || this.routes.length === 0) return false;
    const url = req.url!;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    for (const route of this.routes) {
      if (req.method !== route.method) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      const json = this.bodyOf(req, route);
      if (json === null) return false;
      let query: ParsedUrlQuery = NO_QUERY;
      if (route.query && q >= 0) {
        const text = url.slice(q + 1);
        if (!PLAIN_QUERY.test(text)) return false;
        query = parseQuery(text);
      }
      this.served++;
      void this.serve(route, { match, path, query, json }, req, res);
      return true;
    }
    return false;
  }

  /**
   * How express.json would take the request: null when it would do anything but skip the body or
   * parse small plain JSON (express answers those), else whether there is a JSON body to parse.
   * Like express.json: without a body or a Content-Type the body is left alone and the route
   * sees {}.
   */
  private bodyOf(req: IncomingMessage, route: HotRoute): boolean | null {
    const h = req.headers;
    // express answers 304 to a matching conditional GET.
    if (
      route.method === 'GET' &&
      (h['if-none-match'] !== undefined || h['if-modified-since'] !== undefined)
    )
      return null;
    const type = h['content-type'];
    const length = h['content-length'];
    if (type === undefined || (length === undefined && h['transfer-encoding'] === undefined))
      return false;
    if (!route.body || length === undefined || h['content-encoding'] !== undefined) return null;
    if (Number(length) > MAX_HOT_BODY_BYTES) return null;
    const lower = type.toLowerCase();
    return lower === 'application/json' || lower === JSON_TYPE ? true : null;
  }

  private async serve(
    route: HotRoute,
    taken: Taken,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const startedAt = performance.now();
    const requestId = requestIdOf(req.headers['x-request-id']);
    const { match, path, query, json } = taken;
    let status: number;
    let body: unknown;
    let extra: Record<string, string> | undefined;
    // A body that does not parse fails in express.json, before the router: no route label.
    let label = 'unmatched';
    try {
      const input = json ? parseJson(await readBody(req)) : {};
      label = route.route;
      const hotReq: HotRequest = {
        raw: req,
        match,
        path,
        body: input,
        query,
        address: () => proxyaddr(req, this.options.trustProxy),
      };
      const answer = await (route.context
        ? requestContext.run({ reqId: requestId }, () => route.handle(hotReq))
        : route.handle(hotReq));
      status = answer.status;
      body = answer.body;
      extra = answer.headers;
    } catch (err) {
      if (err instanceof BodyAborted) return; // nobody to answer (express answers no one either)
      const appErr = toAppError(err);
      if (appErr.status >= 500) this.logFailure(err, appErr, req, requestId);
      status = appErr.status;
      body = appErr.toBody();
      extra = appErr.headers;
    }
    let text: string, bytes: number, etag: string;
    if (body instanceof JsonText) ({ text, bytes, etag } = body);
    else {
      text = JSON.stringify(body);
      bytes = Buffer.byteLength(text);
      etag = weakEtag(text, bytes);
    }
    const headers = [...this.headers, 'X-Request-Id', requestId];
    if (extra) for (const name in extra) headers.push(name, extra[name]!);
    headers.push('Content-Type', JSON_TYPE, 'Content-Length', String(bytes), 'ETag', etag);
    res.writeHead(status, headers);
    res.end(text);
    this.options.observe(req.method!, label, status, (performance.now() - startedAt) / 1000);
  }

  /** As errorMiddleware logs a 5xx: with the request (redacted by the logger) and its id. */
  private logFailure(err: unknown, appErr: AppError, req: IncomingMessage, id: string): void {
    (req as IncomingMessage & { id?: string }).id = id;
    this.options.logger.child({ req }).error({ err }, 'request failed: %s', appErr.code);
  }
}

/**
 * A JSON body serialized once and sent as is (a kept seat-map answer, a list joined from kept
 * pieces): no parse and stringify per request, its length and ETag computed once. The express path
 * sends its text (sendJsonText) with the same headers res.json would give it.
 */
export class JsonText {
  readonly bytes: number;
  readonly etag: string;

  constructor(readonly text: string) {
    this.bytes = Buffer.byteLength(text);
    this.etag = weakEtag(text, this.bytes);
  }
}

/** Sends a JsonText on the express path with the headers res.json would give its text. */
export function sendJsonText(res: Response, json: JsonText): void {
  res.set({ 'Content-Type': JSON_TYPE, ETag: json.etag }).send(json.text);
}

/** The request's id (SPEC §4): the client's X-Request-Id if it is a sane one, else a new one. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/** What dispatch found out about a request it takes. */
interface Taken {
  match: RegExpExecArray;
  path: string;
  query: ParsedUrlQuery;
  json: boolean;
}

/** The query of a request without one (express: {}), never written to. */
const NO_QUERY: ParsedUrlQuery = Object.freeze({});

class BodyAborted extends Error {}

/** The request body as text (at most MAX_HOT_BODY_BYTES: bodyOf saw to that). */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () =>
      resolve(
        chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      ),
    );
    req.once('error', () => reject(new BodyAborted()));
    req.once('aborted', () => reject(new BodyAborted()));
  });
}

/**
 * express.json's parse (body-parser 2, strict): an empty body is {}, the first non-blank
 * character must open an object or an array, a leading byte-order mark is dropped (its UTF-8
 * decoder does), anything unparsable is 400 MALFORMED_JSON.
 */
function parseJson(text: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  let at = 0;
  while (BLANK.has(text.charCodeAt(at))) at++;
  const first = text[at];
  if (first !== '{' && first !== '[') throw new AppError('MALFORMED_JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('MALFORMED_JSON');
  }
}

/** JSON's insignificant whitespace (RFC 8259): space, tab, line feed, carriage return. */
const BLANK = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** express' default ETag for a body (the `etag` package, weak): length and SHA-1, base64. */
function weakEtag(text: string, bytes: number): string {
  return `W/"${bytes.toString(16)}-${hash('sha1', text, 'base64').slice(0, 27)}"`;
}
