import { describe, expect, it } from 'vitest';
import { CLIENT_ERROR_CODES, LineupError, type LineupErrorCode } from '@lineup/client-sdk';
import { ERROR_CATALOGUE as ERRORS } from '@lineup/client-sdk/contract';
import { describeError, ERROR_SENTENCES } from '../../web/src/errors.js';
import { clock, detectLang, won } from '../../web/src/i18n.js';
import { en } from '../../web/src/messages-en.js';
import { ko } from '../../web/src/messages-ko.js';

const SDK_CODES = CLIENT_ERROR_CODES;

describe('the page’s error sentences', () => {
  it('has a Korean and an English sentence for every error the server or the SDK can report', () => {
    for (const code of [...(Object.keys(ERRORS) as LineupErrorCode[]), ...SDK_CODES]) {
      for (const lang of ['en', 'ko'] as const) {
        const sentence = describeError(new LineupError({ code, status: 400 }), undefined, lang);
        expect(sentence, `${lang} ${code}`).toMatch(/[.!]$/);
        expect(ERROR_SENTENCES[lang][code], `${lang} ${code}`).toBeDefined();
      }
    }
    expect(Object.keys(ERROR_SENTENCES.ko).sort()).toEqual(Object.keys(ERROR_SENTENCES.en).sort());
  });

  it('puts the retry time, the taken seats and the amounts into the sentence', () => {
    const full = new LineupError({ code: 'QUEUE_FULL', status: 503, retryAfterSeconds: 30 });
    expect(describeError(full, undefined, 'en')).toBe(
      'The waiting line is full right now. Please try again in 30 seconds.',
    );
    expect(describeError(full, undefined, 'ko')).toBe(
      '지금은 대기열이 가득 찼습니다. 30초 후에 다시 시도해 주세요.',
    );
    const later = new LineupError({ code: 'QUEUE_FULL', status: 503, retryAfterSeconds: 300 });
    expect(describeError(later, undefined, 'en')).toContain('in 5 minutes');

    const taken = new LineupError({
      code: 'SEAT_UNAVAILABLE',
      status: 409,
      details: { seatIds: [7, 8] },
    });
    const labels = (id: number) => ({ 7: 'A-7', 8: 'A-8' })[id];
    expect(describeError(taken, labels, 'en')).toBe(
      'Sorry, seats A-7, A-8 were just taken by another fan. Please choose another seat.',
    );
    expect(describeError(taken, undefined, 'en')).toBe(
      'Sorry, a seat you chose was just taken by another fan. Please choose another seat.',
    );

    const poor = new LineupError({
      code: 'INSUFFICIENT_POINTS',
      status: 402,
      details: { amount: 150_000, attemptsLeft: 4 },
    });
    expect(describeError(poor, undefined, 'en')).toBe(
      'You do not have enough points to pay ₩150,000. Charge points and try again (4 attempts left before the hold is released).',
    );
    expect(describeError(poor, undefined, 'ko')).toContain('₩150,000');
    // A withdrawal's refusal carries the balance: no "charge points", no attempts.
    const short = new LineupError({
      code: 'INSUFFICIENT_POINTS',
      status: 402,
      details: { amount: 40_000, balance: 30_000 },
    });
    expect(describeError(short, undefined, 'en')).toBe(
      'You have ₩30,000 in points, not enough for ₩40,000.',
    );
    expect(describeError(short, undefined, 'ko')).toBe(
      '보유 포인트(₩30,000)가 ₩40,000보다 적습니다.',
    );

    const invalid = new LineupError({
      code: 'VALIDATION_FAILED',
      status: 400,
      details: { issues: [{ path: 'phone', message: 'x' }] },
    });
    expect(describeError(invalid, undefined, 'ko')).toBe(
      '입력한 내용을 확인해 주세요 (휴대폰 번호).',
    );
  });

  it('says something sensible for a code it does not know, or a bug', () => {
    const unknown = new LineupError({
      // A code a newer server may send: not in this SDK's union, so only a cast makes one.
      code: 'SOMETHING_NEW' as LineupErrorCode,
      status: 418,
    });
    expect(describeError(unknown, undefined, 'en')).toBe(
      ERROR_SENTENCES.en.INTERNAL_ERROR!({
        details: {},
        retry: undefined,
        seats: undefined,
        seatCount: 0,
      }),
    );
    expect(describeError(new TypeError('x'), undefined, 'ko')).toContain('오류');
  });
});

describe('language and formats', () => {
  it('prefers the saved choice, then the server’s Accept-Language answer, then the browser', () => {
    expect(detectLang('en', 'ko', ['ko-KR'])).toBe('en');
    expect(detectLang(null, 'ko', ['en-US'])).toBe('ko');
    expect(detectLang(null, undefined, ['fr-FR', 'ko-KR'])).toBe('ko');
    expect(detectLang('de', undefined, ['fr-FR'])).toBe('en');
  });

  it('has the same texts in both languages and formats KRW the Korean way', () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    expect(won(150_000)).toBe('₩150,000');
    expect(clock(75)).toBe('1:15');
    expect(clock(3725)).toBe('1:02:05');
    expect(clock(-3)).toBe('0:00');
  });
});
