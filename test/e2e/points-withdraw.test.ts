import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  joinButton,
  launchBrowser,
  openPage,
  pageWidth,
  PHONE,
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

/** The ledger rows on screen, newest first: "type|amount|balance after". */
function historyRows(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid=points-history] li[data-type]')
    .evaluateAll((items) =>
      items.map((li) =>
        [
          li.querySelector('.what strong')?.textContent,
          li.querySelector('.how-much strong')?.textContent,
          li.querySelector('.how-much small')?.textContent,
        ].join('|'),
      ),
    );
}

async function withdrawInPage(page: Page, amount: number): Promise<void> {
  await page.fill('#withdraw-amount', String(amount));
  await page.locator('form.withdraw button[type=submit]').click();
}

describe('withdrawing points on My tickets (375 px phone)', () => {
  it('signs up, charges, withdraws, sees balance and history; refusals in words, in both languages', async () => {
    const { concertId } = await createConcert(ctx.api, { seats: 10 });
    const { page, problems, context } = await openPage(browser, ctx.server.url, {
      viewport: PHONE,
    });
    await joinButton(page, concertId).click();
    const phone = await signUpInPage(page, 'Withdraw Fan');
    await page.getByTestId('your-turn').waitFor();
    await page.getByRole('button', { name: 'My tickets' }).first().click();
    await page.locator('main[data-view="account"]').waitFor();
    await expect
      .poll(() => page.textContent('[data-testid=points-history]'))
      .toBe('No points activity yet.');

    // Charge, then withdraw part of it.
    await page.fill('#charge-amount', '50000');
    await page.getByRole('button', { name: 'Charge', exact: true }).click();
    await expect
      .poll(() => page.textContent('#info p'))
      .toBe('Charged ₩50,000. Your points: ₩50,000.');
    await withdrawInPage(page, 20_000);
    await expect
      .poll(() => page.textContent('#info p'))
      .toBe('Withdrew ₩20,000. Your points: ₩30,000.');
    await expect.poll(() => page.textContent('[data-testid=balance]')).toBe('Points ₩30,000');
    expect(await page.textContent('.balance-line strong')).toBe('₩30,000');
    await expect
      .poll(() => historyRows(page))
      .toEqual(['Withdrawn|-₩20,000|Balance ₩30,000', 'Charged|+₩50,000|Balance ₩50,000']);

    // More than the balance, and less than the minimum: refused in words, nothing changes.
    await withdrawInPage(page, 40_000);
    await expect.poll(() => page.getAttribute('#error', 'data-code')).toBe('INSUFFICIENT_POINTS');
    expect(await page.textContent('#error p')).toBe(
      'You have ₩30,000 in points, not enough for ₩40,000.',
    );
    await useLanguage(page, 'ko');
    expect(await page.textContent('#error p')).toBe('보유 포인트(₩30,000)가 ₩40,000보다 적습니다.');
    await useLanguage(page, 'en');
    // The browser's own check stops amounts under its `min`; the server's rule answers the rest.
    await page.locator('#withdraw-amount').evaluate((el) => el.removeAttribute('min'));
    await withdrawInPage(page, 500);
    await expect
      .poll(() => page.getAttribute('#error', 'data-code'))
      .toBe('WITHDRAW_AMOUNT_OUT_OF_RANGE');
    expect(await page.textContent('#error p')).toBe(
      'You can withdraw from ₩1,000 up to your balance at a time.',
    );
    expect(await page.textContent('[data-testid=balance]')).toBe('Points ₩30,000');

    // "All" fills in the whole balance.
    await page.getByTestId('withdraw-all').click();
    expect(await page.inputValue('#withdraw-amount')).toBe('30000');
    await page.locator('form.withdraw button[type=submit]').click();
    await expect.poll(() => page.textContent('#info p')).toBe('Withdrew ₩30,000. Your points: ₩0.');
    await expect.poll(() => page.textContent('[data-testid=balance]')).toBe('Points ₩0');
    await expect.poll(async () => (await historyRows(page)).length).toBe(3);
    expect((await historyRows(page))[0]).toBe('Withdrawn|-₩30,000|Balance ₩0');
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);

    // In Korean, the form and the ledger too.
    await useLanguage(page, 'ko');
    expect(await page.textContent('#withdraw-title')).toBe('포인트 출금');
    expect(await page.textContent('#history-title')).toBe('포인트 내역');
    expect(await historyRows(page)).toEqual([
      '출금|-₩30,000|잔액 ₩0',
      '출금|-₩20,000|잔액 ₩30,000',
      '충전|+₩50,000|잔액 ₩50,000',
    ]);

    // The server agrees.
    const login = await ctx.api.post('/auth/login', { phone, password: 'password123' });
    const history = await ctx.api.get('/users/me/points/history', {
      token: login.body.accessToken,
    });
    expect(
      history.body.items.map((i: { type: string; amount: number }) => [i.type, i.amount]),
    ).toEqual([
      ['withdrawal', -30_000],
      ['withdrawal', -20_000],
      ['charge', 50_000],
    ]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
