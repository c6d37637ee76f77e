import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { client, uniquePhone, type Client } from '../support/http.js';
import { flushPrefix, startTestServer } from '../support/server.js';

let db: TestDatabase;
let server: RunningServer;
let api: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db.url);
  api = client(server.url);
});
afterAll(async () => {
  await server?.close();
  if (server) await flushPrefix(server.config.redisKeyPrefix);
  await db?.drop();
});

describe('accounts', () => {
  it('signs up, refuses a taken phone, logs in', async () => {
    const phone = uniquePhone();
    const created = await api.post('/users', { name: 'Min-ji', phone, password: 'password123' });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ name: 'Min-ji', phone });
    const again = await api.post('/users', { name: 'Other', phone, password: 'password456' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PHONE_TAKEN');
    const login = await api.post('/auth/login', { phone, password: 'password123' });
    expect(login.status).toBe(200);
    expect(login.body.expiresIn).toBeGreaterThan(0);
    const bad = await api.post('/auth/login', { phone, password: 'wrong-password' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('INVALID_CREDENTIALS');
    const balance = await api.get('/users/me/points', { token: login.body.accessToken });
    expect(balance.body).toEqual({ balance: 0 });
  });
});
