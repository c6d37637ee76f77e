// Every error code of SPEC §4/§5 (and the SDK's own) as a sentence a fan understands.
import {
  DEFAULT_MAX_SEATS_PER_USER,
  formatWon,
  isLineupError,
  POINTS,
  REFUND_CUTOFF_DAYS,
  type LineupErrorCode,
} from '@lineup/client-sdk';
import { lang, type Lang, won } from './i18n.js';

export interface ErrorFacts {
  details: Record<string, unknown>;
  /** "30 seconds" / "30초", or undefined when the server gave no Retry-After. */
  retry: string | undefined;
  /** Labels of the seats named in details.seatIds (e.g. "A-3, A-4"), when known. */
  seats: string | undefined;
  seatCount: number;
}
type Sentence = (f: ErrorFacts) => string;
/** Every code a fan can meet: the server's (the contract's catalogue) and the SDK's own. */
type PageErrorCode = LineupErrorCode;
/** One sentence per code: a code added to the catalogue fails the type check until it has one. */
type Sentences = Record<PageErrorCode, Sentence>;
const { chargeMin, chargeMax, balanceCap, withdrawMin } = POINTS;

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

const en: Sentences = {
  VALIDATION_FAILED: (f) => `Please check what you entered${fields(f, 'en')}.`,
  MALFORMED_JSON: () => 'The page sent a request the server could not read. Please reload.',
  UNAUTHENTICATED: () => 'Please sign in again; your session has ended.',
  INVALID_CREDENTIALS: () => 'The phone number or password is not right.',
  QUEUE_TOKEN_INVALID: () =>
    'Your place in line could not be verified. Please join the line again.',
  INSUFFICIENT_POINTS: (f) => {
    const amount = won(num(f.details.amount) ?? 0);
    const balance = num(f.details.balance);
    // A withdrawal says what the balance is; a payment says how many tries are left.
    if (balance !== undefined)
      return `You have ${won(balance)} in points, not enough for ${amount}.`;
    const left = num(f.details.attemptsLeft);
    return (
      `You do not have enough points to pay ${amount}. Charge points and try again` +
      (left !== undefined ? ` (${left} attempts left before the hold is released).` : '.')
    );
  },
  NOT_ADMITTED: (f) =>
    num(f.details.position)
      ? `It is not your turn yet: you are number ${num(f.details.position)} in line.`
      : 'It is not your turn yet. Please wait in the line.',
  NOT_FOUND: () => 'That page or request does not exist.',
  USER_NOT_FOUND: () => 'This account does not exist.',
  CONCERT_NOT_FOUND: () => 'This concert does not exist anymore.',
  VENUE_NOT_FOUND: () => 'This venue does not exist.',
  SCHEDULE_NOT_FOUND: () => 'This performance does not exist anymore.',
  SEAT_NOT_FOUND: () => 'One of the chosen seats does not exist. Please choose again.',
  RESERVATION_NOT_FOUND: () => 'This booking could not be found.',
  QUEUE_ENTRY_NOT_FOUND: () => 'You are not in this line anymore. Please join it again.',
  PHONE_TAKEN: () => 'This phone number already has an account. Please sign in instead.',
  VENUE_NAME_TAKEN: () => 'A venue with this name already exists.',
  SEAT_UNAVAILABLE: (f) =>
    `Sorry, ${!f.seats ? 'a seat you chose was' : f.seatCount > 1 ? `seats ${f.seats} were` : `seat ${f.seats} was`} just taken by another fan. Please choose another seat.`,
  SCHEDULE_CLOSED: () => 'This performance is not on sale anymore.',
  SALE_ENDED: () => 'The sale for this concert has ended.',
  CHALLENGE_REQUIRED: () => 'This line asks your browser to solve a short puzzle first. Try again.',
  CHALLENGE_FAILED: () => 'The puzzle could not be checked (it may have expired). Try again.',
  RESERVATION_NOT_HELD: () => 'These seats are no longer held (paid, released or expired).',
  ALREADY_PAID: () => 'This booking is already paid.',
  REFUND_WINDOW_CLOSED: () =>
    `Refunds close ${REFUND_CUTOFF_DAYS} days before the show, so this booking can no longer be refunded.`,
  NOT_REFUNDABLE: () => 'Only paid bookings can be refunded.',
  IDEMPOTENCY_KEY_IN_USE: () =>
    'Your previous request is still being processed. Please wait a moment.',
  IDEMPOTENCY_KEY_REUSED: () =>
    'This request conflicts with an earlier one. Please reload and try again.',
  HOLD_EXPIRED: () =>
    'Your hold has expired and the seats were released. Nothing was charged. Please choose seats again.',
  ADMISSION_EXPIRED: () => 'Your booking time is over. Please join the line again.',
  PAYLOAD_TOO_LARGE: () => 'The request was too large.',
  UNSUPPORTED_MEDIA_TYPE: () =>
    'The page sent a request in a format the server does not accept. Please reload.',
  CHARGE_AMOUNT_OUT_OF_RANGE: () =>
    `You can charge from ₩${formatWon(chargeMin)} to ₩${formatWon(chargeMax)} at a time.`,
  BALANCE_LIMIT_EXCEEDED: () => `Your points balance cannot go above ₩${formatWon(balanceCap)}.`,
  WITHDRAW_AMOUNT_OUT_OF_RANGE: (f) =>
    `You can withdraw from ${won(num(f.details.min) ?? withdrawMin)} up to your balance at a time.`,
  SEAT_LIMIT_EXCEEDED: (f) =>
    `You can hold or buy at most ${num(f.details.max) ?? DEFAULT_MAX_SEATS_PER_USER} seats for one performance.`,
  RATE_LIMITED: (f) => `Too many requests. Please try again in ${f.retry ?? 'a moment'}.`,
  INTERNAL_ERROR: () => 'Something went wrong on our side. Please try again.',
  QUEUE_FULL: (f) =>
    `The waiting line is full right now. Please try again in ${f.retry ?? 'a few minutes'}.`,
  SERVICE_UNAVAILABLE: () => 'The service is busy for a moment. Please try again shortly.',
  NETWORK_ERROR: () => 'Could not reach the server. Check your connection and try again.',
  UNEXPECTED_RESPONSE: () => 'The server sent an unexpected answer. Please try again.',
  NOT_CONNECTED: () => 'The live connection is not ready yet. Please try again in a moment.',
  ACK_TIMEOUT: () => 'The live connection did not answer in time. Please try again.',
  QUEUE_ENDED: () => 'Your place in line has ended. Please join the line again.',
  CONNECTION_CLOSED: () => 'The live connection was closed. Please join the line again.',
  ABORTED: () => 'The request was cancelled.',
  TIMEOUT: () => 'The server took too long to answer. Please try again.',
};

const ko: Sentences = {
  VALIDATION_FAILED: (f) => `입력한 내용을 확인해 주세요${fields(f, 'ko')}.`,
  MALFORMED_JSON: () => '서버가 요청을 읽지 못했습니다. 페이지를 새로고침해 주세요.',
  UNAUTHENTICATED: () => '로그인이 만료되었습니다. 다시 로그인해 주세요.',
  INVALID_CREDENTIALS: () => '휴대폰 번호 또는 비밀번호가 올바르지 않습니다.',
  QUEUE_TOKEN_INVALID: () => '대기 순번을 확인할 수 없습니다. 대기열에 다시 입장해 주세요.',
  INSUFFICIENT_POINTS: (f) => {
    const amount = won(num(f.details.amount) ?? 0);
    const balance = num(f.details.balance);
    if (balance !== undefined) return `보유 포인트(${won(balance)})가 ${amount}보다 적습니다.`;
    const left = num(f.details.attemptsLeft);
    return (
      `${amount}을(를) 결제하기에 포인트가 부족합니다. 포인트를 충전한 뒤 다시 시도해 주세요` +
      (left !== undefined ? ` (${left}번 더 실패하면 좌석 선점이 해제됩니다).` : '.')
    );
  },
  NOT_ADMITTED: (f) =>
    num(f.details.position)
      ? `아직 입장 차례가 아닙니다. 현재 대기 순번은 ${num(f.details.position)}번입니다.`
      : '아직 입장 차례가 아닙니다. 대기열에서 기다려 주세요.',
  NOT_FOUND: () => '요청한 페이지나 기능이 없습니다.',
  USER_NOT_FOUND: () => '존재하지 않는 계정입니다.',
  CONCERT_NOT_FOUND: () => '더 이상 존재하지 않는 공연입니다.',
  VENUE_NOT_FOUND: () => '존재하지 않는 공연장입니다.',
  SCHEDULE_NOT_FOUND: () => '더 이상 존재하지 않는 공연 회차입니다.',
  SEAT_NOT_FOUND: () => '선택한 좌석 중 존재하지 않는 좌석이 있습니다. 다시 선택해 주세요.',
  RESERVATION_NOT_FOUND: () => '예매 내역을 찾을 수 없습니다.',
  QUEUE_ENTRY_NOT_FOUND: () => '대기열에 더 이상 없습니다. 다시 입장해 주세요.',
  PHONE_TAKEN: () => '이미 가입된 휴대폰 번호입니다. 로그인해 주세요.',
  VENUE_NAME_TAKEN: () => '같은 이름의 공연장이 이미 있습니다.',
  SEAT_UNAVAILABLE: (f) =>
    `죄송합니다. ${f.seats ? `${f.seats} 좌석을` : '선택한 좌석을'} 방금 다른 분이 선점했습니다. 다른 좌석을 선택해 주세요.`,
  SCHEDULE_CLOSED: () => '이 공연 회차는 판매가 종료되었습니다.',
  SALE_ENDED: () => '이 공연의 판매가 종료되었습니다.',
  CHALLENGE_REQUIRED: () =>
    '이 대기열은 먼저 브라우저가 짧은 퍼즐을 풀어야 합니다. 다시 시도해 주세요.',
  CHALLENGE_FAILED: () => '퍼즐을 확인하지 못했습니다(만료되었을 수 있습니다). 다시 시도해 주세요.',
  RESERVATION_NOT_HELD: () => '이 좌석은 더 이상 선점 상태가 아닙니다 (결제, 취소 또는 만료됨).',
  ALREADY_PAID: () => '이미 결제가 완료된 예매입니다.',
  REFUND_WINDOW_CLOSED: () =>
    `공연 ${REFUND_CUTOFF_DAYS}일 전부터는 환불할 수 없어 이 예매는 환불되지 않습니다.`,
  NOT_REFUNDABLE: () => '결제가 완료된 예매만 환불할 수 있습니다.',
  IDEMPOTENCY_KEY_IN_USE: () => '이전 요청을 아직 처리하고 있습니다. 잠시 기다려 주세요.',
  IDEMPOTENCY_KEY_REUSED: () => '이전 요청과 충돌합니다. 새로고침한 뒤 다시 시도해 주세요.',
  HOLD_EXPIRED: () =>
    '좌석 선점 시간이 지나 좌석이 해제되었습니다. 결제되지 않았으니 좌석을 다시 선택해 주세요.',
  ADMISSION_EXPIRED: () => '예매 가능 시간이 끝났습니다. 대기열에 다시 입장해 주세요.',
  PAYLOAD_TOO_LARGE: () => '요청이 너무 큽니다.',
  UNSUPPORTED_MEDIA_TYPE: () => '서버가 받을 수 없는 형식의 요청입니다. 새로고침해 주세요.',
  CHARGE_AMOUNT_OUT_OF_RANGE: () =>
    `한 번에 ${formatWon(chargeMin)}원부터 ${formatWon(chargeMax)}원까지 충전할 수 있습니다.`,
  BALANCE_LIMIT_EXCEEDED: () => `포인트 잔액은 ${formatWon(balanceCap)}원을 넘을 수 없습니다.`,
  WITHDRAW_AMOUNT_OUT_OF_RANGE: (f) =>
    `한 번에 ${won(num(f.details.min) ?? withdrawMin)}부터 보유 포인트까지 출금할 수 있습니다.`,
  SEAT_LIMIT_EXCEEDED: (f) =>
    `한 회차에 최대 ${num(f.details.max) ?? DEFAULT_MAX_SEATS_PER_USER}석까지 선점하거나 구매할 수 있습니다.`,
  RATE_LIMITED: (f) => `요청이 너무 많습니다. ${f.retry ?? '잠시'} 후에 다시 시도해 주세요.`,
  INTERNAL_ERROR: () => '일시적인 오류가 발생했습니다. 다시 시도해 주세요.',
  QUEUE_FULL: (f) =>
    `지금은 대기열이 가득 찼습니다. ${f.retry ?? '몇 분'} 후에 다시 시도해 주세요.`,
  SERVICE_UNAVAILABLE: () => '서비스가 잠시 혼잡합니다. 잠시 후 다시 시도해 주세요.',
  NETWORK_ERROR: () => '서버에 연결할 수 없습니다. 인터넷 연결을 확인하고 다시 시도해 주세요.',
  UNEXPECTED_RESPONSE: () => '서버에서 예상하지 못한 응답이 왔습니다. 다시 시도해 주세요.',
  NOT_CONNECTED: () => '실시간 연결이 아직 준비되지 않았습니다. 잠시 후 다시 시도해 주세요.',
  ACK_TIMEOUT: () => '실시간 연결의 응답이 늦습니다. 다시 시도해 주세요.',
  QUEUE_ENDED: () => '대기 순번이 종료되었습니다. 대기열에 다시 입장해 주세요.',
  CONNECTION_CLOSED: () => '실시간 연결이 끊어졌습니다. 대기열에 다시 입장해 주세요.',
  ABORTED: () => '요청이 취소되었습니다.',
  TIMEOUT: () => '서버 응답이 너무 늦습니다. 다시 시도해 주세요.',
};

export const ERROR_SENTENCES: Record<Lang, Readonly<Record<string, Sentence>>> = { en, ko };

const FIELD_NAMES: Record<Lang, Record<string, string>> = {
  en: { name: 'name', phone: 'phone number', password: 'password', amount: 'amount' },
  ko: { name: '이름', phone: '휴대폰 번호', password: '비밀번호', amount: '금액' },
};

function fields(f: ErrorFacts, l: Lang): string {
  const issues = Array.isArray(f.details.issues) ? (f.details.issues as { path?: unknown }[]) : [];
  const names = new Set<string>();
  for (const issue of issues) {
    const key =
      String(issue.path ?? '')
        .split('.')
        .pop() ?? '';
    const name = FIELD_NAMES[l][key];
    if (name) names.add(name);
  }
  if (names.size === 0) return '';
  return ` (${[...names].join(', ')})`;
}

function retryText(seconds: number | undefined, l: Lang): string | undefined {
  if (seconds === undefined) return undefined;
  if (seconds < 90) return l === 'en' ? `${seconds} seconds` : `${seconds}초`;
  const minutes = Math.ceil(seconds / 60);
  return l === 'en' ? `${minutes} minutes` : `${minutes}분`;
}

/** The sentence for an error, in the current language (or `l`). */
export function describeError(
  err: unknown,
  seatLabel: (id: number) => string | undefined = () => undefined,
  l: Lang = lang(),
): string {
  const code = isLineupError(err) ? err.code : 'INTERNAL_ERROR';
  const details = (isLineupError(err) ? err.details : undefined) ?? {};
  const ids = Array.isArray(details.seatIds)
    ? details.seatIds.filter((x) => typeof x === 'number')
    : [];
  const labels = ids.map((id) => seatLabel(id)).filter((x): x is string => !!x);
  const facts: ErrorFacts = {
    details,
    retry: retryText(isLineupError(err) ? err.retryAfterSeconds : undefined, l),
    seats: labels.length ? labels.join(', ') : undefined,
    seatCount: labels.length,
  };
  const sentence = ERROR_SENTENCES[l][code] ?? ERROR_SENTENCES[l].INTERNAL_ERROR!;
  return sentence(facts);
}

/** The error's code, for data attributes and tests. */
export function errorCode(err: unknown): string {
  return isLineupError(err) ? err.code : 'INTERNAL_ERROR';
}
