import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinButton, launchBrowser, openPage, signUpInPage } from '../support/browser.js';
import { createConcert } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';

// The page's "best available" beside the seat map: the fan asks for a number of seats and the
// server picks adjacent ones (SPEC §2); the hold goes to checkout like a picked one.

const ctx = useTestServer({ QUEUE_TICK_MS: '100', LEADER_LEASE_MS: '600' });
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('best available on the page', () => {
  it('holds the 3 best adjacent seats the server picks', async () => {
    const { concertId } = await createConcert(ctx.api, { seats: 20 });
    const { page, problems, context } = await openPage(browser, ctx.server.url);
    await joinButton(page, concertId).click();
    await signUpInPage(page, 'Best Fan');
    await page.getByTestId('your-turn').waitFor();
    await page.selectOption('#best-count', '3');
    await page.getByTestId('hold-best').click();
    await expect.poll(() => page.getAttribute('main', 'data-view')).toBe('checkout');
    const me = await ctx.api.get('/users/me/reservations', {
      token: await page.evaluate(
        () => JSON.parse(localStorage.getItem('lineup.session')!).accessToken as string,
      ),
    });
    const labels = (me.body[0].seats as { label: string }[]).map((s) => s.label).sort();
    expect(labels).toHaveLength(3);
    const numbers = labels.map((l) => Number(l.split('-')[1])).sort((a, b) => a - b);
    expect(new Set(labels.map((l) => l.split('-')[0]))).toEqual(new Set(['R1']));
    expect(numbers[2]! - numbers[0]!).toBe(2);
    expect(problems).toEqual([]);
    await context.close();
  });
});
