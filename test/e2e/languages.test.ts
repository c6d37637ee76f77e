import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  joinButton,
  launchBrowser,
  openPage,
  pageWidth,
  PHONE,
  useLanguage,
} from '../support/browser.js';
import { createConcert } from '../support/fixtures.js';
import { signUp } from '../support/http.js';
import { linkedAssets } from '../support/raw-http.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();
let browser: Browser;
let concertId: number;

beforeAll(async () => {
  browser = await launchBrowser();
  ({ concertId } = await createConcert(ctx.api, { seats: 10 }));
});
afterAll(async () => {
  await browser?.close();
});

describe('the page at / and its assets', () => {
  it('negotiates the language from Accept-Language', async () => {
    const langOf = async (acceptLanguage?: string) => {
      const res = await fetch(`${ctx.server.url}/`, {
        headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {},
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('vary')).toMatch(/Accept-Language/i);
      return /<html lang="(\w+)" data-accept-language="\w+">/.exec(await res.text())?.[1];
    };
    expect(await langOf('ko-KR,ko;q=0.9,en;q=0.8')).toBe('ko');
    expect(await langOf('en-US,en;q=0.9,ko;q=0.5')).toBe('en');
    expect(await langOf('fr-FR')).toBe('en');
    expect(await langOf()).toBe('ko');
  });

  it('serves the bundle and keeps the API 404 envelope for everything else', async () => {
    const [styles, script] = linkedAssets(await (await fetch(`${ctx.server.url}/`)).text());
    const js = await fetch(`${ctx.server.url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${ctx.server.url}${styles}`)).status).toBe(200);
    for (const path of ['/assets/missing.js', '/assets/app.js', '/no-such-api', '/index.html']) {
      const res = await ctx.api.get(path);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    const post = await ctx.api.post('/', {});
    expect(post.status).toBe(404);
    expect(post.body.error.code).toBe('NOT_FOUND');
  });
});

describe('Korean and English', () => {
  it('shows the page in Korean for a Korean browser, with error sentences in Korean', async () => {
    const { page, problems, context } = await openPage(browser, ctx.server.url, {
      locale: 'ko-KR',
      viewport: PHONE,
    });
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    expect(await page.textContent('main h1')).toBe('공연');
    expect(await joinButton(page, concertId).textContent()).toBe('로그인하고 대기열 입장');
    expect(await page.textContent('button.lang')).toBe('English');
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);

    // A wrong password, in words; the form's fields have labels.
    const fan = await signUp(ctx.api, 'Korean Fan');
    await joinButton(page, concertId).click();
    await page.getByLabel('휴대폰 번호').first().fill(fan.phone);
    await page.getByLabel('비밀번호').first().fill('wrong-password');
    await page.getByRole('button', { name: '로그인', exact: true }).click();
    await expect.poll(() => page.getAttribute('#error', 'data-code')).toBe('INVALID_CREDENTIALS');
    expect(await page.textContent('#error p')).toBe(
      '휴대폰 번호 또는 비밀번호가 올바르지 않습니다.',
    );

    // The toggle switches everything on screen, error included, and is remembered.
    await useLanguage(page, 'en');
    expect(await page.textContent('#error p')).toBe('The phone number or password is not right.');
    expect(await page.textContent('#signin-title')).toBe('Sign in');
    await page.reload();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('main h1')).toBe('Concerts');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows the page in English for an English browser, and in Korean after the toggle', async () => {
    const { page, problems, context } = await openPage(browser, ctx.server.url, {
      locale: 'en-US',
    });
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('main h1')).toBe('Concerts');
    expect(await joinButton(page, concertId).textContent()).toBe('Sign in to join the line');
    expect(await page.textContent('button.lang')).toBe('한국어');

    // Signed in: the header shows the points as KRW in both languages.
    const fan = await signUp(ctx.api, 'Bilingual Fan');
    await joinButton(page, concertId).click();
    await page.getByLabel('Phone number').first().fill(fan.phone);
    await page.getByLabel('Password').first().fill('password123');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('your-turn').waitFor();
    expect(await page.textContent('[data-testid=your-turn] h2')).toBe("It's your turn!");
    expect(await page.textContent('[data-testid=balance]')).toBe('Points ₩0');
    await page.locator('.grade-VIP .grade-title').waitFor();
    expect(await page.textContent('.grade-VIP .grade-title')).toBe('VIP · ₩150,000 · 10 left');

    await useLanguage(page, 'ko');
    expect(await page.textContent('[data-testid=your-turn] h2')).toBe('입장 차례입니다!');
    expect(await page.textContent('[data-testid=balance]')).toBe('포인트 ₩0');
    expect(await page.textContent('.grade-VIP .grade-title')).toBe('VIP석 · ₩150,000 · 잔여 10석');
    expect(await page.textContent('fieldset legend')).toBe('회차 선택');
    expect(await page.title()).toBe('🎟 입장 차례입니다! · Lineup');
    expect(problems).toEqual([]);
    await context.close();
  });
});
