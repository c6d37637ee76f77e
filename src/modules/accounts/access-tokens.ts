import { Hs256 } from '../../infra/crypto/hs256.js';

/** Access tokens: HS256 JWTs whose `sub` is the user id (SPEC §4). */
export class AccessTokens {
  private readonly jwt: Hs256;

  constructor(
    secret: string,
    readonly ttlSeconds = 3600,
  ) {
    this.jwt = new Hs256(secret);
  }

  async sign(userId: number): Promise<string> {
    return this.jwt.sign({ sub: String(userId) }, this.ttlSeconds);
  }

  /** The user id, or null for a missing, forged, expired or malformed token. */
  async verify(token: string): Promise<number | null> {
    const claims = this.jwt.verify(token);
    const id = Number(claims?.sub);
    return typeof claims?.sub === 'string' && Number.isSafeInteger(id) && id > 0 ? id : null;
  }
}
