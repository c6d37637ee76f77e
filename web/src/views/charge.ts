// The "charge points" form (checkout and My tickets share it).
import type { App } from '../app.js';
import { h, randomKey } from '../dom.js';
import { m, won } from '../i18n.js';

const QUICK = [10_000, 50_000, 100_000, 500_000];

/** A form that charges points; `suggest` prefills the amount (e.g. what a payment is missing). */
export function chargeForm(app: App, onCharged: () => void, suggest?: number): HTMLElement {
  const t = m();
  const input = h('input', {
    id: 'charge-amount',
    name: 'amount',
    type: 'number',
    inputmode: 'numeric',
    min: '1000',
    max: '1000000',
    step: '1000',
    required: true,
    'aria-describedby': 'charge-hint',
  });
  if (suggest) input.value = String(suggest);
  const submit = h('button', { type: 'submit', class: 'secondary' }, t.charge);
  const form = h(
    'form',
    { class: 'charge', 'aria-labelledby': 'charge-title' },
    h('h3', { id: 'charge-title' }, t.chargeTitle),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'charge-amount' }, t.chargeAmount),
      h('div', { class: 'inline' }, input, submit),
      h('small', { id: 'charge-hint', class: 'muted' }, t.chargeHint),
    ),
    h(
      'div',
      { class: 'quick' },
      QUICK.map((amount) =>
        h(
          'button',
          {
            type: 'button',
            class: 'chip',
            onclick: () => {
              input.value = String(amount);
              input.focus();
            },
          },
          `+${won(amount)}`,
        ),
      ),
    ),
  );
  // One key per amount typed: a double submit of the same charge is replayed, not charged twice.
  let key = randomKey();
  let keyFor = '';
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const amount = Number(input.value);
    if (String(amount) !== keyFor) {
      key = randomKey();
      keyFor = String(amount);
    }
    submit.disabled = true;
    app.session.sdk
      .charge(amount, { idempotencyKey: key })
      .then(({ balance }) => {
        app.session.balance = balance;
        keyFor = '';
        onCharged();
        app.renderHeader();
        app.info(() => m().charged(won(amount), won(balance)));
      })
      .catch((err: unknown) => app.error(err))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}
