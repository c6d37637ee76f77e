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
  submitAmount(app, form, input, submit, {
    send: (amount, key) => app.session.sdk.charge(amount, { idempotencyKey: key }),
    done: onCharged,
    told: (amount, balance) => m().charged(won(amount), won(balance)),
  });
  return form;
}

/**
 * Submits a points form's amount (charge, withdrawal): one Idempotency-Key per amount typed, so a
 * double submit of the same amount is replayed, not applied twice; then the new balance.
 */
export function submitAmount(
  app: App,
  form: HTMLFormElement,
  input: HTMLInputElement,
  submit: HTMLButtonElement,
  action: {
    send: (amount: number, key: string) => Promise<{ balance: number }>;
    done: () => void;
    told: (amount: number, balance: number) => string;
  },
): void {
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
    action
      .send(amount, key)
      .then(({ balance }) => {
        app.session.balance = balance;
        keyFor = '';
        action.done();
        app.renderHeader();
        app.info(() => action.told(amount, balance));
      })
      .catch((err: unknown) => app.error(err))
      .finally(() => {
        submit.disabled = false;
      });
  });
}
