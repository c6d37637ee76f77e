import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { User } from './accounts.entities.js';
import { Wallet } from '../points/points.entities.js';

export class AccountsRepository {
  /** Inserts the user and an empty wallet; returns null when the phone is taken. */
  async create(
    em: EntityManager,
    data: Pick<User, 'name' | 'phone' | 'passwordHash'>,
  ): Promise<User | null> {
    try {
      return await em.transactional(async (tx) => {
        const user = tx.create(User, data);
        await tx.flush();
        tx.create(Wallet, { userId: user.id, balance: 0 });
        await tx.flush();
        return user;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) return null;
      throw err;
    }
  }

  findByPhone(em: EntityManager, phone: string): Promise<User | null> {
    return em.findOne(User, { phone });
  }
}
