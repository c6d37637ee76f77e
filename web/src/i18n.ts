// Language (ko/en) and formatting. The server puts the language it negotiated from
// Accept-Language on <html data-accept-language>; a choice made with the toggle wins over it.
// Not i18next: two languages whose message tables (messages-en.ts, messages-ko.ts) are typed
// objects tsc checks for missing keys, and Intl formats dates and numbers.
import { en, type Messages } from './messages-en.js';
import { ko } from './messages-ko.js';

export type Lang = 'ko' | 'en';
const STORAGE_KEY = 'lineup.lang';
const dictionaries: Record<Lang, Messages> = { ko, en };
let current: Lang = 'en';

export function isLang(value: unknown): value is Lang {
  return value === 'ko' || value === 'en';
}

/** From the saved choice, else the server's Accept-Language answer, else the browser's list. */
export function detectLang(
  saved: string | null,
  negotiated: string | undefined,
  browser: readonly string[],
): Lang {
  if (isLang(saved)) return saved;
  if (isLang(negotiated)) return negotiated;
  for (const tag of browser) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLang(base)) return base;
  }
  return 'en';
}

export function initLang(): Lang {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    /* storage blocked: no saved choice */
  }
  setLang(
    detectLang(saved, document.documentElement.dataset.acceptLanguage, navigator.languages),
    false,
  );
  return current;
}

export function setLang(lang: Lang, remember = true): void {
  current = lang;
  document.documentElement.lang = lang;
  if (!remember) return;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* storage blocked: the choice lasts for this page */
  }
}

export function lang(): Lang {
  return current;
}

/** The texts of the current language. */
export function m(): Messages {
  return dictionaries[current];
}

export function messagesFor(l: Lang): Messages {
  return dictionaries[l];
}

const wonFormat = new Intl.NumberFormat('ko-KR', { style: 'currency', currency: 'KRW' });
/** KRW, e.g. ₩150,000 (always the Korean format, whatever the language). */
export function won(amount: number): string {
  return wonFormat.format(amount);
}

// Shows happen in Korea: times are shown in Korea time whatever the visitor's time zone.
const TIME_ZONE = 'Asia/Seoul';
const locale = () => (current === 'ko' ? 'ko-KR' : 'en-GB');

export function dateTime(iso: string): string {
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: current === 'ko' ? 'long' : 'medium',
    timeStyle: 'short',
    timeZone: TIME_ZONE,
  }).format(new Date(iso));
}

/** Weekday, date and time of a performance. */
export function showTime(iso: string): string {
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: TIME_ZONE,
  }).format(new Date(iso));
}

export function timeOfDay(iso: string): string {
  return new Intl.DateTimeFormat(locale(), {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZone: TIME_ZONE,
  }).format(new Date(iso));
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}
