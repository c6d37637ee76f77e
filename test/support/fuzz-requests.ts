import fc from 'fast-check';
import { expect } from 'vitest';
import { expectContract, rawRequest, type RawRequest, type RawResponse } from './fuzz.js';
import {
  authorization,
  bodyChoice,
  bodyText,
  contentEncoding,
  contentType,
  credential,
  headerSafe,
  idempotencyKey,
  pathParam,
  queryString,
} from './fuzz-arbitraries.js';
import type { Endpoint, HttpFuzzWorld } from './fuzz-fixture.js';

// One property per endpoint: arbitrary requests built from the endpoint's description, sent raw,
// each checked against the contract and the write watch.

/** Arbitrary requests to one endpoint: params, query, credentials, headers and body. */
export function requestsTo(ep: Endpoint): fc.Arbitrary<RawRequest> {
  const names = [...ep.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  return fc
    .record({
      params: fc.tuple(...names.map((name) => pathParam(ep.params?.[name] ?? []))),
      query: ep.query ? queryString : fc.oneof(fc.constant(''), queryString),
      auth: ep.auth.length > 0 ? authorization(ep.auth) : fc.constant(undefined),
      queueToken: ep.queueTokens ? credential(ep.queueTokens) : fc.constant(undefined),
      key: ep.idempotent ? idempotencyKey : fc.constant(undefined),
      type: contentType,
      encoding: contentEncoding,
      body: bodyChoice,
      requestId: fc.option(fc.string({ unit: 'grapheme-ascii', maxLength: 80 }), { freq: 5 }),
    })
    .map((r) => {
      let i = 0;
      const headers: [string, string][] = [];
      const add = (name: string, value: string | undefined) => {
        if (value !== undefined) headers.push([name, value]);
      };
      add('Authorization', r.auth);
      add('X-Queue-Token', r.queueToken);
      add('Idempotency-Key', r.key);
      add('X-Request-Id', r.requestId === null ? undefined : headerSafe(r.requestId));
      const body = bodyText(r.body, ep.valid);
      if (body !== undefined) add('Content-Type', r.type);
      if (body !== undefined) add('Content-Encoding', r.encoding);
      return {
        method: ep.method,
        target: ep.path.replace(/:\w+/g, () => r.params[i++]!) + r.query,
        headers,
        body,
      };
    });
}

/**
 * Requests run before the random ones: every credential of the endpoint's pools, with and
 * without an Idempotency-Key, on an otherwise valid request (so each reaches as far as it can);
 * then, with good credentials, each field of the valid body replaced by a value that cannot be
 * coerced to a primitive (`{"length": {"toString": 0}}` once made zod's length checks throw).
 */
export function examplesFor(ep: Endpoint): [RawRequest][] {
  const target = ep.path.replace(/:(\w+)/g, (_, name: string) => String(ep.params![name]![0]));
  const request = (auth?: string, queueToken?: string, key?: string, body = ep.valid?.()) => {
    const headers: [string, string][] = [['Content-Type', 'application/json']];
    if (auth) headers.push(['Authorization', `Bearer ${auth}`]);
    if (queueToken) headers.push(['X-Queue-Token', queueToken]);
    if (key) headers.push(['Idempotency-Key', key]);
    const text = body === undefined ? undefined : JSON.stringify(body);
    return [{ method: ep.method, target, headers, body: text }] as [RawRequest];
  };
  const keys = ep.idempotent ? [undefined, 'example-key'] : [undefined];
  const trap = { length: { toString: 0 } };
  const fields = Object.keys((ep.valid?.() as object | undefined) ?? {});
  return [
    ...ep.auth.flatMap((auth) => keys.map((key) => request(auth, ep.queueTokens?.[0], key))),
    ...(ep.queueTokens ?? []).map((q) => request(ep.auth[0], q)),
    ...fields.map((f) =>
      request(ep.auth[0], ep.queueTokens?.[0], undefined, {
        ...(ep.valid!() as object),
        [f]: trap,
      }),
    ),
  ];
}

/** Sends one request, checks the answer against the contract and that a refusal wrote nothing. */
export async function sendChecked(world: HttpFuzzWorld, req: RawRequest): Promise<RawResponse> {
  const what = `${req.method} ${req.target} ${JSON.stringify(req.headers)} ${req.body?.slice(0, 300)}`;
  const res = await rawRequest(world.server.url, req);
  expectContract(res, what);
  await world.watch.check(res, what);
  return res;
}

function outcome(res: RawResponse): string {
  const code = (res.json as { error?: { code?: string } } | undefined)?.error?.code;
  return code ? `${res.status} ${code}` : String(res.status);
}

/**
 * The property for one endpoint: `runs` arbitrary requests, each checked by `sendChecked`.
 * Returns the tally of outcomes; fails unless some requests got past the guards to the handler.
 */
export async function fuzzEndpoint(world: HttpFuzzWorld, route: string, runs: number) {
  const ep = world.endpoint(route);
  const tally: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(requestsTo(ep), async (req) => {
      const o = outcome(await sendChecked(world, req));
      tally[o] = (tally[o] ?? 0) + 1;
    }),
    { numRuns: runs, examples: examplesFor(ep) },
  );
  const reached = Object.keys(tally).filter((o) => !/UNAUTHENTICATED|QUEUE_TOKEN_INVALID/.test(o));
  expect(reached, `${route}: ${JSON.stringify(tally)}`).not.toEqual([]);
  if (process.env.FUZZ_VERBOSE) console.log(route, tally);
  return tally;
}
