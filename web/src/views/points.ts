// The points part of My tickets: withdrawing points, and the ledger newest first.
import { POINTS, type LedgerItem } from '@lineup/client-sdk';
import type { App } from '../app.js';
import { fill, h } from '../dom.js';
import { dateTime, m, won } from '../i18n.js';
import { submitAmount } from './charge.js';

const PAGE = 10;

/** A form that withdraws points (1,000 up to the balance; the server has the last word). */
export function withdrawForm(app: App, onWithdrawn: () => void): HTMLElement {
  const t = m();
  const input = h('input', {
    id: 'withdraw-amount',
    name: 'amount',
    type: 'number',
    inputmode: 'numeric',
    min: '1000',
    step: '1',
    required: true,
    'aria-describedby': 'withdraw-hint',
  });
  const submit = h('button', { type: 'submit', class: 'secondary' }, t.withdraw);
  const balance = app.session.balance;
  const form = h(
    'form',
    { class: 'withdraw', 'aria-labelledby': 'withdraw-title' },
    h('h3', { id: 'withdraw-title' }, t.withdrawTitle),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'withdraw-amount' }, t.withdrawAmount),
      h('div', { class: 'inline' }, input, submit),
      h('small', { id: 'withdraw-hint', class: 'muted' }, t.withdrawHint),
    ),
    balance !== undefined &&
      balance >= POINTS.withdrawMin &&
      h(
        'div',
        { class: 'quick' },
        h(
          'button',
          {
            type: 'button',
            class: 'chip',
            'data-testid': 'withdraw-all',
            onclick: () => {
              input.value = String(app.session.balance ?? balance);
              input.focus();
            },
          },
          t.withdrawAll(won(balance)),
        ),
      ),
  );
  submitAmount(app, form, input, submit, {
    send: (amount, key) => app.session.sdk.withdrawPoints(amount, { idempotencyKey: key }),
    done: onWithdrawn,
    told: (amount, after) => m().withdrawn(won(amount), won(after)),
  });
  return form;
}

/** The fan's points ledger, a page at a time ("show more" follows the cursor). */
export class PointsHistory {
  private items: LedgerItem[] | undefined;
  private nextCursor: string | null = null;
  private busy = false;

  constructor(
    private readonly app: App,
    private readonly changed: () => void,
  ) {}

  /** Loads the newest page again (after a charge, a withdrawal, a payment or a refund). */
  async reload(): Promise<void> {
    await this.load(undefined);
  }

  render(): HTMLElement {
    const t = m();
    const list = h('ol', { class: 'ledger', 'data-testid': 'points-history' });
    if (!this.items) fill(list, h('li', { class: 'muted' }, t.loading));
    else if (this.items.length === 0) fill(list, h('li', { class: 'muted' }, t.noHistory));
    else
      fill(
        list,
        this.items.map((item) => this.row(item)),
      );
    return h(
      'section',
      { class: 'card history', 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title' }, t.historyTitle),
      list,
      this.nextCursor !== null &&
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            disabled: this.busy,
            onclick: () => void this.load(this.nextCursor ?? undefined),
          },
          t.showMore,
        ),
    );
  }

  private row(item: LedgerItem): HTMLElement {
    const t = m();
    const signed = item.amount > 0 ? `+${won(item.amount)}` : won(item.amount);
    return h(
      'li',
      { 'data-ledger-id': item.id, 'data-type': item.type },
      h(
        'span',
        { class: 'what' },
        h('strong', null, t.ledgerType[item.type]),
        h('small', { class: 'muted' }, dateTime(item.createdAt)),
      ),
      h(
        'span',
        { class: 'how-much' },
        h('strong', { class: item.amount < 0 ? 'out' : 'in' }, signed),
        h('small', { class: 'muted' }, t.balanceAfter(won(item.balanceAfter))),
      ),
    );
  }

  private async load(cursor: string | undefined): Promise<void> {
    this.busy = true;
    try {
      const page = await this.app.session.sdk.history({ cursor, limit: PAGE });
      this.items = cursor ? [...(this.items ?? []), ...page.items] : page.items;
      this.nextCursor = page.nextCursor;
    } catch (err) {
      this.app.error(err);
    } finally {
      this.busy = false;
      this.changed();
    }
  }
}
