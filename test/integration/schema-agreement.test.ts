import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  Grade,
  LedgerType,
  POINTS,
  ReservationStatus,
  SeatStatus,
} from '@lineup/client-sdk/contract';
import { createOrm, type Orm } from '../../src/infra/db/orm.js';
import { createTestDatabase, sql, type TestDatabase } from '../support/db.js';

// The migrations are the schema's truth (src/infra/db/migrations). This file fails when the code
// disagrees with the database they build: an entity's table, column, nullability or type, a
// column that the SQL in src/ inserts or updates, or a CHECK constraint that the contract also
// states (enums, the balance cap). It reads whatever the migrations and the sources hold today,
// so a new migration or a new statement is checked without editing this file.

interface Column {
  nullable: boolean;
  type: string;
}

let db: TestDatabase;
let orm: Orm;
/** table -> column -> facts, from information_schema after all migrations ran. */
const schema = new Map<string, Map<string, Column>>();

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await createOrm(db.url);
  const rows = await sql<{
    table_name: string;
    column_name: string;
    is_nullable: string;
    data_type: string;
  }>(
    db.url,
    `select table_name, column_name, is_nullable, data_type from information_schema.columns
     where table_schema = current_schema()`,
  );
  for (const r of rows) {
    const table = schema.get(r.table_name) ?? new Map<string, Column>();
    table.set(r.column_name, { nullable: r.is_nullable === 'YES', type: r.data_type });
    schema.set(r.table_name, table);
  }
});
afterAll(async () => {
  await orm?.close(true);
  await db?.drop();
});

/** PostgreSQL data types a MikroORM runtime type may be stored in. */
const COMPATIBLE: Record<string, string[]> = {
  number: ['integer', 'bigint', 'smallint', 'numeric'],
  string: ['text', 'character varying', 'character'],
  Date: ['timestamp with time zone'],
  boolean: ['boolean'],
};

describe('entities follow the migrated database', () => {
  it('every entity property is a column of its table, with its nullability and a compatible type', () => {
    const problems: string[] = [];
    const metas = Object.values(orm.getMetadata().getAll()).filter((m) => !m.embeddable);
    expect(metas.length).toBeGreaterThan(0);
    for (const meta of metas) {
      const table = schema.get(meta.tableName);
      if (!table) {
        problems.push(`${meta.className}: no table ${meta.tableName}`);
        continue;
      }
      for (const prop of Object.values(meta.properties)) {
        for (const field of prop.fieldNames ?? []) {
          const column = table.get(field);
          const where = `${meta.tableName}.${field} (${meta.className}.${prop.name})`;
          if (!column) {
            problems.push(`${where}: no such column`);
            continue;
          }
          if (!!prop.nullable !== column.nullable)
            problems.push(
              `${where}: entity nullable=${!!prop.nullable}, column ${column.nullable}`,
            );
          const allowed = COMPATIBLE[prop.runtimeType];
          if (allowed && !allowed.includes(column.type))
            problems.push(`${where}: entity ${prop.runtimeType}, column ${column.type}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

/** Every .ts file under src/ except the migrations (their SQL is what built the schema). */
function sources(dir = 'src'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'migrations' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Splits on commas outside parentheses. */
function topLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i] === '(') depth++;
    else if (list[i] === ')') depth--;
    else if (list[i] === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  return parts.map((p) => p.trim());
}

describe('the SQL in src/ names columns the migrated database has', () => {
  const written: { where: string; table: string; column: string }[] = [];
  for (const file of sources()) {
    const text = readFileSync(file, 'utf8');
    const where = relative('.', file);
    for (const m of text.matchAll(/\binsert\s+into\s+(\w+)\s*\(([^)]*)\)/gi))
      for (const column of m[2]!.split(','))
        written.push({ where, table: m[1]!, column: column.trim() });
    for (const m of text.matchAll(
      /\bupdate\s+(\w+)\s+set\s+([\s\S]*?)\s(?:where|from|returning)\b/gi,
    ))
      for (const assignment of topLevel(m[2]!)) {
        const column = /^(\w+)\s*=/.exec(assignment)?.[1];
        if (column) written.push({ where, table: m[1]!, column });
      }
  }

  it('finds the statements it checks', () => {
    expect(written.length).toBeGreaterThan(20);
  });

  it('every inserted or updated column exists in its table', () => {
    const missing = written
      .filter(({ table, column }) => !schema.get(table)?.has(column))
      .map(({ where, table, column }) => `${where}: ${table}.${column}`);
    expect([...new Set(missing)]).toEqual([]);
  });
});

describe('CHECK constraints agree with the contract', () => {
  async function checks(): Promise<{ table: string; def: string }[]> {
    return sql<{ table: string; def: string }>(
      db.url,
      `select conrelid::regclass::text as table, pg_get_constraintdef(oid) as def
       from pg_constraint where contype = 'c' and connamespace = current_schema()::regnamespace`,
    );
  }
  const valuesOf = (def: string) => [...def.matchAll(/'([^']*)'::/g)].map((m) => m[1]).sort();

  it.each([
    ['seats', 'grade', Grade.options],
    ['reservations', 'status', ReservationStatus.options],
    ['point_ledger', 'type', LedgerType.options],
    ['schedule_seats', 'status', SeatStatus.options],
  ])('%s.%s takes exactly the contract’s values', async (table, column, values) => {
    const defs = (await checks()).filter(
      (c) => c.table === table && new RegExp(`\\(?${column}\\)?::text = ANY`).test(c.def),
    );
    expect(defs.length, `${table}.${column}`).toBe(1);
    expect(valuesOf(defs[0]!.def)).toEqual([...values].sort());
  });

  it('the balance cap of wallets and point_ledger is POINTS.balanceCap', async () => {
    const caps = (await checks())
      .filter((c) => /balance/.test(c.def) && /<=/.test(c.def))
      .map((c) => ({ table: c.table, cap: Number(/<=\s*\(?(\d+)/.exec(c.def)?.[1]) }));
    expect(caps.map((c) => c.table).sort()).toEqual(['point_ledger', 'wallets']);
    for (const c of caps) expect(c.cap, c.table).toBe(POINTS.balanceCap);
  });
});
