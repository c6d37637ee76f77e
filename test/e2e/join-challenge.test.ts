import type { Browser, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import {
  joinButton,
  launchBrowser,
  openPage,
  signUpInPage,
  type FanPage,
} from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { client, type Client } from '../support/http.js';
import { ADMIN_TOKEN, flushPrefix, startTestServer } from '../support/server.js';

// The page's side of the join challenge (SPEC §2, issue 15): the proof of work runs in a Web
// Worker (the built challenge-worker-<hash>.js) while the page shows how far it has got in plain
// words; leaving stops it; without Worker the SDK's chunked solver runs on the main thread.
const BITS = 15;
const EXPECTED = (2 ** BITS).toLocaleString('en'); // "32,768"
const WORKER_SCRIPT = /\/assets\/challenge-worker-[A-Z0-9]{8}\.js$/;

let db: TestDatabase;
let server: RunningServer;
let api: Client;
let browser: Browser;
const pages: FanPage[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db.url, { QUEUE_TICK_MS: '100' });
  api = client(server.url);
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const p of pages) await p.context.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
  if (server) await flushPrefix(server.config.redisKeyPrefix);
  await db?.drop();
});

async function challengeConcert(): Promise<number> {
  const { concertId } = await createConcert(api);
  await setQueuePolicy(api, concertId, { challengeBits: BITS });
  return concertId;
}

async function lineSize(concertId: number): Promise<number> {
  const stats = await api.get(`/admin/concerts/${concertId}/queue`, { token: ADMIN_TOKEN });
  return stats.body.waiting + stats.body.prequeue + stats.body.active;
}

/** Holds requests for the worker script until `release()`: the test sees the line before it moves. */
async function holdWorkerScript(page: Page) {
  const requested: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(WORKER_SCRIPT, async (route) => {
    requested.push(route.request().url());
    await released;
    await route.continue().catch(() => undefined); // the page may have given up on it
  });
  const workers: Worker[] = [];
  page.on('worker', (w) => workers.push(w));
  return { requested, workers, release };
}

/** Keeps every text the progress line shows (a MutationObserver, so no state is missed). */
async function recordProgressLine(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: { text: string; solver?: string }[] = [];
    (window as unknown as { __progress: typeof seen }).__progress = seen;
    new MutationObserver(() => {
      const line = document.querySelector<HTMLElement>('[data-testid=challenge-progress]');
      const text = line?.textContent ?? '';
      if (text && text !== seen.at(-1)?.text) seen.push({ text, solver: line?.dataset.solver });
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}
const progressSeen = (page: Page) =>
  page.evaluate(
    () => (window as unknown as { __progress: { text: string; solver?: string }[] }).__progress,
  );

describe('join challenge in the page', () => {
  it('solves in a Web Worker with a progress line in plain words, then the fan is in line', async () => {
    const concertId = await challengeConcert();
    const fan = await openPage(browser, server.url);
    pages.push(fan);
    const { page } = fan;
    const held = await holdWorkerScript(page);
    await recordProgressLine(page);

    await joinButton(page, concertId).click();
    await signUpInPage(page, 'Puzzle Fan');
    // The worker is asked for and the line is up, at zero, before any hashing happened.
    await page.locator('main[data-view="joining"]').waitFor();
    const line = page.getByTestId('challenge-progress');
    await expect.poll(() => line.textContent()).toBe(`Checked 0 of about ${EXPECTED} tries (0 %)`);
    expect(await line.getAttribute('data-solver')).toBe('worker');
    expect(await page.textContent('#live-polite')).toContain('solving a short puzzle');
    await expect.poll(() => held.requested.length).toBe(1);
    expect(await lineSize(concertId)).toBe(0);

    held.release();
    await page.locator('main[data-view="room"]').waitFor();
    expect(await lineSize(concertId)).toBe(1);
    expect(held.workers.map((w) => w.url())).toEqual([expect.stringMatching(WORKER_SCRIPT)]);
    // The line moved with the worker's reports: the last one counts the solution's own try.
    const seen = await progressSeen(page);
    expect(seen[0]).toEqual({
      text: `Checked 0 of about ${EXPECTED} tries (0 %)`,
      solver: 'worker',
    });
    const last = seen.at(-1)!;
    expect(last.solver).toBe('worker');
    const tried = Number(/^Checked ([\d,]+)/.exec(last.text)![1]!.replaceAll(',', ''));
    expect(tried).toBeGreaterThan(0);
    expect(last.text).toContain(EXPECTED);
    expect(fan.problems).toEqual([]);
  });

  it('says it in Korean, and cancelling stops the worker and leaves the fan out of line', async () => {
    // The hardest puzzle there is (2^24 tries expected): the worker is still at it when the fan
    // cancels.
    const { concertId } = await createConcert(api);
    await setQueuePolicy(api, concertId, { challengeBits: 24 });
    const fan = await openPage(browser, server.url, { locale: 'ko-KR' });
    pages.push(fan);
    const { page } = fan;
    const held = await holdWorkerScript(page);

    await joinButton(page, concertId).click();
    await signUpInPage(page, '퍼즐 팬');
    const line = page.getByTestId('challenge-progress');
    await expect.poll(() => line.textContent()).toBe('약 16,777,216번 중 0번 확인 (0%)');
    held.release();
    await expect.poll(() => held.workers.length).toBe(1);
    const closed = new Promise<void>((resolve) => held.workers[0]!.on('close', () => resolve()));
    // The worker reports: the line counts up.
    await expect.poll(() => line.textContent()).toMatch(/^약 16,777,216번 중 [1-9][\d,]*번 확인/);

    await page.getByRole('button', { name: '취소' }).click();
    await page.locator('main[data-view="concerts"]').waitFor();
    await closed; // terminated: nothing keeps hashing for a fan who left
    expect(await page.textContent('#info')).toContain('대기열에 들어가지 않았습니다.');
    expect(await lineSize(concertId)).toBe(0);
    expect(fan.problems).toEqual([]);
  });

  it('without Worker, solves on the main thread with the SDK’s chunked solver', async () => {
    const concertId = await challengeConcert();
    const fan = await openPage(browser, server.url);
    pages.push(fan);
    const { page } = fan;
    await page.addInitScript(() => {
      delete (window as { Worker?: unknown }).Worker;
    });
    await page.reload();
    await page.locator('main[data-view="concerts"] h1').waitFor();
    const requested: string[] = [];
    page.on('request', (r) => {
      if (WORKER_SCRIPT.test(r.url())) requested.push(r.url());
    });
    await recordProgressLine(page);

    await joinButton(page, concertId).click();
    await signUpInPage(page, 'Old Browser Fan');
    await page.locator('main[data-view="room"]').waitFor();
    expect(await lineSize(concertId)).toBe(1);
    const seen = await progressSeen(page);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.solver === 'main')).toBe(true);
    expect(requested).toEqual([]);
    expect(fan.problems).toEqual([]);
  });
});
