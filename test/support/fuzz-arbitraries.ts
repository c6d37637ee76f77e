import fc from 'fast-check';

// Generators of hostile input for the fuzz tests. Everything here stays within what Node's HTTP
// parser accepts (ASCII request targets, header values without control characters), so every
// request reaches the application; the protocol-level garbage test covers the rest.

/** Characters a request target may carry unencoded, including broken percent-escapes. */
const TARGET_CHARS = `%0123456789abcdefABCDEFxz-._~!$&'()*+,;=:@"<>[]\\^\`{|}`.split('');

/** Printable ASCII that is not a path or query separator. */
const rawTargetText = fc.string({ unit: fc.constantFrom(...TARGET_CHARS), maxLength: 40 });

/** Removes what the HTTP parser refuses in a header value (control characters). */
// eslint-disable-next-line no-control-regex
export const headerSafe = (s: string) => s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');

/** Numbers and words that break naive id parsing. */
const TRICKY_IDS = [
  '0', '-1', '1', '01', '+1', '1.0', '1.5', '-0', '1e3', '1e308', '0x10', '0b1', 'NaN', 'Infinity',
  '2147483647', '2147483648', '4294967296', '9007199254740993', `${2n ** 64n}`, '9'.repeat(400),
  '%201', '1%20', '%00', '1%00', '%E0%A4%A', '%', '%%', '%2F', '%2e%2e', '..', '.', '%F0%9F%8E%AB',
  'null', 'undefined', 'true', '[]', '{}', '__proto__', 'constructor', '%EF%BC%91', '%D9%A3',
]; // prettier-ignore

/** A path parameter: usually one that exists (so handlers run), otherwise anything. */
export function pathParam(real: (number | string)[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...real.map(String)), weight: 8 },
    { arbitrary: fc.constantFrom(...TRICKY_IDS), weight: 3 },
    fc.integer().map(String),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    fc.double().map(String),
    fc.string({ unit: 'binary' }).map(encodeURIComponent),
    fc.string({ unit: 'grapheme' }).map(encodeURIComponent),
    rawTargetText,
  );
}

const queryValue = fc.oneof(
  fc.constantFrom(...TRICKY_IDS, 'available', 'sold', 'held', 'AVAILABLE', '20', '100', '101', ''),
  fc.string({ unit: 'grapheme' }).map(encodeURIComponent),
  rawTargetText,
);
const queryKey = fc.oneof(
  fc.constantFrom('cursor', 'limit', 'status', 'cursor[]', 'limit[x]', 'status[0]', '__proto__'),
  fc.string({ unit: 'grapheme', maxLength: 8 }).map(encodeURIComponent),
);

/** A query string: none, the route's own parameters with odd values, repeats, or raw text. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant(''), weight: 3 },
  fc
    .array(fc.tuple(queryKey, queryValue), { minLength: 1, maxLength: 4 })
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  rawTargetText.map((s) => `?${s}`),
);

/**
 * A credential header value: mostly the first of `pool` (the one that passes, so the request
 * gets past the guard to the handler), else another of the pool, absent, or arbitrary text.
 */
export function credential(pool: string[]): fc.Arbitrary<string | undefined> {
  const [first, ...rest] = pool;
  const arbitraries: fc.WeightedArbitrary<string | undefined>[] = [
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map(headerSafe), weight: 1 },
    { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 300 }).map(headerSafe), weight: 1 },
  ];
  if (first !== undefined) arbitraries.push({ arbitrary: fc.constant(first), weight: 10 });
  if (rest.length > 0) arbitraries.push({ arbitrary: fc.constantFrom(...rest), weight: 5 });
  return fc.oneof(...arbitraries);
}

/** Authorization header values built around a pool of tokens (the first one passes). */
export function authorization(tokens: string[]): fc.Arbitrary<string | undefined> {
  const first = tokens[0] ?? 'x';
  return fc.oneof(
    { arbitrary: credential(tokens.map((t) => `Bearer ${t}`)), weight: 12 },
    {
      arbitrary: fc.constantFrom(
        'Bearer',
        'Bearer ',
        `bearer ${first}`,
        `Bearer  ${first}`,
        `Bearer ${first} extra`,
        `Bearer ${first}x`,
        first,
        'Basic Zm9vOmJhcg==',
      ),
      weight: 1,
    },
    {
      arbitrary: fc
        .string({ unit: 'grapheme', maxLength: 200 })
        .map((s) => `Bearer ${headerSafe(s)}`),
      weight: 1,
    },
  );
}

/** Idempotency-Key values: absent, fine, too long, empty, non-ASCII, spaces. */
export const idempotencyKey: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  fc.uuid(),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 255 }).map(headerSafe),
  fc.constantFrom('k'.repeat(255), 'k'.repeat(256), 'k'.repeat(4_000), '', ' ', 'a key', 'ключ'),
  fc.string({ unit: 'binary', maxLength: 100 }).map(headerSafe),
);

export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 6 },
  fc.constantFrom(
    undefined,
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json; charset=nope',
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/vnd.api+json',
    'application/*',
    '*/*',
  ),
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map(headerSafe),
);

export const contentEncoding: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 12 },
  fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'x'),
);

const RAW_BODIES = [
  '',
  '{',
  '{"a":',
  '[',
  'null',
  '""',
  '0',
  '-0',
  '1e309',
  'true',
  '{}garbage',
  '\uFEFF{}',
  '{"a":1,"a":2}',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '['.repeat(10_000) + ']'.repeat(10_000),
  '{"a":'.repeat(3_000) + '1' + '}'.repeat(3_000),
  JSON.stringify({ s: '\uD800' }),
  '{"s":"\\ud800"}',
  '{"n":123456789012345678901234567890}',
];

/** Where to change a valid body, and with what. Applied by `mutate`. */
export interface Mutation {
  op: 'replace' | 'delete' | 'add';
  at: number;
  key: string;
  value: unknown;
}

/** Values that break code which coerces them: no usable toString/valueOf, odd lengths. */
const TRAPS: unknown[] = [
  { length: { toString: 0 } },
  { toString: 0, valueOf: 0 },
  { length: -1 },
  { length: 1e308 },
  { length: '1' },
  { 0: 'a', length: 1 },
  [[[[[]]]]],
  '\u0000',
  '\uD800',
  -0,
  1e308,
  2 ** 53,
];

/** Anything JSON can carry, with prototype-ish keys, plus the traps above. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.anything({
      key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'length')),
      maxDepth: 3,
      withNullPrototype: true,
    }),
    weight: 5,
  },
  fc.constantFrom(...TRAPS),
);
const anyValue = hostileValue;

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('replace', 'replace', 'replace', 'delete', 'add'),
  at: fc.nat(),
  key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor')),
  value: anyValue,
});

/** The valid body with one field (at any depth) replaced or deleted, or one field added. */
export function mutate(valid: unknown, m: Mutation): unknown {
  const copy = structuredClone(valid) as Record<string, unknown>;
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (v === null || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v)) {
      const p = [...path, Array.isArray(v) ? Number(k) : k];
      paths.push(p);
      walk(child, p);
    }
  };
  walk(copy, []);
  const path = paths[m.at % Math.max(1, paths.length)] ?? [];
  const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], copy);
  const last = path[path.length - 1];
  if (m.op === 'add' || last === undefined)
    Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true });
  else if (m.op === 'delete') delete parent[last];
  else parent[last] = m.value;
  return copy;
}

/** A body: absent, arbitrary JSON, broken JSON, or the valid body with one mutation. */
export type BodyChoice =
  | { kind: 'none' }
  | { kind: 'raw'; text: string }
  | { kind: 'mutated'; mutation: Mutation }
  | { kind: 'valid' };

export const bodyChoice: fc.Arbitrary<BodyChoice> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'valid' as const }), weight: 2 },
  { arbitrary: mutation.map((m) => ({ kind: 'mutated' as const, mutation: m })), weight: 6 },
  anyValue.map((v) => ({ kind: 'raw' as const, text: JSON.stringify(v) ?? '' })),
  fc.json().map((text) => ({ kind: 'raw' as const, text })),
  fc.constantFrom(...RAW_BODIES).map((text) => ({ kind: 'raw' as const, text })),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ kind: 'raw' as const, text })),
);

/** The body text for a choice; `valid` builds a fresh valid body (e.g. with a new phone). */
export function bodyText(
  choice: BodyChoice,
  valid: (() => unknown) | undefined,
): string | undefined {
  if (choice.kind === 'none') return undefined;
  if (choice.kind === 'raw') return choice.text;
  const base = valid ? valid() : {};
  return JSON.stringify(choice.kind === 'valid' ? base : mutate(base, choice.mutation));
}
