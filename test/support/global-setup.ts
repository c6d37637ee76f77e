import pg from 'pg';
import { createOrm } from '../../src/infra/db/orm.js';
import { migrate } from '../../src/infra/db/migrate.js';
import { PG_ADMIN_URL, TEMPLATE_DB, TEST_DB_PREFIX, databaseUrl } from './env.js';

// Builds one migrated template database per test run; each test file then copies it
// (CREATE DATABASE ... TEMPLATE), which takes milliseconds instead of re-running migrations.
export default async function setup(): Promise<() => Promise<void>> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  const stale = await admin.query<{ datname: string }>(
    `select datname from pg_database where datname like $1 or datname = $2`,
    [`${TEST_DB_PREFIX}%`, TEMPLATE_DB],
  );
  for (const { datname } of stale.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  await admin.query(`create database "${TEMPLATE_DB}"`);
  const orm = await createOrm(databaseUrl(TEMPLATE_DB), undefined, 4);
  await migrate(orm);
  await orm.close(true);
  await admin.end();
  return async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    const left = await c.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`${TEST_DB_PREFIX}%`]);
    for (const { datname } of left.rows) await c.query(`drop database if exists "${datname}" with (force)`);
    await c.end();
  };
}
