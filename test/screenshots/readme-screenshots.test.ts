import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { DEMO_PASSWORD, seedDemoData } from '../../src/seed/demo-seed.js';
import {
  DESKTOP,
  joinButton,
  launchBrowser,
  openPage,
  screenshot,
  seat,
} from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { ADMIN_TOKEN, flushPrefix, startTestServer } from '../support/server.js';
import { bulkFans } from '../support/users.js';
import { until } from '../support/wait.js';

// The README's screenshots, from the demo data: `npm run screenshots` (the vitest project
// `screenshots`, not part of `npm test`) rewrites docs/screenshots/*.png.

let db: TestDatabase;
let server: RunningServer;
let api: Client;
let browser: Browser;

describe('README screenshots', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db.url, { QUEUE_TICK_MS: '100', LEADER_LEASE_MS: '600' });
    api = client(server.url);
    await seedDemoData(server.orm, server.config);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (server) await flushPrefix(server.config.redisKeyPrefix);
    await db?.drop();
  });

  it('waiting room, seat map and confirmation at phone and desktop widths', async () => {
    const concerts = (await api.get('/concerts')).body as { id: number; title: string }[];
    const jazz = concerts.find((c) => c.title === 'Seoul Jazz Night')!;
    await setQueuePolicy(api, jazz.id, { maxActive: 3 });

    // A crowd ahead: 1,500 fans join first (3 are admitted, the rest wait).
    const crowd = await bulkFans(server, 1_500);
    const tokens: string[] = [];
    // The first three one by one (they are the ones admitted), then the rest in batches.
    for (const fan of crowd.slice(0, 3)) {
      const res = await api.post(`/concerts/${jazz.id}/queue`, undefined, { token: fan.token });
      tokens.push(res.body.queueToken as string);
    }
    for (let i = 3; i < crowd.length; i += 100) {
      const joined = await Promise.all(
        crowd
          .slice(i, i + 100)
          .map((fan) => api.post(`/concerts/${jazz.id}/queue`, undefined, { token: fan.token })),
      );
      tokens.push(...joined.map((r) => r.body.queueToken as string));
    }
    const leave = (from: number, to: number) =>
      Promise.all(
        tokens.slice(from, to).map((t) => api.del('/queue', { headers: { 'x-queue-token': t } })),
      );

    // The first three fans, once admitted, hold some seats of the first performance.
    for (const token of tokens.slice(0, 3)) {
      await until(
        async () =>
          (await api.get('/queue/status', { headers: { 'x-queue-token': token } })).body.status ===
          'active',
      );
    }
    const schedules = await api.get(`/concerts/${jazz.id}/schedules`, {
      token: crowd[0]!.token,
      headers: { 'x-queue-token': tokens[0]! },
    });
    const scheduleId = schedules.body[0].id as number;
    const seats = (
      await api.get(`/schedules/${scheduleId}/seats`, {
        token: crowd[0]!.token,
        headers: { 'x-queue-token': tokens[0]! },
      })
    ).body as { id: number; label: string }[];
    const ids = (...labels: string[]) => labels.map((l) => seats.find((s) => s.label === l)!.id);
    const picks = [ids('A-3', 'A-4', 'A-8'), ids('B-5', 'B-6', 'C-1', 'C-2'), ids('D-9', 'E-4')];
    for (const [i, seatIds] of picks.entries()) {
      const res = await api.post(
        '/reservations',
        { scheduleId, seatIds },
        { token: crowd[i]!.token, headers: { 'x-queue-token': tokens[i]! } },
      );
      if (res.status !== 201) throw new Error(`hold: ${res.status} ${JSON.stringify(res.body)}`);
    }

    // The line moves: 4 admissions a second, so the estimate has a rate to go by.
    await setQueuePolicy(api, jazz.id, { maxActive: 2_000, admitPerMinute: 240 });

    // A demo fan signs in and joins behind the crowd.
    const { page } = await openPage(browser, server.url, { locale: 'ko-KR', viewport: DESKTOP });
    await joinButton(page, jazz.id).click();
    await page.fill('#signin-phone', '010-0000-0001');
    await page.fill('#signin-password', DEMO_PASSWORD);
    await page.click('#signin-form button[type=submit]');
    const position = page.getByTestId('queue-position');
    await position.waitFor();

    // A few hundred ahead give up: the fan moves up, the progress bar fills a little.
    await leave(3, 380);
    await page.waitForFunction(
      () => Number(document.querySelector('#queue-progress')?.getAttribute('value')) > 20,
    );
    await screenshot(page, 'waiting');

    // Everyone ahead leaves: the fan's turn.
    await leave(380, tokens.length);
    await leave(0, 3);
    await page.getByTestId('your-turn').waitFor();
    await seat(page, 'A-5').waitFor();
    await seat(page, 'A-5').click();
    await seat(page, 'A-6').click();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await screenshot(page, 'seat-map');

    await page.getByTestId('hold').click();
    await page.getByTestId('pay').click();
    await page.getByTestId('confirmation').waitFor();
    await screenshot(page, 'confirmation');
  });

  it('the operators’ console during a sale, at phone and laptop widths', async () => {
    const concerts = (await api.get('/concerts')).body as { id: number; title: string }[];
    const iu = concerts.find((c) => c.title.startsWith('IU'))!;
    const early = concerts.find((c) => c.title.startsWith('SEVENTEEN'))!;
    await setQueuePolicy(api, iu.id, { maxActive: 5_000, admitPerMinute: 120 });
    const crowd = await bulkFans(server, 2_400);
    const join = (concertId: number, fans: typeof crowd) =>
      Promise.all(
        fans.map((fan) =>
          api.post(`/concerts/${concertId}/queue`, undefined, { token: fan.token }),
        ),
      );
    for (let i = 0; i < 2_000; i += 100) await join(iu.id, crowd.slice(i, i + 100));
    // Fans of a sale that opens later wait in its pre-queue.
    for (let i = 2_000; i < crowd.length; i += 100) await join(early.id, crowd.slice(i, i + 100));

    // The operator raises the admission rate step by step (one chart bar a second here).
    for (const admitPerMinute of [120, 300, 600, 900, 1_200, 1_200, 900, 600]) {
      await setQueuePolicy(api, iu.id, { admitPerMinute });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
    }

    const { page } = await openConsole();
    await page.locator(`section.line[data-concert-id="${iu.id}"] .rate-chart`).waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await screenshot(page, 'console');
  });
});

/** The console at /admin, signed in with the ADMIN_TOKEN. */
async function openConsole() {
  const context = await browser.newContext({
    locale: 'en-US',
    viewport: DESKTOP,
    timezoneId: 'Asia/Seoul',
  });
  const page = await context.newPage();
  await page.goto(`${server.url}/admin`);
  await page.fill('#admin-token', ADMIN_TOKEN);
  await page.click('#admin-sign-in button[type=submit]');
  await page.locator('section.line').first().waitFor();
  return { page };
}
