// A held reservation: what is held, the countdown to its expiry, points, charge, pay, release.
// Then the confirmation.
import { isLineupError, POINTS, type PaymentResponse, type Reservation } from '@lineup/client-sdk';
import type { App, View } from '../app.js';
import { everySecond, h, randomKey, secondsUntil } from '../dom.js';
import { clock, dateTime, m, showTime, won } from '../i18n.js';
import { chargeForm } from './charge.js';

/**
 * The reservation's concert, performance and seats as a definition list; `end` replaces the
 * total row (the confirmation lists what was paid instead).
 */
export function reservationFacts(
  app: App,
  r: Reservation,
  end: [label: string, value: string, testId?: string][] = [[m().total, won(r.amount)]],
): HTMLElement {
  const t = m();
  const info = app.scheduleInfo(r.concertId, r.scheduleId);
  return h(
    'dl',
    { class: 'facts' },
    h('dt', null, t.concert),
    h('dd', null, info.title),
    info.startsAt && h('dt', null, t.performance),
    info.startsAt && h('dd', null, `${showTime(info.startsAt)} · ${info.venue ?? ''}`),
    h('dt', null, t.seats),
    h(
      'dd',
      null,
      h(
        'ul',
        { class: 'seat-list' },
        r.seats.map((s) => h('li', null, `${s.label} · ${s.grade} · ${won(s.price)}`)),
      ),
    ),
    end.flatMap(([label, value, testId], i) => [
      h('dt', null, label),
      h('dd', { class: i === 0 ? 'amount' : null, 'data-testid': testId }, value),
    ]),
  );
}

export class CheckoutView implements View {
  readonly name = 'checkout';
  private paying = false;
  private payKey = randomKey();
  private stopTimer: (() => void) | undefined;

  constructor(
    private readonly app: App,
    private reservation: Reservation,
  ) {
    void app.refreshBalance().then(() => {
      if (app.current === this) app.refresh();
    });
  }

  title(): string {
    return `${m().checkoutTitle} · ${m().appName}`;
  }

  render(): HTMLElement {
    const t = m();
    const r = this.reservation;
    const balance = this.app.session.balance;
    const short = balance === undefined ? 0 : Math.max(0, r.amount - balance);
    const timer = h('p', { class: 'timer', role: 'timer', 'data-testid': 'hold-timer' });
    this.stopTimer?.();
    this.stopTimer = everySecond(() => {
      const left = secondsUntil(r.expiresAt);
      timer.textContent = left > 0 ? t.heldFor(clock(left)) : t.holdExpiredNote;
      timer.classList.toggle('urgent', left < 60);
    });
    const suggest =
      short > 0
        ? Math.min(POINTS.chargeMax, Math.max(POINTS.chargeMin, Math.ceil(short / 1000) * 1000))
        : undefined;
    return h(
      'section',
      { class: 'view checkout' },
      h('h1', { tabindex: '-1' }, t.checkoutTitle),
      timer,
      h('div', { class: 'card' }, reservationFacts(this.app, r)),
      h(
        'div',
        { class: 'card' },
        h(
          'p',
          { class: 'balance-line' },
          `${t.balance}: `,
          h(
            'strong',
            { 'data-testid': 'checkout-balance' },
            balance === undefined ? '…' : won(balance),
          ),
        ),
        short > 0 && h('p', { class: 'warn', 'data-testid': 'need-more' }, t.needMore(won(short))),
        // Open when points are missing; one click away otherwise.
        short > 0
          ? chargeForm(this.app, () => this.app.refresh(), suggest)
          : h(
              'details',
              { class: 'more' },
              h('summary', null, t.chargeTitle),
              chargeForm(this.app, () => this.app.refresh()),
            ),
      ),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            'data-testid': 'pay',
            disabled: this.paying,
            onclick: () => void this.pay(),
          },
          t.pay(won(r.amount)),
        ),
        h(
          'button',
          { type: 'button', class: 'secondary', onclick: () => void this.release() },
          t.releaseSeats,
        ),
      ),
    );
  }

  dispose(): void {
    this.stopTimer?.();
  }

  private async pay(): Promise<void> {
    if (this.paying) return;
    this.paying = true;
    try {
      const payment = await this.app.session.sdk.pay(this.reservation.id, {
        idempotencyKey: this.payKey,
      });
      this.app.session.balance = payment.balance;
      this.app.show(new ConfirmationView(this.app, this.reservation, payment));
    } catch (err) {
      // Only a request that got no answer may be retried with the same key.
      if (!isLineupError(err, 'NETWORK_ERROR')) this.payKey = randomKey();
      this.paying = false;
      this.app.error(err);
      if (isLineupError(err, 'INSUFFICIENT_POINTS')) await this.app.refreshBalance();
      this.app.refresh();
    }
  }

  private async release(): Promise<void> {
    try {
      this.reservation = await this.app.session.sdk.cancelReservation(this.reservation.id);
      if (!this.app.goRoom()) this.app.goAccount();
      this.app.info(() => m().released);
    } catch (err) {
      this.app.error(err);
    }
  }
}

export class ConfirmationView implements View {
  readonly name = 'confirmation';

  constructor(
    private readonly app: App,
    private readonly reservation: Reservation,
    private readonly payment: PaymentResponse,
  ) {}

  title(): string {
    return `${m().confirmedTitle} · ${m().appName}`;
  }

  render(): HTMLElement {
    const t = m();
    const p = this.payment;
    return h(
      'section',
      { class: 'view confirmation', 'data-testid': 'confirmation' },
      h('div', { class: 'check', 'aria-hidden': 'true' }, '✓'),
      h('h1', { tabindex: '-1' }, t.confirmedTitle),
      h('p', null, t.confirmedText),
      h(
        'div',
        { class: 'card' },
        h(
          'p',
          { class: 'booking-no' },
          `${t.bookingNo} `,
          h('strong', { 'data-testid': 'booking-no' }, `#${p.reservationId}`),
        ),
        reservationFacts(this.app, this.reservation, [
          [t.paid, won(p.amount), 'paid-amount'],
          [t.paidAt, dateTime(p.paidAt)],
          [t.balanceNow, won(p.balance)],
        ]),
      ),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          { type: 'button', class: 'primary', onclick: () => this.app.goAccount() },
          t.navMyTickets,
        ),
        h(
          'button',
          { type: 'button', class: 'secondary', onclick: () => this.app.goConcerts() },
          t.backToConcerts,
        ),
      ),
    );
  }
}
