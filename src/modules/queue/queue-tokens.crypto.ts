import { Hs256 } from '../../infra/crypto/hs256.js';

export interface QueueClaims {
  userId: number;
  concertId: number;
  /** Entry id: which of the fan's entries in this line the token is for. */
  eid: number;
}

// Valid for the life of the entry; Redis, not the token, says whether the entry is still alive.
const TOKEN_TTL_SECONDS = 7 * 86_400;

/** Tokens an instance remembers verified (Hs256 `remember`): ~3.5 MB at most. */
const TOKENS_REMEMBERED = 10_000;

/** `aud` of queue tokens: required, so no other kind of token (an access token) passes for one. */
export const QUEUE_TOKEN_AUDIENCE = 'lineup:queue';

/** Queue tokens: HS256 JWTs signed with QUEUE_TOKEN_SECRET (`sub` user, `concertId`, `eid`). */
export class QueueTokens {
  private readonly jwt: Hs256;

  constructor(secret: string) {
    // A fan's queue token comes with its every request after the join (signed here).
    this.jwt = new Hs256(secret, { audience: QUEUE_TOKEN_AUDIENCE, remember: TOKENS_REMEMBERED });
  }

  async sign(claims: QueueClaims): Promise<string> {
    return this.tokenFor(claims);
  }

  /** sign, synchronously (the join: no promise per request). */
  tokenFor(claims: QueueClaims): string {
    return this.jwt.sign(
      { sub: String(claims.userId), concertId: claims.concertId, eid: claims.eid },
      TOKEN_TTL_SECONDS,
    );
  }

  /** The claims, or null for a missing, forged, expired or malformed token. */
  async verify(token: string | undefined): Promise<QueueClaims | null> {
    return this.claimsOf(token);
  }

  /** verify, synchronously (the status poll: no promise per request). */
  claimsOf(token: string | undefined): QueueClaims | null {
    const payload = this.jwt.verify(token);
    if (!payload || typeof payload.sub !== 'string') return null;
    const userId = Number(payload.sub);
    const { concertId, eid } = payload;
    if (![userId, concertId, eid].every((n) => Number.isSafeInteger(n) && (n as number) > 0))
      return null;
    return { userId, concertId: concertId as number, eid: eid as number };
  }
}
