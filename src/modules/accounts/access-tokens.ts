import { SignJWT, jwtVerify } from 'jose';
import { hmacKey, type HmacKey } from '../../infra/crypto/hmac-key.js';

/** Access tokens: HS256 JWTs whose `sub` is the user id (SPEC §4). */
export class AccessTokens {
  private readonly key: Promise<HmacKey>;

  constructor(
    secret: string,
    readonly ttlSeconds = 3600,
  ) {
    this.key = hmacKey(secret);
  }

  async sign(userId: number): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(userId))
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(await this.key);
  }

  /** The user id, or null for a missing, forged, expired or malformed token. */
  async verify(token: string): Promise<number | null> {
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'] });
      const id = Number(payload.sub);
      return Number.isSafeInteger(id) && id > 0 ? id : null;
    } catch {
      return null;
    }
  }
}
