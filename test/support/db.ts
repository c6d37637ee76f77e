import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { inject } from 'vitest';
import { PG_ADMIN_URL, TEST_DB_PREFIX, databaseUrl } from './env.js';

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A private database for one test file: a migrated copy of the template, or an empty one. */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const template = inject('templateDatabase');
  const name = `${TEST_DB_PREFIX}${inject('runId')}_${randomBytes(5).toString('hex')}`;
  await admin(async (c) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(
          options.empty
            ? `create database "${name}"`
            : `create database "${name}" template "${template}"`,
        );
        return;
      } catch (err) {
        // Another file copying the template at the same instant: PostgreSQL refuses, try again.
        if (attempt < 20 && /being accessed by other users/.test(String(err)))
          await sleep(50 + Math.random() * 100);
        else throw err;
      }
    }
  });
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      admin(async (c) => void (await c.query(`drop database if exists "${name}" with (force)`))),
  };
}

/** Runs SQL against a test database (for assertions on what was written). */
export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}
