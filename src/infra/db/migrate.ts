import pg from 'pg';
import type { Logger } from 'pino';
import type { Orm } from './orm.js';

// Any constant works as long as every instance uses the same one.
const MIGRATION_LOCK_KEY = 0x4c696e65; // "Line"

/**
 * Creates the database named in the URL when it does not exist yet (several instances may race:
 * losing the race is fine).
 */
export async function ensureDatabase(databaseUrl: string, logger?: Logger): Promise<void> {
  const url = new URL(databaseUrl);
  const dbName = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!dbName) return;
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [dbName]);
    if (found.rowCount) return;
    try {
      await client.query(`create database "${dbName.replace(/"/g, '""')}"`);
      logger?.info({ database: dbName }, 'created database');
    } catch (err) {
      // 42P04 duplicate_database, 23505 when two CREATE DATABASE race on pg_database's index.
      const code = (err as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw err;
    }
  } finally {
    await client.end();
  }
}

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so that instances booting
 * together run them exactly once: the first takes the lock and migrates, the others wait, then
 * find nothing pending. Returns the names of the migrations this call applied.
 * The lock is held by a transaction on its own pooled connection, so the pool needs >= 2.
 */
export async function migrate(
  orm: Orm,
  logger?: Logger,
  thenUnderLock?: () => Promise<void>,
): Promise<string[]> {
  const knex = orm.em.getKnex();
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    const applied = await orm.getMigrator().up();
    if (applied.length > 0) {
      logger?.info({ migrations: applied.map((m) => m.name) }, 'applied migrations');
    }
    // Work that must also happen once across instances (the demo seed) runs under the same lock.
    await thenUnderLock?.();
    return applied.map((m) => m.name);
  });
}
