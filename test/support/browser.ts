import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { uniquePhone } from './http.js';

/** Debian's chromium (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export const PHONE = { width: 375, height: 740 };
export const DESKTOP = { width: 1280, height: 900 };

export interface FanPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and errors the page logged: a test can assert there were none. */
  problems: string[];
}

/** A fresh browser profile (own storage) with the page open; `locale` sets Accept-Language. */
export async function openPage(
  browser: Browser,
  url: string,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<FanPage> {
  const context = await browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: options.viewport ?? DESKTOP,
    timezoneId: 'Asia/Seoul',
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // The browser logs every 4xx answer as "Failed to load resource"; the page expects those.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
      problems.push(`console: ${msg.text()}`);
  });
  await page.goto(url);
  await page.locator('main[data-view="concerts"] h1').waitFor();
  return { context, page, problems };
}

/** Signs a new fan up through the page's form; returns their phone number. */
export async function signUpInPage(page: Page, name: string): Promise<string> {
  const phone = uniquePhone();
  const form = page.locator('#signup-form');
  await form.locator('input[name=name]').fill(name);
  await form.locator('input[name=phone]').fill(phone);
  await form.locator('input[name=password]').fill('password123');
  await form.locator('button[type=submit]').click();
  return phone;
}

/** The join button of a concert card. */
export function joinButton(page: Page, concertId: number) {
  return page.locator(`[data-concert-id="${concertId}"] button.primary`);
}

export function seat(page: Page, label: string) {
  return page.locator(`button.seat[data-label="${label}"]`);
}

/** Marks the document; `stillSameDocument` is false after any reload or navigation. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __lineupMark: boolean }).__lineupMark = true;
  });
}
export function stillSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(
    () => (window as unknown as { __lineupMark?: boolean }).__lineupMark === true,
  );
}

/** Widest content of the page: more than the viewport means sideways scrolling. */
export function pageWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

export const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

/** Switches the page to `lang` with its toggle (when it is not already in it). */
export async function useLanguage(page: Page, lang: 'ko' | 'en'): Promise<void> {
  if ((await page.getAttribute('html', 'lang')) !== lang) await page.click('button.lang');
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

/**
 * Saves the page as docs/screenshots/<name>-phone.png (375 px wide, in Korean) and
 * <name>-desktop.png (1280 px, in English), each as tall as its content, then puts size and
 * language back (npm run screenshots). Korean needs a Korean font on the machine (Debian:
 * fonts-nanum or fonts-noto-cjk).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const size = page.viewportSize();
  const lang = (await page.getAttribute('html', 'lang')) as 'ko' | 'en';
  for (const [suffix, viewport, language] of [
    ['phone', PHONE, 'ko'],
    ['desktop', DESKTOP, 'en'],
  ] as const) {
    await page.setViewportSize(viewport);
    await useLanguage(page, language);
    // A viewport as tall as the page, so sticky bars sit where a reader would find them.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({
      width: viewport.width,
      height: Math.max(viewport.height, height),
    });
    await page.screenshot({ path: `${SCREENSHOT_DIR}${name}-${suffix}.png` });
  }
  await useLanguage(page, lang);
  if (size) await page.setViewportSize(size);
}
