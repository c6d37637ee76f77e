import { SignJWT, jwtVerify } from 'jose';
import { hmacKey, type HmacKey } from '../../infra/crypto/hmac-key.js';

export interface QueueClaims {
  userId: number;
  concertId: number;
  /** Entry id: which of the fan's entries in this line the token is for. */
  eid: number;
}

// Valid for the life of the entry; Redis, not the token, says whether the entry is still alive.
const TOKEN_TTL = '7d';

/** Queue tokens: HS256 JWTs signed with QUEUE_TOKEN_SECRET (`sub` user, `concertId`, `eid`). */
export class QueueTokens {
  private readonly key: Promise<HmacKey>;

  constructor(secret: string) {
    this.key = hmacKey(secret);
  }

  async sign(claims: QueueClaims): Promise<string> {
    return new SignJWT({ concertId: claims.concertId, eid: claims.eid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(claims.userId))
      .setIssuedAt()
      .setExpirationTime(TOKEN_TTL)
      .sign(await this.key);
  }

  /** The claims, or null for a missing, forged, expired or malformed token. */
  async verify(token: string | undefined): Promise<QueueClaims | null> {
    if (!token) return null;
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'] });
      const userId = Number(payload.sub);
      const { concertId, eid } = payload as { concertId?: unknown; eid?: unknown };
      if (![userId, concertId, eid].every((n) => Number.isSafeInteger(n) && (n as number) > 0))
        return null;
      return { userId, concertId: concertId as number, eid: eid as number };
    } catch {
      return null;
    }
  }
}
