import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../infra/app-error.js';
import type { CreateUserResponse, LoginResponse } from '@lineup/client-sdk/contract';
import type { LoginLimits } from '../../infra/http/rate-limits.js';
import type { AccessTokens } from './access-tokens.crypto.js';
import type { AccountsRepository } from './accounts.repository.js';
import { hashPassword, verifyPassword } from './passwords.crypto.js';

// A fixed hash to verify against when the phone is unknown, so a login attempt takes as long
// for a missing account as for a wrong password (no account enumeration by timing).
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export class AccountsService {
  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: AccountsRepository,
    private readonly tokens: AccessTokens,
    private readonly loginLimits: LoginLimits,
  ) {}

  async register(input: {
    name: string;
    phone: string;
    password: string;
  }): Promise<CreateUserResponse> {
    const passwordHash = await hashPassword(input.password);
    const user = await this.repo.create(this.em(), {
      name: input.name,
      phone: input.phone,
      passwordHash,
    });
    if (!user) throw new AppError('PHONE_TAKEN');
    return {
      user: { id: user.id, name: user.name, phone: user.phone },
      accessToken: await this.tokens.sign(user.id),
    };
  }

  /** `address`: the client's address, for the failed-login limits (429 RATE_LIMITED). */
  async login(input: { phone: string; password: string }, address: string): Promise<LoginResponse> {
    const attempt = await this.loginLimits.begin(input.phone, address);
    let userId: number | undefined;
    try {
      const user = await this.repo.findByPhone(this.em(), input.phone);
      const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
      if (ok) userId = user?.id;
    } catch (err) {
      await attempt.abandoned();
      throw err;
    }
    if (userId === undefined) throw new AppError('INVALID_CREDENTIALS');
    await attempt.succeeded();
    return { accessToken: await this.tokens.sign(userId), expiresIn: this.tokens.ttlSeconds };
  }
}
