import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser } from '../support/browser.js';
import { createConcert, setQueuePolicy, type ConcertFixture } from '../support/fixtures.js';
import { ADMIN_TOKEN, useTestServer } from '../support/server.js';
import { bulkFans } from '../support/users.js';

// The operators' console at /admin in Chromium: sign in with the ADMIN_TOKEN, watch a line move
// while the page stays open, change the policy and see it take effect, a bad value refused in
// words, pause, the close confirmation, and a sale set up from the forms.

const ctx = useTestServer({ QUEUE_TICK_MS: '100', LEADER_LEASE_MS: '600' });
let browser: Browser;
let concert: ConcertFixture;
let page: Page;
const problems: string[] = [];

const card = () => page.locator(`section.line[data-concert-id="${concert.concertId}"]`);
const tile = (name: string) => card().getByTestId(name);
const stats = async () =>
  (await ctx.api.get(`/admin/concerts/${concert.concertId}/queue`, { token: ADMIN_TOKEN })).body;

beforeAll(async () => {
  browser = await launchBrowser();
  concert = await createConcert(ctx.api, { seats: 20 });
  await setQueuePolicy(ctx.api, concert.concertId, { maxActive: 1 });
  const context = await browser.newContext({ locale: 'en-US', viewport: DESKTOP });
  page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
      problems.push(`console: ${msg.text()}`);
  });
  const requested: string[] = [];
  page.on('request', (req) => requested.push(req.url()));
  await page.goto(`${ctx.server.url}/admin`);
  (page as unknown as { requested: string[] }).requested = requested;
});
afterAll(async () => {
  await browser?.close();
});

describe('operators’ console', () => {
  it('refuses a wrong token in words, signs in with the ADMIN_TOKEN kept out of the URL', async () => {
    const form = page.locator('#admin-sign-in');
    await form.waitFor();
    await form.locator('input[name=token]').fill('not-the-token');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => page.textContent('#error')).toContain('That token is not right');
    expect(await page.locator('section.line').count()).toBe(0);

    await form.locator('input[name=token]').fill(ADMIN_TOKEN);
    await form.locator('button[type=submit]').click();
    await card().waitFor();
    expect(await page.title()).toBe('Operators’ console · Lineup');
    const requested = (page as unknown as { requested: string[] }).requested;
    expect(requested.filter((url) => url.includes(ADMIN_TOKEN))).toEqual([]);
    expect(page.url()).toBe(`${ctx.server.url}/admin`);
    // Kept for this tab only (sessionStorage), never in localStorage or a cookie.
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(ADMIN_TOKEN);
    expect((await page.context().cookies()).length).toBe(0);
    // A reload keeps the operator signed in.
    await page.reload();
    await card().waitFor();
  });

  it('shows the line changing while the page stays open', async () => {
    await expect.poll(() => tile('waiting').textContent()).toBe('0');
    expect(await tile('active').textContent()).toBe('0');
    const fans = await bulkFans(ctx.server, 4);
    for (const fan of fans)
      await ctx.api.post(`/concerts/${concert.concertId}/queue`, undefined, { token: fan.token });
    // maxActive 1: one admitted, three waiting — on the page without a reload.
    await expect.poll(() => tile('active').textContent(), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => tile('waiting').textContent(), { timeout: 15_000 }).toBe('3');
    expect(await tile('admitted').textContent()).toBe('1');
    await expect
      .poll(() => card().getByTestId('leader').textContent())
      .toContain(`Leader ${ctx.server.config.instanceId}`);
    // The leader closes a bucket every 10 ticks (1 s here): a bar appears in the chart.
    await expect
      .poll(async () => Number(await card().getByTestId('rate-chart').getAttribute('data-bars')), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
  });

  it('applies a policy change, which takes effect on the line', async () => {
    const input = card().locator('input[name=maxActive]');
    expect(await input.inputValue()).toBe('1');
    await input.fill('3');
    await card().locator('form.policy button[type=submit]').click();
    await expect.poll(() => page.textContent('#info')).toContain('the new policy applies');
    expect((await stats()).policy.maxActive).toBe(3);
    // The leader admits two more: the console shows 3 active, 1 waiting.
    await expect.poll(() => tile('active').textContent(), { timeout: 15_000 }).toBe('3');
    await expect.poll(() => tile('waiting').textContent(), { timeout: 15_000 }).toBe('1');
    // Polls went on while the form was there: the typed value is now the line's value.
    expect(await input.inputValue()).toBe('3');
  });

  it('refuses a bad value in words and changes nothing', async () => {
    const input = card().locator('input[name=maxActive]');
    await input.fill('0');
    await card().locator('input[name=activeIdleSeconds]').fill('2.5');
    await card().locator('form.policy button[type=submit]').click();
    const list = card().getByTestId('policy-problems');
    await expect
      .poll(() => list.textContent())
      .toContain('Active at once must be a whole number from 1 to 100,000.');
    expect(await list.textContent()).toContain(
      'Idle limit (seconds) must be a whole number from 1 to 86,400.',
    );
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    // The limits are shown beside each field.
    expect(
      await card()
        .locator('#policy-' + concert.concertId + '-maxActive-range')
        .textContent(),
    ).toBe('1 – 100,000');
    // Kept as typed across polls (the operator is fixing it), and the line unchanged.
    await page.waitForTimeout(2_500);
    expect(await input.inputValue()).toBe('0');
    const policy = (await stats()).policy;
    expect(policy.maxActive).toBe(3);
    expect(policy.activeIdleSeconds).toBe(ctx.server.config.queue.activeIdleSeconds);
    await input.fill('3');
    await card()
      .locator('input[name=activeIdleSeconds]')
      .fill(String(ctx.server.config.queue.activeIdleSeconds));
  });

  it('pauses and resumes admissions', async () => {
    const pause = card().getByTestId('pause');
    expect(await pause.textContent()).toBe('Pause admissions');
    await pause.click();
    await expect.poll(() => tile('line-state').textContent()).toBe('Paused');
    expect((await stats()).policy.paused).toBe(true);
    expect(await pause.textContent()).toBe('Resume admissions');
    await pause.click();
    await expect.poll(() => tile('line-state').textContent()).toBe('Admitting');
    expect((await stats()).policy.paused).toBe(false);
  });

  it('asks before closing a line, and keeps it open when told to', async () => {
    await card().getByTestId('close-line').click();
    const dialog = card().getByRole('alertdialog');
    expect(await dialog.textContent()).toContain('This cannot be undone');
    await dialog.getByRole('button', { name: 'Keep it open' }).click();
    expect(await card().getByRole('alertdialog').count()).toBe(0);
    expect((await stats()).waiting).toBe(1);
  });

  it('closes a line after the confirmation: its places end, it refuses joins', async () => {
    await card().getByTestId('close-line').click();
    await card().getByTestId('close-confirm').click();
    await expect.poll(() => page.textContent('#info')).toContain('line closed, 1 place ended.');
    await expect.poll(() => tile('line-state').textContent()).toBe('Line closed');
    expect(await tile('waiting').textContent()).toBe('0');
    expect(await card().getByTestId('close-line').isVisible()).toBe(false);
    const [late] = await bulkFans(ctx.server, 1);
    const join = await ctx.api.post(`/concerts/${concert.concertId}/queue`, undefined, {
      token: late!.token,
    });
    expect(join.status).toBe(409);
    expect(join.body.error.code).toBe('SALE_ENDED');
  });

  it('sets up a sale: a venue of graded rows, a concert and a performance', async () => {
    const venueForm = page.locator('#venue-form');
    const name = `Console Arena ${Date.now()}`;
    await venueForm.locator('input[name=venueName]').fill(name);
    await venueForm.getByRole('button', { name: 'Add a row' }).click();
    await venueForm.locator('input[name=seats]').last().fill('5');
    await venueForm.getByRole('button', { name: 'Create venue' }).click();
    await expect
      .poll(() => page.textContent('#info'))
      .toContain(`Venue ${name} created with 35 seats.`);

    const concertForm = page.locator('#concert-form');
    await concertForm.locator('input[name=title]').fill('Console Live');
    await concertForm.locator('input[name=artist]').fill('The Operators');
    await concertForm.locator('input[name=saleOpensAt]').fill('2030-01-01T20:00');
    await concertForm.getByRole('button', { name: 'Create concert' }).click();
    await expect.poll(() => page.textContent('#info')).toContain('Concert Console Live created.');
    const created = page.locator('section.line', { hasText: 'Console Live' });
    await created.waitFor();
    const concertId = Number(await created.getAttribute('data-concert-id'));
    const list = (await ctx.api.get('/concerts')).body as { id: number; saleOpensAt: string }[];
    expect(list.find((c) => c.id === concertId)?.saleOpensAt).toBe('2030-01-01T11:00:00.000Z');

    const scheduleForm = page.locator('#schedule-form');
    await scheduleForm.locator('select[name=concertId]').selectOption(String(concertId));
    await expect
      .poll(() => scheduleForm.locator('select[name=venueId] option').first().textContent())
      .toBe(`${name} (35)`);
    await scheduleForm.locator('input[name=startsAt]').fill('2030-02-01T19:30');
    await scheduleForm.getByRole('button', { name: 'Add performance' }).click();
    await expect
      .poll(() => page.textContent('#info'))
      .toContain('Performance added with 35 seats.');
    await expect.poll(() => created.locator('.schedule-seats').count()).toBe(1);

    // A bad price is refused in words, before anything is sent.
    await scheduleForm.locator('input[name=price-VIP]').fill('-5');
    await scheduleForm.getByRole('button', { name: 'Add performance' }).click();
    await expect
      .poll(() => page.textContent('#error'))
      .toContain('VIP price (KRW) must be a whole number from 0 to 100,000,000.');
    expect(problems).toEqual([]);
  });
});
