import { Hs256 } from '../../infra/crypto/hs256.js';

/** Tokens an instance remembers verified: ~3.5 MB at most. */
const TOKENS_REMEMBERED = 10_000;

/** `aud` of access tokens; queue tokens name another audience, so neither passes for the other. */
export const ACCESS_TOKEN_AUDIENCE = 'lineup:access';

/** Access tokens: HS256 JWTs whose `sub` is the user id (SPEC §4). */
export class AccessTokens {
  private readonly jwt: Hs256;

  constructor(
    secret: string,
    readonly ttlSeconds = 3600,
  ) {
    // A token without `aud` still passes: SPEC §4 defines an access token by its `sub` and
    // AUTH_JWT_SECRET, and load tools and outside suites mint their own that way. What must never
    // pass is a token made for another audience, such as a queue token.
    // Remembered (Hs256 `remember`): a fan sends its token with every request.
    this.jwt = new Hs256(secret, {
      audience: ACCESS_TOKEN_AUDIENCE,
      audienceRequired: false,
      remember: TOKENS_REMEMBERED,
    });
  }

  async sign(userId: number): Promise<string> {
    return this.jwt.sign({ sub: String(userId) }, this.ttlSeconds);
  }

  /** The user id, or null for a missing, forged, expired or malformed token. */
  async verify(token: string): Promise<number | null> {
    return this.userIdOf(token);
  }

  /** verify, synchronously (the hot routes before express: no promise per request). */
  userIdOf(token: string): number | null {
    const claims = this.jwt.verify(token);
    const id = Number(claims?.sub);
    return typeof claims?.sub === 'string' && Number.isSafeInteger(id) && id > 0 ? id : null;
  }
}
