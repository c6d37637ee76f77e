// Issue 18, "done when each point holds on a packed SDK installed in a fresh app": the SDK is built,
// `npm pack`ed and unpacked into a fresh app; the README's examples (client-sdk/examples/*.ts)
// compile there under strict settings and run against a real server; the packed runtime closes,
// cancels, iterates, types its errors and drives the admin API like the sources do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type * as Sdk from '@lineup/client-sdk';
import type { RunningServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, uniquePhone } from '../support/http.js';
import {
  APP_TSCONFIG,
  packAndInstallSdk,
  ROOT,
  TSC,
  type PackedSdk,
} from '../support/packed-sdk.js';
import { ADMIN_TOKEN, flushPrefix, startTestServer } from '../support/server.js';
import { until } from '../support/wait.js';

const run = promisify(execFile);
let db: TestDatabase;
let server: RunningServer;
let packed: PackedSdk;
let sdk: typeof Sdk;

beforeAll(async () => {
  db = await createTestDatabase();
  [server, packed] = await Promise.all([
    startTestServer(db.url, { QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' }),
    packAndInstallSdk(),
  ]);
  // The package's own entry point, as `import '@lineup/client-sdk'` resolves it in the app.
  sdk = (await import(pathToFileURL(join(packed.sdkDir, 'dist/index.js')).href)) as typeof Sdk;
}, 180_000);
afterAll(async () => {
  await server?.close();
  if (server) await flushPrefix(server.config.redisKeyPrefix);
  await db?.drop();
});

describe('the published package', () => {
  it('ships its README, its types, and every source its maps point at', async () => {
    expect(packed.files).toEqual(
      expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']),
    );
    const shipped = new Set(packed.files);
    const maps = packed.files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(packed.sdkDir, map), 'utf8')) as {
        sources: string[];
      };
      for (const source of sources) {
        const target = new URL(source, `file:///${map}`).pathname.slice(1);
        expect(shipped.has(target), `${map} -> ${source}`).toBe(true);
      }
    }
    // Nothing from the monorepo leaks in (tests, the server).
    expect(
      packed.files.filter((f) => !/^(dist|src)\/|^README\.md$|^package\.json$/.test(f)),
    ).toEqual([]);
  });

  it('compiles the examples under strict settings, and refuses a misspelt error code', async () => {
    const src = join(packed.appDir, 'src');
    await cp(join(ROOT, 'client-sdk/examples'), src, { recursive: true });
    await writeFile(
      join(src, 'typed-errors.ts'),
      [
        "import { isLineupError, type LineupError } from '@lineup/client-sdk';",
        'export function seatsTaken(err: unknown): number[] {',
        '  // @ts-expect-error -- not a code of the contract',
        "  if (isLineupError(err, 'SEAT_UNAVAILBLE')) return [];",
        "  if (isLineupError(err, 'SEAT_UNAVAILABLE')) return err.details?.seatIds ?? [];",
        '  return [];',
        '}',
        "export const status = (e: LineupError<'NOT_ADMITTED'>) => e.details?.position ?? null;",
        '',
      ].join('\n'),
    );
    await writeFile(join(packed.appDir, 'tsconfig.json'), JSON.stringify(APP_TSCONFIG));
    const result = await run(process.execPath, [TSC, '-p', packed.appDir], {
      cwd: packed.appDir,
    }).catch((err: { stdout?: string; stderr?: string }) => err);
    expect('stdout' in result ? `${result.stdout}${result.stderr}` : '').toBe('');
    const built = await readdir(join(packed.appDir, 'dist'));
    expect(built).toEqual(expect.arrayContaining(['operator.js', 'fan-journey.js']));
  }, 180_000);

  it('runs the examples against a real server: an operator sets up a concert, a fan books it', async () => {
    const env = { ...process.env, LINEUP_URL: server.url, LINEUP_ADMIN_TOKEN: ADMIN_TOKEN };
    const operator = await run(process.execPath, [join(packed.appDir, 'dist/operator.js')], {
      env,
      timeout: 60_000,
    });
    const { concertId } = JSON.parse(operator.stdout.trim().split('\n').at(-1)!) as {
      concertId: number;
    };
    expect(operator.stdout).toContain('closing an unknown concert: 404 CONCERT_NOT_FOUND');
    const fan = await run(process.execPath, [join(packed.appDir, 'dist/fan-journey.js')], {
      env: { ...env, LINEUP_CONCERT_ID: String(concertId) },
      timeout: 120_000,
    });
    expect(fan.stdout).toMatch(/admitted until/);
    expect(fan.stdout).toMatch(/paid 300000 KRW, balance 200000/);
    expect(fan.stdout).toContain('leave after paying: left=false, reason=completed');
  }, 180_000);
});

describe('the packed runtime', () => {
  async function fanWaiting() {
    const fixture = await createConcert(client(server.url));
    await setQueuePolicy(client(server.url), fixture.concertId, { paused: true });
    const fan = new sdk.LineupClient({ baseUrl: server.url });
    await fan.signUp({ name: 'Packed', phone: uniquePhone(), password: 'password123' });
    const { queueToken } = await fan.joinQueue(fixture.concertId);
    return { ...fixture, fan, queueToken };
  }

  it('close() settles waitForAdmission and ends statuses(); aborts say ABORTED; acks keep 403', async () => {
    const { fan, queueToken, scheduleIds, concertId } = await fanWaiting();
    const room = fan.queueConnection(queueToken).connect();
    await until(() => room.connected, 10_000, 'socket connected');
    const refused = await room.subscribeSeats(scheduleIds[0]!).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(sdk.LineupError);
    expect(refused).toMatchObject({ code: 'NOT_ADMITTED', status: 403 });
    const aborted = await room
      .waitForAdmission({ signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(aborted).toMatchObject({ code: 'ABORTED' });

    const pending = room.waitForAdmission().catch((e: unknown) => e);
    const loop = (async () => {
      let n = 0;
      for await (const _ of room.statuses()) n++;
      return n;
    })();
    await until(() => room.status !== undefined, 10_000, 'a status');
    room.close();
    expect(await pending).toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(await loop).toBeGreaterThanOrEqual(1);

    const admin = new sdk.LineupAdmin({ baseUrl: server.url, adminToken: ADMIN_TOKEN });
    expect((await admin.queueStats(concertId)).waiting).toBe(1);
    expect(await fan.leaveQueue(queueToken)).toEqual({ left: true, reason: 'left' });
    expect(await fan.leaveQueue(queueToken)).toEqual({ left: false, reason: 'left' });
  });
});
