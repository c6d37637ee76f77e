// My tickets: points (charging, withdrawing, the ledger) and every reservation, refundable ones
// with a refund button.
import { REFUND_CUTOFF_MS, type Reservation } from '@lineup/client-sdk';
import type { App, View } from '../app.js';
import { fill, h, secondsUntil } from '../dom.js';
import { dateTime, m, won } from '../i18n.js';
import { chargeForm } from './charge.js';
import { reservationFacts } from './checkout.js';
import { PointsHistory, withdrawForm } from './points.js';

export class AccountView implements View {
  readonly name = 'account';
  private reservations: Reservation[] | undefined;
  /** The reservation whose refund is being confirmed. */
  private confirming: number | undefined;
  private busy = false;
  private readonly history: PointsHistory;

  constructor(private readonly app: App) {
    this.history = new PointsHistory(app, () => this.refreshIfShown());
    void this.load();
    void this.history.reload();
  }

  private refreshIfShown(): void {
    if (this.app.current === this) this.app.refresh();
  }

  /** After a charge or a withdrawal: the new balance at once, the ledger when it has loaded. */
  private pointsChanged(): void {
    this.app.refresh();
    void this.history.reload();
  }

  title(): string {
    return `${m().myTicketsTitle} · ${m().appName}`;
  }

  private async load(): Promise<void> {
    try {
      if (this.app.concerts.length === 0) this.app.concerts = await this.app.session.sdk.concerts();
      const [list] = await Promise.all([
        this.app.session.sdk.myReservations(),
        this.app.refreshBalance(),
      ]);
      this.reservations = list.sort((a, b) => b.id - a.id);
      this.refreshIfShown();
    } catch (err) {
      this.app.error(err);
    }
  }

  render(): HTMLElement {
    const t = m();
    const list = h('ul', { class: 'reservations', 'data-testid': 'reservations' });
    if (!this.reservations) fill(list, h('li', { class: 'muted' }, t.loading));
    else if (this.reservations.length === 0)
      fill(list, h('li', { class: 'muted' }, t.noReservations));
    else
      fill(
        list,
        this.reservations.map((r) => this.item(r)),
      );
    const balance = this.app.session.balance;
    return h(
      'section',
      { class: 'view account' },
      h('h1', { tabindex: '-1' }, t.myTicketsTitle),
      h(
        'div',
        { class: 'card' },
        h(
          'p',
          { class: 'balance-line' },
          `${t.balance}: `,
          h('strong', null, balance === undefined ? '…' : won(balance)),
        ),
        chargeForm(this.app, () => this.pointsChanged()),
        withdrawForm(this.app, () => this.pointsChanged()),
      ),
      this.history.render(),
      list,
    );
  }

  private item(r: Reservation): HTMLElement {
    const t = m();
    const info = this.app.scheduleInfo(r.concertId, r.scheduleId);
    const refundUntil = info.startsAt ? Date.parse(info.startsAt) - REFUND_CUTOFF_MS : undefined;
    const refundable =
      r.status === 'paid' && refundUntil !== undefined && Date.now() <= refundUntil;
    const live = r.status === 'held' && secondsUntil(r.expiresAt) > 0;
    return h(
      'li',
      { class: 'card reservation', 'data-reservation-id': r.id, 'data-status': r.status },
      h(
        'div',
        { class: 'reservation-head' },
        h('h2', null, `#${r.id} · ${info.title}`),
        h(
          'span',
          { class: `badge status-${r.status}` },
          live || r.status !== 'held' ? t.status[r.status] : t.status.expired,
        ),
      ),
      reservationFacts(this.app, r),
      live && h('p', { class: 'muted small' }, t.heldUntil(dateTime(r.expiresAt))),
      live &&
        h(
          'button',
          { type: 'button', class: 'primary', onclick: () => this.app.goCheckout(r) },
          t.continuePayment,
        ),
      r.status === 'paid' &&
        refundUntil !== undefined &&
        h(
          'p',
          { class: 'muted small' },
          refundable
            ? t.refundUntil(dateTime(new Date(refundUntil).toISOString()))
            : t.refundClosed,
        ),
      refundable && this.refundControls(r),
    );
  }

  private refundControls(r: Reservation): HTMLElement {
    const t = m();
    if (this.confirming !== r.id)
      return h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => this.ask(r.id) },
        t.refund,
      );
    return h(
      'div',
      { class: 'confirm', role: 'group', 'aria-labelledby': `refund-ask-${r.id}` },
      h('p', { id: `refund-ask-${r.id}` }, t.refundAsk(won(r.amount))),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          disabled: this.busy,
          onclick: () => void this.refund(r),
        },
        t.confirmRefund,
      ),
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => this.ask(undefined) },
        t.keepTicket,
      ),
    );
  }

  private ask(id: number | undefined): void {
    this.confirming = id;
    this.app.refresh();
    const selector = id === undefined ? 'h1' : `[data-reservation-id="${id}"] .confirm button`;
    document.querySelector<HTMLElement>(selector)?.focus();
  }

  private async refund(r: Reservation): Promise<void> {
    this.busy = true;
    this.app.refresh();
    try {
      const res = await this.app.session.sdk.refund(r.id);
      this.app.session.balance = res.balance;
      this.confirming = undefined;
      this.reservations = (await this.app.session.sdk.myReservations()).sort((a, b) => b.id - a.id);
      void this.history.reload();
      this.app.info(() => m().refunded(won(res.refundedAmount)));
    } catch (err) {
      this.app.error(err);
    } finally {
      this.busy = false;
      this.app.refresh();
    }
  }
}
