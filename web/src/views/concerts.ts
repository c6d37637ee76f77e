// The concert list (public): sale opening time, performances, and the way into the line.
import type { ConcertListItem } from '@lineup/client-sdk';
import type { App, View } from '../app.js';
import { fill, h } from '../dom.js';
import { dateTime, m, showTime } from '../i18n.js';

export class ConcertsView implements View {
  readonly name = 'concerts';
  private loaded = false;

  constructor(private readonly app: App) {
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.app.concerts = await this.app.session.sdk.concerts();
      this.loaded = true;
      if (this.app.current === this) this.app.refresh();
    } catch (err) {
      this.app.error(err);
    }
  }

  render(): HTMLElement {
    const t = m();
    const list = h('ul', { class: 'concerts' });
    if (!this.loaded && this.app.concerts.length === 0)
      fill(list, h('li', { class: 'muted' }, t.loading));
    else if (this.app.concerts.length === 0) fill(list, h('li', { class: 'muted' }, t.noConcerts));
    else
      fill(
        list,
        this.app.concerts.map((c) => this.card(c)),
      );
    return h(
      'section',
      { class: 'view', 'aria-labelledby': 'concerts-title' },
      h('h1', { id: 'concerts-title', tabindex: '-1' }, t.concertsTitle),
      h('p', { class: 'muted' }, t.tagline),
      list,
    );
  }

  private card(c: ConcertListItem): HTMLElement {
    const t = m();
    const open = Date.parse(c.saleOpensAt) <= Date.now();
    const titleId = `concert-${c.id}-title`;
    return h(
      'li',
      { class: 'card concert', 'data-concert-id': c.id },
      h('h2', { id: titleId }, c.title),
      h('p', { class: 'artist' }, c.artist),
      h(
        'p',
        { class: open ? 'badge on-sale' : 'badge soon' },
        open ? t.onSale : t.saleOpens(dateTime(c.saleOpensAt)),
      ),
      h(
        'details',
        null,
        h('summary', null, t.performances(c.schedules.length)),
        h(
          'ul',
          { class: 'schedules' },
          c.schedules.map((s) => h('li', null, `${showTime(s.startsAt)} · ${s.venue.name}`)),
        ),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          'aria-describedby': titleId,
          onclick: (e: Event) => this.join(c, e.currentTarget as HTMLButtonElement),
        },
        this.app.session.signedIn ? t.joinQueue : t.signInToJoin,
      ),
    );
  }

  private async join(c: ConcertListItem, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await this.app.joinQueue(c);
    } finally {
      button.disabled = false;
    }
  }
}
