import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admittedFans, type AdmittedFan } from '../support/booking.js';
import { joinButton, launchBrowser, openPage, signUpInPage } from '../support/browser.js';
import { createConcert, setQueuePolicy, type ConcertFixture } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';

// SPEC §2 "Sold-out awareness" on the page: while every seat is held or sold, a waiting fan is
// told so in plain words, with how many held seats may come back, and chooses to keep waiting
// or to leave the line.
const ctx = useTestServer({
  QUEUE_TICK_MS: '100',
  QUEUE_PUSH_INTERVAL_MS: '200',
  LEADER_LEASE_MS: '600',
});
let browser: Browser;
let concert: ConcertFixture;
let holder: AdmittedFan;

beforeAll(async () => {
  browser = await launchBrowser();
  concert = await createConcert(ctx.api, { seats: 2 });
  await setQueuePolicy(ctx.api, concert.concertId, { maxActive: 10, admitPerMinute: 60_000 });
  [holder] = (await admittedFans(ctx.server, concert.concertId, 1)) as [AdmittedFan];
});
afterAll(async () => {
  await browser?.close();
});

/** The admitted fan holds both seats: sold out, 2 held seats. Returns the reservation id. */
async function holdBoth(): Promise<number> {
  const seats = await ctx.api.get(`/schedules/${concert.scheduleIds[0]}/seats`, holder.auth);
  const res = await ctx.api.post(
    '/reservations',
    { scheduleId: concert.scheduleIds[0], seatIds: seats.body.map((s: { id: number }) => s.id) },
    holder.auth,
  );
  expect(res.status).toBe(201);
  return res.body.id as number;
}

describe('a sold-out line on the page', () => {
  it('says all seats are taken and how many may come back, and lets the fan keep waiting or leave', async () => {
    const reservation = await holdBoth();
    const fans = [];
    for (const name of ['Staying Fan', 'Leaving Fan']) {
      const fan = await openPage(browser, ctx.server.url);
      await joinButton(fan.page, concert.concertId).click();
      await signUpInPage(fan.page, name);
      await expect
        .poll(() => fan.page.getByTestId('sold-out').isVisible(), { timeout: 15_000 })
        .toBe(true);
      fans.push(fan);
    }
    const [staying, leaving] = fans as [(typeof fans)[0], (typeof fans)[0]];
    const panel = staying.page.getByTestId('sold-out');
    expect(await panel.locator('h2').textContent()).toBe('All seats are taken right now');
    expect(await staying.page.getByTestId('sold-out-text').textContent()).toContain(
      '2 held seats may come back',
    );
    // Still in line, first: nobody is admitted while sold out.
    expect(await staying.page.getByTestId('queue-position').textContent()).toBe(
      'You are number 1 in line',
    );

    // Keep waiting: the choice goes away, the fan stays in line.
    await staying.page.getByTestId('sold-out-keep-waiting').click();
    await expect.poll(() => panel.textContent()).toContain('You are still in line');
    expect(await staying.page.getByTestId('sold-out-leave').count()).toBe(0);

    // Leave: the other fan's place ends (the existing leave call) and its page goes back.
    await leaving.page.getByTestId('sold-out-leave').click();
    await expect.poll(() => leaving.page.getAttribute('main', 'data-view')).toBe('concerts');
    await expect
      .poll(async () => (await ctx.server.services.queue.counts(concert.concertId)).waiting)
      .toBe(1);

    // The holder cancels: two seats are back, one claimed by the holder (still admitted, it may
    // take it again), one for the fan who kept waiting: the message goes, its turn comes.
    expect(
      (await ctx.api.del(`/reservations/${reservation}`, { token: holder.token })).status,
    ).toBe(200);
    await expect
      .poll(() => staying.page.getByTestId('your-turn').isVisible(), { timeout: 15_000 })
      .toBe(true);
    expect(await panel.count()).toBe(0);
  });
});
