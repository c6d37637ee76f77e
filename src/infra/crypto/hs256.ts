import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export type JwtClaims = Record<string, unknown> & { exp: number };

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
/** What HEADER says: a token carrying exactly it is not decoded again (every token we sign). */
const HEADER_CLAIMS: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' };
/** Longer than any token Lineup signs by far; refuses to hash megabytes from a hostile header. */
const MAX_TOKEN_LENGTH = 4096;

export interface Hs256Options {
  /**
   * The kind of token this is for (`aud`): sign puts it in, verify refuses a token that does
   * not name it. Two kinds that might share a secret stay apart (SPEC §7 only forbids sharing in
   * production).
   */
  audience?: string;
  /** Refuse a token with no `aud` at all (default true); a token naming another audience is always refused. */
  audienceRequired?: boolean;
  /**
   * Remember this many tokens verified (or signed) here, so the same token presented again costs
   * a lookup instead of an HMAC and two decodes (0: none). A fan sends its tokens with every
   * request (join, schedules, seat map, hold, payment). Only a token found genuine is kept, under
   * its exact text; its `exp` and `nbf` are checked on every use. A kept token costs ~350 bytes.
   */
  remember?: number;
}

/**
 * HS256 JSON Web Tokens (RFC 7519) on node:crypto's synchronous HMAC.
 *
 * Why not jose: it signs and verifies through WebCrypto, whose HMAC runs as an asynchronous job
 * in Node (~60 µs per operation); a join verifies one token and signs another, and that was the
 * largest single CPU cost of a join (BENCHMARKS.md). The synchronous HMAC costs a few µs.
 * Why not fast-jwt (synchronous too, well kept): measured on this machine, one sign plus one
 * verify of a queue-sized token (aud, exp, sub, two numeric claims; 100,000 rounds, process CPU,
 * three alternating rounds) took 19–23 µs here and 23–28 µs with fast-jwt 6.3 (createSigner /
 * createVerifier, HS256, allowedAud, requiredClaims): more CPU per join, which does one of each.
 *
 * Only what Lineup needs: tokens it signs itself with one shared secret. Verification accepts
 * the HS256 algorithm only (never `none`, never another family), compares the signature in
 * constant time, requires canonical base64url, a JSON object payload and an `exp` in the
 * future, and honours `nbf` and `aud`. The tests check both directions against jose.
 */
export class Hs256 {
  /** A KeyObject: createHmac takes it without converting the key again on every call. */
  private readonly secret: KeyObject;
  private readonly audience: string | undefined;
  private readonly audienceRequired: boolean;
  /** Genuine tokens -> their claims (frozen), oldest first; at most `remember` of them. */
  private readonly known = new Map<string, JwtClaims>();
  private readonly remember: number;

  constructor(secret: string, options: Hs256Options = {}) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
    this.audience = options.audience;
    this.audienceRequired = options.audienceRequired ?? true;
    this.remember = options.remember ?? 0;
  }

  sign(claims: Record<string, unknown>, ttlSeconds: number, nowMs = Date.now()): string {
    const iat = Math.floor(nowMs / 1000);
    const aud = this.audience === undefined ? {} : { aud: this.audience };
    const payload = Buffer.from(JSON.stringify({ ...claims, ...aud, iat, exp: iat + ttlSeconds }));
    const input = `${HEADER}.${payload.toString('base64url')}`;
    const token = `${input}.${this.mac(input).toString('base64url')}`;
    // As verify would decode it (JSON's text, not the object given).
    if (this.remember > 0) this.keep(token, JSON.parse(payload.toString('utf8')) as JwtClaims);
    return token;
  }

  /** The claims of a genuine, unexpired token; null for anything else. */
  verify(token: unknown, nowMs = Date.now()): JwtClaims | null {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
    const known = this.known.get(token);
    if (known) return inTime(known, nowMs / 1000) ? known : null;
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [header, payload, signature] = parts as [string, string, string];
    const given = strictBase64url(signature);
    const expected = this.mac(`${header}.${payload}`);
    if (!given || given.length !== expected.length || !timingSafeEqual(given, expected))
      return null;

    const head = header === HEADER ? HEADER_CLAIMS : jsonObject(header);
    if (!head || head.alg !== 'HS256' || 'crit' in head) return null;
    const claims = jsonObject(payload);
    if (!claims || typeof claims.exp !== 'number') return null;
    if (claims.nbf !== undefined && typeof claims.nbf !== 'number') return null;
    if (!this.forUs(claims.aud)) return null;
    if (!inTime(claims as JwtClaims, nowMs / 1000)) return null;
    if (this.remember > 0) this.keep(token, claims as JwtClaims);
    return claims as JwtClaims;
  }

  /** Remembers a genuine token's claims, forgetting the oldest one past `remember`. */
  private keep(token: string, claims: JwtClaims): void {
    if (this.known.size >= this.remember) this.known.delete(this.known.keys().next().value!);
    this.known.set(token, Object.freeze(claims));
  }

  /** RFC 7519 §4.1.3: `aud` is one audience or a list; the token is ours if it names us. */
  private forUs(aud: unknown): boolean {
    if (this.audience === undefined) return true;
    if (aud === undefined) return !this.audienceRequired;
    const audiences = Array.isArray(aud) ? (aud as unknown[]) : [aud];
    return audiences.includes(this.audience);
  }

  private mac(input: string): Buffer {
    return createHmac('sha256', this.secret).update(input).digest();
  }
}

/** `exp` in the future and `nbf` (if any) passed, at `now` (seconds). */
function inTime(claims: JwtClaims, now: number): boolean {
  return claims.exp > now && (claims.nbf === undefined || (claims.nbf as number) <= now);
}

/** Decodes base64url only if the text is exactly the encoding of its bytes (Node's is lenient). */
function strictBase64url(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

function jsonObject(segment: string): Record<string, unknown> | null {
  const bytes = strictBase64url(segment);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
