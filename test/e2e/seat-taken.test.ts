import type { Browser, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admittedFans } from '../support/booking.js';
import {
  joinButton,
  launchBrowser,
  openPage,
  seat,
  signUpInPage,
  useLanguage,
} from '../support/browser.js';
import { createConcert } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer({ QUEUE_TICK_MS: '100', LEADER_LEASE_MS: '600' });
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('a seat someone else takes', () => {
  it('explains a hold refused with SEAT_UNAVAILABLE, in English and in Korean, and drops live-taken choices', async () => {
    const { concertId, scheduleIds } = await createConcert(ctx.api, { seats: 20 });
    const [other] = await admittedFans(ctx.server, concertId, 1);
    const seatId = async (label: string): Promise<number> => {
      const res = await ctx.api.get(`/schedules/${scheduleIds[0]}/seats`, other!.auth);
      return res.body.find((s: { label: string }) => s.label === label).id;
    };

    const { page, problems } = await openPage(browser, ctx.server.url);
    await joinButton(page, concertId).click();
    await signUpInPage(page, 'Slow Fan');
    await seat(page, 'R1-2').waitFor();
    await seat(page, 'R1-2').click();

    // The fan's hold request is held back (it still goes to the real server) until the other
    // fan has taken the same seat: the server refuses it with SEAT_UNAVAILABLE.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let sent!: () => void;
    const requestSent = new Promise<void>((resolve) => (sent = resolve));
    await page.route(
      (url) => url.pathname === '/reservations',
      async (route: Route) => {
        sent();
        await released;
        await route.continue();
      },
    );
    await page.getByTestId('hold').click();
    await requestSent;
    const taken = await ctx.api.post(
      '/reservations',
      { scheduleId: scheduleIds[0], seatIds: [await seatId('R1-2')] },
      other!.auth,
    );
    expect(taken.status).toBe(201);
    release();

    await expect.poll(() => page.getAttribute('#error', 'data-code')).toBe('SEAT_UNAVAILABLE');
    expect(await page.textContent('#error p')).toBe(
      'Sorry, seat R1-2 was just taken by another fan. Please choose another seat.',
    );
    expect(await page.getAttribute('main', 'data-view')).toBe('room');
    await expect.poll(() => seat(page, 'R1-2').getAttribute('data-status')).toBe('held');
    expect(await seat(page, 'R1-2').getAttribute('aria-pressed')).toBe('false');
    expect(await page.getByTestId('hold').isDisabled()).toBe(true);

    // The same sentence in Korean after the toggle.
    await useLanguage(page, 'ko');
    expect(await page.textContent('#error p')).toBe(
      '죄송합니다. R1-2 좌석을 방금 다른 분이 선점했습니다. 다른 좌석을 선택해 주세요.',
    );
    await useLanguage(page, 'en');
    await page.unroute((url) => url.pathname === '/reservations');

    // A chosen seat taken by someone else while the fan looks: dropped from the choice, said so.
    await seat(page, 'R1-5').click();
    expect(await page.getByTestId('selection').textContent()).toContain('R1-5');
    const second = await ctx.api.post(
      '/reservations',
      { scheduleId: scheduleIds[0], seatIds: [await seatId('R1-5')] },
      other!.auth,
    );
    expect(second.status).toBe(201);
    await expect.poll(() => seat(page, 'R1-5').getAttribute('data-status')).toBe('held');
    expect(await seat(page, 'R1-5').getAttribute('aria-pressed')).toBe('false');
    await expect
      .poll(() => page.textContent('#info p'))
      .toBe('R1-5 was just taken by another fan.');
    // The selection panel also holds the 'best available' controls, after the summary.
    expect(await page.getByTestId('selection').textContent()).toMatch(
      /^No seats chosen yet\.Hold 0 seats · ₩0(Best available|$)/,
    );
    expect(problems).toEqual([]);
  });
});
