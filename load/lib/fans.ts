import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import pg from 'pg';

export interface Fan {
  id: number;
  /** Access token (HS256, `sub` = user id), as `POST /auth/login` would give. */
  token: string;
}

/**
 * Creates fans straight in the database and mints their access tokens with AUTH_JWT_SECRET:
 * signing up tens of thousands through `POST /users` would spend minutes in scrypt, by design.
 * Each fan gets a wallet with `points` and the matching ledger row (balance = ledger sum).
 */
export async function createFans(
  databaseUrl: string,
  jwtSecret: string,
  count: number,
  points = 0,
): Promise<Fan[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const ids: number[] = [];
  try {
    const tag = randomBytes(4).toString('hex');
    for (let from = 1; from <= count; from += 10_000) {
      const to = Math.min(count, from + 9_999);
      await client.query('begin');
      const { rows } = await client.query<{ id: number }>(
        `insert into users (name, phone, password_hash)
         select 'Load fan ' || g, 'load-' || $1 || '-' || g, 'scrypt$disabled'
         from generate_series($2::int, $3::int) g returning id`,
        [tag, from, to],
      );
      const batch = rows.map((r) => r.id);
      await client.query(
        `insert into wallets (user_id, balance) select unnest($1::int[]), $2::bigint`,
        [batch, points],
      );
      if (points > 0)
        await client.query(
          `insert into point_ledger (user_id, type, amount, balance_after)
           select unnest($1::int[]), 'charge', $2::bigint, $2::bigint`,
          [batch, points],
        );
      await client.query('commit');
      ids.push(...batch);
    }
  } finally {
    await client.end();
  }
  const key = new TextEncoder().encode(jwtSecret);
  const fans: Fan[] = [];
  for (const id of ids) {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(id))
      .setIssuedAt()
      .setExpirationTime('12h')
      .sign(key);
    fans.push({ id, token });
  }
  return fans;
}
