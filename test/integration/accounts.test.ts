import { describe, expect, it } from 'vitest';
import { sql } from '../support/db.js';
import { uniquePhone } from '../support/http.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('accounts', () => {
  it('signs up, refuses a taken phone, logs in', async () => {
    const phone = uniquePhone();
    const created = await ctx.api.post('/users', {
      name: 'Min-ji',
      phone,
      password: 'password123',
    });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ name: 'Min-ji', phone });
    const again = await ctx.api.post('/users', { name: 'Other', phone, password: 'password456' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PHONE_TAKEN');
    const login = await ctx.api.post('/auth/login', { phone, password: 'password123' });
    expect(login.status).toBe(200);
    expect(login.body.expiresIn).toBeGreaterThan(0);
    const bad = await ctx.api.post('/auth/login', { phone, password: 'wrong-password' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('INVALID_CREDENTIALS');
    const balance = await ctx.api.get('/users/me/points', { token: login.body.accessToken });
    expect(balance.body).toEqual({ balance: 0 });
  });

  it('answers sign-up in the SPEC shape, never exposing the password or its hash', async () => {
    const phone = uniquePhone();
    const res = await ctx.api.post('/users', {
      name: '  Ji-hoon  ',
      phone,
      password: 'password123',
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      user: { id: expect.any(Number), name: 'Ji-hoon', phone },
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    });
    const [row] = await sql<{ password_hash: string }>(
      ctx.db.url,
      `select password_hash from users where id = $1`,
      [res.body.user.id],
    );
    expect(row!.password_hash).toMatch(/^scrypt\$/);
    expect(row!.password_hash).not.toContain('password123');
    const wallets = await sql(ctx.db.url, `select balance::int from wallets where user_id = $1`, [
      res.body.user.id,
    ]);
    expect(wallets).toEqual([{ balance: 0 }]);
  });

  it('treats 010-1234-5678 and 01012345678 as the same phone', async () => {
    const digits = uniquePhone();
    const dashed = `${digits.slice(0, 3)}-${digits.slice(3, 7)}-${digits.slice(7)}`;
    const created = await ctx.api.post('/users', {
      name: 'Dash',
      phone: dashed,
      password: 'password123',
    });
    expect(created.status).toBe(201);
    expect(created.body.user.phone).toBe(digits);
    const taken = await ctx.api.post('/users', {
      name: 'Plain',
      phone: digits,
      password: 'password1',
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('PHONE_TAKEN');
    const login = await ctx.api.post('/auth/login', { phone: digits, password: 'password123' });
    expect(login.status).toBe(200);
  });

  it('lets exactly one of 10 concurrent sign-ups with one phone win', async () => {
    const phone = uniquePhone();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ctx.api.post('/users', { name: `Racer ${i}`, phone, password: 'password123' }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of responses.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('PHONE_TAKEN');
    }
    const users = await sql(ctx.db.url, `select id from users where phone = $1`, [phone]);
    expect(users).toHaveLength(1);
    const orphanWallets = await sql(
      ctx.db.url,
      `select w.user_id from wallets w left join users u on u.id = w.user_id where u.id is null`,
    );
    expect(orphanWallets).toEqual([]);
  });

  it('answers an unknown phone exactly like a wrong password', async () => {
    const unknown = await ctx.api.post('/auth/login', {
      phone: uniquePhone(),
      password: 'password123',
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({
      error: { code: 'INVALID_CREDENTIALS', message: expect.any(String) },
    });
  });

  it('issues tokens that identify the user', async () => {
    const phone = uniquePhone();
    const created = await ctx.api.post('/users', { name: 'Token', phone, password: 'password123' });
    const login = await ctx.api.post('/auth/login', { phone, password: 'password123' });
    for (const token of [created.body.accessToken, login.body.accessToken]) {
      await ctx.api.post('/users/me/points/charge', { amount: 1_000 }, { token });
    }
    const ledger = await sql(ctx.db.url, `select user_id from point_ledger where user_id = $1`, [
      created.body.user.id,
    ]);
    expect(ledger).toHaveLength(2);
  });
});
