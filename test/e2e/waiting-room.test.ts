import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  joinButton,
  launchBrowser,
  markDocument,
  openPage,
  seat,
  signUpInPage,
  stillSameDocument,
  type FanPage,
} from '../support/browser.js';
import { createConcert, setQueuePolicy, type ConcertFixture } from '../support/fixtures.js';
import { signUp } from '../support/http.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer({
  QUEUE_TICK_MS: '100',
  QUEUE_PUSH_INTERVAL_MS: '200',
  LEADER_LEASE_MS: '600',
});
let browser: Browser;
let concert: ConcertFixture;
const pages: FanPage[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  concert = await createConcert(ctx.api, { seats: 20 });
  await setQueuePolicy(ctx.api, concert.concertId, { maxActive: 1 });
});
afterAll(async () => {
  await browser?.close();
});

describe('waiting room and live seat map (maxActive 1)', () => {
  it('admits fan 1, shows fan 2 its live position, and keeps fan 2’s map in step with fan 1’s hold', async () => {
    const fan1 = await openPage(browser, ctx.server.url);
    const fan2 = await openPage(browser, ctx.server.url);
    pages.push(fan1, fan2);

    // Fan 1 signs up on the page and joins: the only fan, so admitted at once.
    await joinButton(fan1.page, concert.concertId).click();
    await signUpInPage(fan1.page, 'Fan One');
    const turn1 = fan1.page.getByTestId('your-turn');
    await expect.poll(() => turn1.isVisible()).toBe(true);
    await expect.poll(() => fan1.page.title()).toContain('Your turn');
    expect(await fan1.page.textContent('#live-assertive')).toContain("It's your turn");

    // Someone else (through the API) joins before fan 2, so fan 2 starts second in line.
    const early = await signUp(ctx.api, 'Early Fan');
    const earlyJoin = await ctx.api.post(`/concerts/${concert.concertId}/queue`, undefined, {
      token: early.token,
    });
    expect(earlyJoin.body.status).toBe('waiting');

    await joinButton(fan2.page, concert.concertId).click();
    await signUpInPage(fan2.page, 'Fan Two');
    const position = fan2.page.getByTestId('queue-position');
    await expect.poll(() => position.textContent()).toBe('You are number 2 in line');
    await expect.poll(() => fan2.page.title()).toBe('#2 in line · Lineup');
    expect(await fan2.page.getAttribute('main', 'data-view')).toBe('room');
    await expect.poll(() => fan2.page.textContent('#live-polite')).toContain('number 2 in line');
    await markDocument(fan2.page);

    // The fan ahead leaves: fan 2 moves up without reloading.
    await ctx.api.del('/queue', { headers: { 'x-queue-token': earlyJoin.body.queueToken } });
    await expect.poll(() => position.textContent()).toBe('You are number 1 in line');
    await expect.poll(() => fan2.page.title()).toBe('#1 in line · Lineup');
    expect(await fan2.page.getAttribute('#queue-progress', 'value')).not.toBeNull();

    // Fan 1 picks seat R1-3 and holds it.
    await seat(fan1.page, 'R1-3').click();
    expect(await seat(fan1.page, 'R1-3').getAttribute('aria-pressed')).toBe('true');
    await fan1.page.getByTestId('hold').click();
    await fan1.page.getByTestId('hold-timer').waitFor();
    expect(await fan1.page.getAttribute('main', 'data-view')).toBe('checkout');

    // Fan 2 is still waiting (fan 1 holds the only slot); one more slot lets fan 2 in.
    expect(await position.textContent()).toBe('You are number 1 in line');
    await setQueuePolicy(ctx.api, concert.concertId, { maxActive: 2 });
    await fan2.page.getByTestId('your-turn').waitFor();
    await expect.poll(() => fan2.page.title()).toContain('Your turn');
    expect(await fan2.page.textContent('#live-assertive')).toContain("It's your turn");
    expect(await stillSameDocument(fan2.page)).toBe(true);

    // Fan 1's held seat is unavailable on fan 2's map, the others are free.
    const taken = seat(fan2.page, 'R1-3');
    await taken.waitFor();
    expect(await taken.getAttribute('data-status')).toBe('held');
    expect(await taken.getAttribute('aria-disabled')).toBe('true');
    expect(await seat(fan2.page, 'R1-4').getAttribute('data-status')).toBe('available');
    await taken.click({ force: true }); // choosing a taken seat does nothing
    expect(await taken.getAttribute('aria-pressed')).toBe('false');
    await seat(fan2.page, 'R1-4').click();

    // Fan 1 releases the seat: fan 2's map shows it available again, without a reload.
    await fan1.page.getByRole('button', { name: 'Release these seats' }).click();
    await expect.poll(() => taken.getAttribute('data-status')).toBe('available');
    expect(await taken.getAttribute('aria-disabled')).toBe('false');
    expect(await stillSameDocument(fan2.page)).toBe(true);
    // And fan 2 can choose it now.
    await taken.click();
    expect(await taken.getAttribute('aria-pressed')).toBe('true');
    expect(await fan2.page.getByTestId('selection').textContent()).toContain('R1-3');

    expect(fan1.problems).toEqual([]);
    expect(fan2.problems).toEqual([]);
  });
});
