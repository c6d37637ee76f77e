import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../infra/http/errors.js';
import type { CreateUserResponse, LoginResponse } from '@lineup/client-sdk/contract';
import type { AccessTokens } from './access-tokens.js';
import type { AccountsRepository } from './accounts.repository.js';
import { hashPassword, verifyPassword } from './passwords.js';

// A fixed hash to verify against when the phone is unknown, so a login attempt takes as long
// for a missing account as for a wrong password (no account enumeration by timing).
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export class AccountsService {
  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: AccountsRepository,
    private readonly tokens: AccessTokens,
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

  async login(input: { phone: string; password: string }): Promise<LoginResponse> {
    const user = await this.repo.findByPhone(this.em(), input.phone);
    const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new AppError('INVALID_CREDENTIALS');
    return { accessToken: await this.tokens.sign(user.id), expiresIn: this.tokens.ttlSeconds };
  }
}
