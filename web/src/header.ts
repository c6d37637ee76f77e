// The site header: brand, navigation, the signed-in fan and balance, sign-out, language switch.
import { fill, h } from './dom.js';
import { lang, m, won } from './i18n.js';
import type { View } from './app.js';
import type { Session } from './session.js';

/** What the header shows of the page shell (App) and what its buttons call. */
export interface HeaderShell {
  readonly session: Session;
  readonly current: View | undefined;
  goConcerts(): void;
  goAccount(): void;
  signOut(): void;
  switchLanguage(): void;
}

/** Fills the header element again from the shell's state. */
export function renderSiteHeader(el: HTMLElement, app: HeaderShell): void {
  const t = m();
  const other = lang() === 'ko' ? 'en' : 'ko';
  const nav = (label: string, go: () => void, current: boolean) =>
    h(
      'button',
      { class: 'link', type: 'button', 'aria-current': current ? 'page' : null, onclick: go },
      label,
    );
  fill(
    el,
    h('a', { class: 'brand', href: '/' }, ticketIcon(), t.appName),
    h(
      'nav',
      { 'aria-label': t.appName },
      nav(t.navConcerts, () => app.goConcerts(), app.current?.name === 'concerts'),
      app.session.signedIn &&
        nav(t.navMyTickets, () => app.goAccount(), app.current?.name === 'account'),
    ),
    h(
      'div',
      { class: 'account' },
      app.session.signedIn && h('span', { class: 'who' }, t.signedInAs(app.session.display)),
      app.session.signedIn &&
        app.session.balance !== undefined &&
        h(
          'span',
          { class: 'balance', 'data-testid': 'balance' },
          `${t.points} ${won(app.session.balance)}`,
        ),
      app.session.signedIn &&
        h('button', { class: 'link', type: 'button', onclick: () => app.signOut() }, t.signOut),
      h(
        'button',
        { class: 'lang', type: 'button', lang: other, onclick: () => app.switchLanguage() },
        other === 'ko' ? '한국어' : 'English',
      ),
    ),
  );
}

/** The brand's ticket mark (inline SVG: no emoji font needed). */
function ticketIcon(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute(
    'd',
    'M3 7a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v2a2 2 0 0 0 0 4v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4a2 2 0 0 0 0-4zm12 0v2m0 3v2m0 3v0',
  );
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '2');
  path.setAttribute('stroke-linecap', 'round');
  svg.append(path);
  return svg;
}
