import { randomBytes } from 'node:crypto';
import type { RunningServer } from '../../src/server.js';
import { sql } from './db.js';

export interface TestFan {
  id: number;
  token: string;
}

/**
 * Creates many fans straight in the database (signing up thousands through scrypt would take
 * minutes) and mints their access tokens with the server's own signer.
 */
export async function bulkFans(server: RunningServer, count: number): Promise<TestFan[]> {
  const tag = randomBytes(4).toString('hex');
  const rows = await sql<{ id: number }>(
    server.config.databaseUrl,
    `insert into users (name, phone, password_hash)
     select 'Fan ' || g, 'b' || $1 || '-' || g, 'scrypt$disabled' from generate_series(1, $2) g
     returning id`,
    [tag, count],
  );
  await sql(
    server.config.databaseUrl,
    `insert into wallets (user_id, balance) select unnest($1::int[]), 0`,
    [rows.map((r) => r.id)],
  );
  return Promise.all(
    rows.map(async ({ id }) => ({ id, token: await server.services.tokens.sign(id) })),
  );
}

/** Decodes a JWT's payload without verifying it (tests only read claims). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
