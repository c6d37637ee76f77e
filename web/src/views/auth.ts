// Sign in / create an account. After either, the fan goes on to the concert they picked.
import type { ConcertListItem } from '@lineup/client-sdk';
import type { App, View } from '../app.js';
import { h } from '../dom.js';
import { m } from '../i18n.js';

interface Field {
  name: string;
  label: string;
  type: string;
  autocomplete: string;
  hint?: string;
  minlength?: number;
}

export class AuthView implements View {
  readonly name = 'auth';
  /** What was typed, kept across a language switch. */
  private readonly values = new Map<string, string>();

  constructor(
    private readonly app: App,
    private readonly then?: ConcertListItem,
  ) {}

  title(): string {
    return `${m().signInTitle} · ${m().appName}`;
  }

  render(): HTMLElement {
    const t = m();
    const signIn = this.form('signin', t.signInTitle, t.signIn, [
      { name: 'phone', label: t.phone, type: 'tel', autocomplete: 'username', hint: t.phoneHint },
      { name: 'password', label: t.password, type: 'password', autocomplete: 'current-password' },
    ]);
    const signUp = this.form('signup', t.signUpTitle, t.createAccount, [
      { name: 'name', label: t.name, type: 'text', autocomplete: 'name' },
      { name: 'phone', label: t.phone, type: 'tel', autocomplete: 'tel', hint: t.phoneHint },
      {
        name: 'password',
        label: t.password,
        type: 'password',
        autocomplete: 'new-password',
        hint: t.passwordHint,
        minlength: 8,
      },
    ]);
    return h('section', { class: 'view auth' }, h('div', { class: 'columns' }, signIn, signUp));
  }

  private form(id: string, title: string, submit: string, fields: Field[]): HTMLElement {
    const form = h(
      'form',
      { class: 'card', id: `${id}-form`, 'aria-labelledby': `${id}-title` },
      h('h2', { id: `${id}-title`, tabindex: '-1' }, title),
      fields.map((f) => {
        const inputId = `${id}-${f.name}`;
        const input = h('input', {
          id: inputId,
          name: f.name,
          type: f.type,
          autocomplete: f.autocomplete,
          required: true,
          minlength: f.minlength,
          'aria-describedby': f.hint ? `${inputId}-hint` : null,
        });
        input.value = this.values.get(inputId) ?? '';
        input.addEventListener('input', () => this.values.set(inputId, input.value));
        return h(
          'div',
          { class: 'field' },
          h('label', { for: inputId }, f.label),
          input,
          f.hint && h('small', { id: `${inputId}-hint`, class: 'muted' }, f.hint),
        );
      }),
      h('button', { type: 'submit', class: 'primary' }, submit),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit(id, form);
    });
    return form;
  }

  private async submit(id: string, form: HTMLFormElement): Promise<void> {
    const data = new FormData(form);
    const get = (k: string) => String(data.get(k) ?? '');
    const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
    button.disabled = true;
    try {
      if (id === 'signin') await this.app.session.login(get('phone'), get('password'));
      else await this.app.session.signUp(get('name'), get('phone'), get('password'));
    } catch (err) {
      this.app.error(err);
      button.disabled = false;
      return;
    }
    this.values.clear();
    const welcome = this.app.session.display;
    if (this.then) await this.app.joinQueue(this.then);
    else this.app.goConcerts();
    if (!this.then) this.app.info(() => m().welcome(welcome));
  }
}
