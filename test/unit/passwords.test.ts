import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/modules/accounts/passwords.crypto.js';

describe('passwords', () => {
  it('verifies the password a hash was made from', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
  });

  it('rejects a wrong password', async () => {
    const hash = await hashPassword('password123');
    expect(await verifyPassword('password124', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    expect(await verifyPassword('PASSWORD123', hash)).toBe(false);
  });

  it('salts every hash: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('handles non-ASCII passwords', async () => {
    const hash = await hashPassword('비밀번호-🎫');
    expect(await verifyPassword('비밀번호-🎫', hash)).toBe(true);
    expect(await verifyPassword('비밀번호-🎟', hash)).toBe(false);
  });

  it('returns false (never throws) for a stored value that is not a scrypt hash', async () => {
    expect(await verifyPassword('x', '')).toBe(false);
    expect(await verifyPassword('x', 'plain-text-password')).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$10$abc$def')).toBe(false);
  });
});
