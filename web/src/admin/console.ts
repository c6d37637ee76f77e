// The operators' console at /admin (SPEC §4): sign in with the ADMIN_TOKEN, every concert's line
// live (polled every 2 s from the admin API), the controls, and the set-up forms. Loaded as its
// own chunk by main.ts, so fans never download it.
import { isLineupError, type AdminConcertOverview, type AdminVenue } from '@lineup/client-sdk';
import { fill, h } from '../dom.js';
import { describeError } from '../errors.js';
import { lang, setLang, timeOfDay } from '../i18n.js';
import { AdminApi } from './admin-api.js';
import { LineCard, type Notices } from './line-card.js';
import { am } from './messages.js';
import { setupForms } from './setup-forms.js';

const POLL_MS = 2_000;

export function startConsole(): void {
  new Console(new AdminApi(location.origin)).start();
}

class Console implements Notices {
  private readonly header = document.getElementById('site-header')!;
  private readonly main = document.getElementById('main')!;
  private readonly errorBox = document.getElementById('error')!;
  private readonly infoBox = document.getElementById('info')!;
  private readonly cards = new Map<number, LineCard>();
  private readonly cardList = h('div', { class: 'lines' });
  private readonly status = h('p', { class: 'live-status', 'data-testid': 'live-status' });
  private readonly setup = h('div');
  private concerts: AdminConcertOverview[] = [];
  private venues: AdminVenue[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private polling = false;

  constructor(private readonly api: AdminApi) {}

  start(): void {
    this.main.dataset.view = 'admin';
    this.renderHeader();
    if (this.api.signedIn) this.showConsole();
    else this.showSignIn();
  }

  info(text: string): void {
    fill(this.errorBox);
    fill(this.infoBox, h('p', null, text), this.dismiss());
  }

  error(err: unknown, explain?: (err: unknown) => string | undefined): void {
    if (isLineupError(err, 'UNAUTHENTICATED')) {
      this.signOut();
      return this.error(new Error(am().wrongToken), () => am().wrongToken);
    }
    const text = explain?.(err) ?? describeError(err);
    fill(this.infoBox);
    this.errorBox.dataset.code = isLineupError(err) ? err.code : 'CONSOLE';
    fill(this.errorBox, h('p', null, text), this.dismiss());
  }

  refresh(): void {
    void this.poll();
  }

  private dismiss(): HTMLElement {
    return h(
      'button',
      {
        type: 'button',
        class: 'dismiss',
        'aria-label': 'Dismiss',
        onclick: () => {
          fill(this.errorBox);
          fill(this.infoBox);
        },
      },
      '×',
    );
  }

  private renderHeader(): void {
    const t = am();
    const other = lang() === 'ko' ? 'en' : 'ko';
    document.title = `${t.title} · Lineup`;
    fill(
      this.header,
      h('a', { class: 'brand', href: '/admin' }, 'Lineup'),
      h('span', { class: 'console-name' }, t.title),
      h(
        'div',
        { class: 'account' },
        this.api.signedIn &&
          h('button', { type: 'button', class: 'link', onclick: () => this.signOut() }, t.signOut),
        h(
          'button',
          {
            class: 'lang',
            type: 'button',
            lang: other,
            onclick: () => {
              setLang(other);
              this.renderHeader();
              if (this.api.signedIn) this.showConsole();
              else this.showSignIn();
            },
          },
          other === 'ko' ? '한국어' : 'English',
        ),
      ),
    );
  }

  private showSignIn(): void {
    const t = am();
    const token = h('input', {
      id: 'admin-token',
      name: 'token',
      type: 'password',
      autocomplete: 'off',
      required: true,
    });
    fill(
      this.main,
      h(
        'form',
        {
          class: 'card sign-in',
          id: 'admin-sign-in',
          onsubmit: async (e) => {
            e.preventDefault();
            try {
              this.concerts = await this.api.signIn(token.value);
              fill(this.errorBox);
              this.renderHeader();
              this.showConsole();
            } catch (err) {
              this.error(err, (e) =>
                isLineupError(e, 'UNAUTHENTICATED') ? t.wrongToken : undefined,
              );
            }
          },
        },
        h('h1', { tabindex: -1 }, t.signInTitle),
        h('p', null, t.signInHelp),
        h('div', { class: 'field' }, h('label', { for: 'admin-token' }, t.token), token),
        h('button', { type: 'submit', class: 'primary' }, t.signIn),
      ),
    );
    token.focus();
  }

  private showConsole(): void {
    const t = am();
    this.cards.clear();
    fill(this.cardList);
    fill(
      this.main,
      h(
        'div',
        { class: 'console' },
        h('div', { class: 'console-head' }, h('h1', { tabindex: -1 }, t.lines), this.status),
        this.cardList,
        h('h2', null, t.setUp),
        this.setup,
      ),
    );
    this.render();
    void this.loadVenues();
    void this.poll();
  }

  private signOut(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.api.signOut();
    this.renderHeader();
    this.showSignIn();
  }

  private async loadVenues(): Promise<void> {
    try {
      this.venues = await this.api.venues();
      this.renderSetup();
    } catch (err) {
      this.error(err);
    }
  }

  /** One poll, then the next in POLL_MS (never two at once; stops when signed out). */
  private async poll(): Promise<void> {
    if (this.polling || !this.api.signedIn) return;
    this.polling = true;
    clearTimeout(this.timer);
    try {
      const before = this.concerts.map((c) => c.id).join();
      this.concerts = await this.api.concerts();
      this.status.classList.remove('stale');
      this.status.textContent = am().updated(timeOfDay(new Date().toISOString()));
      this.render();
      if (before !== this.concerts.map((c) => c.id).join()) this.renderSetup();
    } catch (err) {
      if (isLineupError(err, 'UNAUTHENTICATED')) return this.error(err);
      this.status.classList.add('stale');
      this.status.textContent = am().stale;
    } finally {
      this.polling = false;
    }
    if (this.api.signedIn) this.timer = setTimeout(() => void this.poll(), POLL_MS);
  }

  private render(): void {
    if (this.concerts.length === 0) {
      fill(this.cardList, h('p', { class: 'muted' }, am().noConcerts));
      this.cards.clear();
      return;
    }
    const elements = this.concerts.map((c) => {
      let card = this.cards.get(c.id);
      if (card) card.update(c);
      else this.cards.set(c.id, (card = new LineCard(c, this.api, this)));
      return card.element;
    });
    // Re-appending moves nodes in order; a card being edited keeps its element and inputs.
    if (elements.some((el, i) => this.cardList.children[i] !== el)) fill(this.cardList, elements);
  }

  private renderSetup(): void {
    fill(
      this.setup,
      setupForms(this.api, this, this.concerts, this.venues, () => void this.loadVenues()),
    );
  }
}
