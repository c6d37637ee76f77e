import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admittedFans } from '../support/booking.js';
import {
  joinButton,
  launchBrowser,
  openPage,
  pageWidth,
  PHONE,
  seat,
  signUpInPage,
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

describe('from sign-up to a paid reservation and a refund (375 px phone)', () => {
  it('signs up, joins, picks seats by keyboard, charges, pays, sees the confirmation and refunds', async () => {
    const { concertId } = await createConcert(ctx.api, { seats: 20 });
    const { page, problems, context } = await openPage(browser, ctx.server.url, {
      viewport: PHONE,
    });

    // Not signed in: the concert's button leads to the forms, and on into the line after sign-up.
    await joinButton(page, concertId).click();
    expect(await page.getAttribute('main', 'data-view')).toBe('auth');
    const phone = await signUpInPage(page, 'Path Fan');
    await page.getByTestId('your-turn').waitFor();
    expect(await page.textContent('[data-testid=balance]')).toBe('Points ₩0');

    // The admission clock runs; the performance shows its seats left.
    expect(await page.getByTestId('admission-timer').textContent()).toMatch(/^\d+:\d\d$/);
    expect(await page.textContent('.picker')).toContain('20 of 20 seats left');
    expect(await page.textContent('.grade-VIP .grade-title')).toBe('VIP · ₩150,000 · 10 left');

    // Keyboard only: the first free seat of a grade is its tab stop; arrows move, Space/Enter pick.
    const first = seat(page, 'R1-1');
    expect(await first.getAttribute('tabindex')).toBe('0');
    await first.focus();
    await page.keyboard.press('ArrowRight');
    expect(await seat(page, 'R1-2').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Space');
    expect(await seat(page, 'R1-2').getAttribute('aria-pressed')).toBe('true');
    // No row below inside VIP: focus stays. Tab goes on to the next grade's tab stop.
    await page.keyboard.press('ArrowDown');
    expect(await seat(page, 'R1-2').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Tab');
    expect(await seat(page, 'R2-1').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    expect(await seat(page, 'R2-2').getAttribute('aria-pressed')).toBe('true');
    const holdButton = page.getByTestId('hold');
    expect(await holdButton.textContent()).toBe('Hold 2 seats · ₩270,000');
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await holdButton.click();

    // Checkout: the hold's countdown, the shortfall, and a refused payment in words.
    await page.getByTestId('hold-timer').waitFor();
    expect(await page.getByTestId('hold-timer').textContent()).toMatch(/held for \d+:\d\d/);
    await expect.poll(() => page.getByTestId('need-more').textContent()).toContain('₩270,000');
    await page.getByTestId('pay').click();
    await expect.poll(() => page.getAttribute('#error', 'data-code')).toBe('INSUFFICIENT_POINTS');
    expect(await page.textContent('#error p')).toContain(
      'You do not have enough points to pay ₩270,000',
    );

    // Charge what is missing (the form is prefilled with it), then pay.
    expect(await page.inputValue('#charge-amount')).toBe('270000');
    await page.getByRole('button', { name: 'Charge', exact: true }).click();
    await expect
      .poll(() => page.textContent('#info p'))
      .toBe('Charged ₩270,000. Your points: ₩270,000.');
    await expect.poll(() => page.textContent('[data-testid=balance]')).toBe('Points ₩270,000');
    await page.getByTestId('pay').click();

    // Confirmation.
    const confirmation = page.getByTestId('confirmation');
    await confirmation.waitFor();
    expect(await page.getByTestId('paid-amount').textContent()).toBe('₩270,000');
    const bookingNo = (await page.getByTestId('booking-no').textContent())!.slice(1);
    expect(await confirmation.textContent()).toContain('R1-2 · VIP · ₩150,000');
    expect(await confirmation.textContent()).toContain('R2-2 · R · ₩120,000');
    expect(await page.title()).toBe('Booking confirmed · Lineup');
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);

    // My tickets: paid, refundable (the show is 10 days away); refund after a confirmation step.
    await page.getByRole('button', { name: 'My tickets' }).first().click();
    const item = page.locator(`[data-reservation-id="${bookingNo}"]`);
    await item.waitFor();
    expect(await item.getAttribute('data-status')).toBe('paid');
    await item.getByRole('button', { name: 'Refund' }).click();
    expect(await item.textContent()).toContain('Refund ₩270,000 to your points?');
    await item.getByRole('button', { name: 'Yes, refund' }).click();
    await expect.poll(() => page.textContent('#info p')).toBe('Refunded ₩270,000 to your points.');
    await expect.poll(() => item.getAttribute('data-status')).toBe('refunded');
    expect(await item.getByRole('button', { name: 'Refund' }).count()).toBe(0);
    await expect.poll(() => page.textContent('[data-testid=balance]')).toBe('Points ₩270,000');

    // The server agrees.
    const login = await ctx.api.post('/auth/login', { phone, password: 'password123' });
    const mine = await ctx.api.get('/users/me/reservations', { token: login.body.accessToken });
    expect(mine.body.map((r: { status: string }) => r.status)).toEqual(['refunded']);
    expect((await ctx.api.get('/users/me/points', { token: login.body.accessToken })).body).toEqual(
      {
        balance: 270_000,
      },
    );
    expect(problems).toEqual([]);
    await context.close();
  });

  it('offers no refund inside the 3-day window', async () => {
    const { concertId, scheduleIds } = await createConcert(ctx.api, { seats: 10, startsInDays: 1 });
    const [fan] = await admittedFans(ctx.server, concertId, 1);
    const seats = await ctx.api.get(`/schedules/${scheduleIds[0]}/seats`, fan!.auth);
    const hold = await ctx.api.post(
      '/reservations',
      { scheduleId: scheduleIds[0], seatIds: [seats.body[0].id] },
      fan!.auth,
    );
    expect(
      (await ctx.api.post(`/reservations/${hold.body.id}/payment`, undefined, fan!.auth)).status,
    ).toBe(200);

    const context = await browser.newContext({ locale: 'en-US' });
    await context.addInitScript((token) => {
      localStorage.setItem(
        'lineup.session',
        JSON.stringify({ accessToken: token, display: 'Fan' }),
      );
    }, fan!.token);
    const page = await context.newPage();
    await page.goto(ctx.server.url);
    await page.getByRole('button', { name: 'My tickets' }).click();
    const item = page.locator(`[data-reservation-id="${hold.body.id}"]`);
    await item.waitFor();
    expect(await item.getAttribute('data-status')).toBe('paid');
    expect(await item.textContent()).toContain('Refunds close 3 days before the show.');
    expect(await item.getByRole('button', { name: 'Refund' }).count()).toBe(0);
    await context.close();
  });
});
