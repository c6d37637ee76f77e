import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createOrm } from '../../src/infra/db/orm.js';
import { migrate } from '../../src/infra/db/migrate.js';
import { PG_ADMIN_URL, TEST_DB_PREFIX, databaseUrl } from './env.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Builds one migrated template database per test run; each test file then copies it
// (CREATE DATABASE ... TEMPLATE), which takes milliseconds instead of re-running migrations.
// Databases are named after the run's pid, so concurrent runs never drop each other's.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // One template per project of this run (the integration and cluster projects each run this).
  const runId = `${process.pid}_${project.name.replace(/\W/g, '')}`;
  const template = `${TEST_DB_PREFIX}${runId}_template`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  const existing = await admin.query<{ datname: string }>(
    `select datname from pg_database where datname like $1`,
    [`${TEST_DB_PREFIX}%`],
  );
  for (const { datname } of existing.rows) {
    const pid = Number(/^lineup_t_(\d+)_/.exec(datname)?.[1]);
    if (!pid || !alive(pid)) await admin.query(`drop database if exists "${datname}" with (force)`);
  }
  await admin.query(`create database "${template}"`);
  await admin.end();
  const orm = await createOrm(databaseUrl(template), undefined, 4);
  await migrate(orm);
  await orm.close(true);
  project.provide('templateDatabase', template);
  project.provide('runId', runId);

  return async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    const mine = await c.query<{ datname: string }>(
      `select datname from pg_database where datname like $1`,
      [`${TEST_DB_PREFIX}${runId}_%`],
    );
    for (const { datname } of mine.rows)
      await c.query(`drop database if exists "${datname}" with (force)`);
    await c.end();
  };
}
