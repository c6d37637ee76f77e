// The page shell: header, notices, live regions, and which view fills <main>.
import { isLineupError, type ConcertListItem, type Reservation } from '@lineup/client-sdk';
import { solveInPage } from './challenge.js';
import { fill, h } from './dom.js';
import { describeError, errorCode } from './errors.js';
import { lang, m, setLang } from './i18n.js';
import { renderSiteHeader } from './header.js';
import { Room } from './room-state.js';
import type { Session } from './session.js';
import type { JoiningView } from './views/joining.js';

export interface View {
  /** Shown as data-view on <main> (tests and styles use it). */
  readonly name: string;
  /** Builds the view's DOM from its state (again after a language switch). */
  render(): HTMLElement;
  /** The document title while shown. */
  title?(): string;
  dispose?(): void;
}

type SeatLabels = (id: number) => string | undefined;

export class App {
  concerts: ConcertListItem[] = [];
  room: Room | undefined;
  /** A join in progress (a challenge being solved): aborted when the fan leaves or cancels. */
  private joining: AbortController | undefined;
  private view: View | undefined;
  private lastError: { err: unknown; seatLabel?: SeatLabels } | undefined;
  private lastInfo: (() => string) | undefined;
  private readonly header = document.getElementById('site-header')!;
  private readonly main = document.getElementById('main')!;
  private readonly errorBox = document.getElementById('error')!;
  private readonly infoBox = document.getElementById('info')!;
  private readonly polite = document.getElementById('live-polite')!;
  private readonly assertive = document.getElementById('live-assertive')!;

  constructor(
    readonly session: Session,
    private readonly views: {
      concerts(app: App): View;
      auth(app: App, then?: ConcertListItem): View;
      room(app: App, room: Room): View;
      joining(app: App, concert: ConcertListItem, joining: AbortController): JoiningView;
      account(app: App): View;
      checkout(app: App, reservation: Reservation): View;
    },
  ) {}

  /** Replaces the current view; moves focus to its heading unless told not to. */
  show(view: View, focus = true): void {
    this.view?.dispose?.();
    this.view = view;
    this.clearNotices();
    this.mountView(focus);
  }

  get current(): View | undefined {
    return this.view;
  }

  /** Renders header and view again (language switch, sign-in, balance). */
  refresh(): void {
    this.renderHeader();
    this.mountView(false);
    this.renderNotices();
  }

  renderHeader(): void {
    renderSiteHeader(this.header, this);
  }

  switchLanguage(): void {
    setLang(lang() === 'ko' ? 'en' : 'ko');
    this.refresh();
    this.header.querySelector<HTMLButtonElement>('button.lang')?.focus();
  }

  goConcerts(): void {
    this.show(this.views.concerts(this));
  }

  goAccount(): void {
    if (!this.session.signedIn) return this.show(this.views.auth(this));
    this.show(this.views.account(this));
  }

  /** Back to the waiting room / booking panel, when the fan still has a live place. */
  goRoom(): boolean {
    if (!this.room?.live) return false;
    this.show(this.views.room(this, this.room));
    return true;
  }

  goCheckout(reservation: Reservation): void {
    this.show(this.views.checkout(this, reservation));
  }

  /** Concert title, start and venue of a performance, from the concert list. */
  scheduleInfo(
    concertId: number,
    scheduleId: number,
  ): { title: string; startsAt?: string; venue?: string } {
    const concert = this.concerts.find((c) => c.id === concertId);
    const schedule = concert?.schedules.find((s) => s.id === scheduleId);
    return {
      title: concert?.title ?? `#${concertId}`,
      startsAt: schedule?.startsAt,
      venue: schedule?.venue.name,
    };
  }

  /** Joins a concert's line (after signing in, if needed) and shows the waiting room. */
  async joinQueue(concert: ConcertListItem): Promise<void> {
    if (!this.session.signedIn) return this.show(this.views.auth(this, concert));
    if (this.room?.live && this.room.concert.id === concert.id)
      return this.show(this.views.room(this, this.room));
    this.room?.close();
    this.room = undefined;
    this.joining?.abort();
    const joining = new AbortController();
    this.joining = joining;
    let progress: JoiningView | undefined;
    try {
      const room = await Room.join(this.session, concert, {
        signal: joining.signal,
        // The concert asks for a proof of work: show what is happening while a worker solves it.
        solver: (nonce, bits, options) => {
          const view = this.views.joining(this, concert, joining);
          progress = view;
          this.show(view);
          this.announce(m().announceChallenge);
          view.progress(0, 2 ** bits);
          return solveInPage(nonce, bits, { ...options, onSolver: (s) => view.setSolver(s) });
        },
        onChallengeProgress: (tried, expected) => progress?.progress(tried, expected),
      });
      this.room = room;
      room.on('ended', (ending) => this.onRoomEnded(room, ending.reason));
      room.on('error', (err) => {
        if (this.view?.name === 'room') {
          this.goConcerts();
          this.error(err);
        }
      });
      this.show(this.views.room(this, room));
    } catch (err) {
      if (!joining.signal.aborted) this.error(err); // aborted: the fan cancelled or went elsewhere
    } finally {
      if (this.joining === joining) this.joining = undefined;
    }
  }

  private onRoomEnded(room: Room, reason: string): void {
    if (this.room === room) this.room = undefined;
    room.close();
    // After a payment the entry completes: the confirmation stays on screen.
    if (this.view?.name !== 'room' || reason === 'completed' || reason === 'left') return;
    this.goConcerts();
    this.info(() =>
      reason === 'expired'
        ? m().endedExpired
        : reason === 'closed'
          ? m().endedClosed
          : m().endedRemoved,
    );
  }

  signOut(): void {
    this.joining?.abort();
    this.room?.close();
    this.room = undefined;
    this.session.logout();
    this.goConcerts();
  }

  /** Shows an error as a sentence (kept and translated again on a language switch). */
  error(err: unknown, seatLabel?: SeatLabels): void {
    if (!isLineupError(err)) console.error(err);
    if (isLineupError(err, 'UNAUTHENTICATED') && this.session.signedIn) {
      this.session.logout();
      this.show(this.views.auth(this));
    }
    this.lastError = { err, seatLabel };
    this.lastInfo = undefined;
    this.renderNotices();
  }

  info(text: () => string): void {
    this.lastInfo = text;
    this.lastError = undefined;
    this.renderNotices();
  }

  clearNotices(): void {
    this.lastError = undefined;
    this.lastInfo = undefined;
    this.renderNotices();
  }

  announce(text: string, assertive = false): void {
    const region = assertive ? this.assertive : this.polite;
    region.textContent = text;
  }

  async refreshBalance(): Promise<void> {
    if (!this.session.signedIn) return;
    try {
      await this.session.refreshBalance();
    } catch (err) {
      this.error(err);
    }
    this.renderHeader();
  }

  private mountView(focus: boolean): void {
    if (!this.view) return;
    this.main.dataset.view = this.view.name;
    const el = this.view.render();
    fill(this.main, el);
    document.title = this.view.title?.() ?? m().appName;
    this.renderHeader();
    if (focus) el.querySelector<HTMLElement>('h1, h2')?.focus({ preventScroll: false });
  }

  private renderNotices(): void {
    const t = m();
    const dismiss = (clear: () => void) =>
      h(
        'button',
        { type: 'button', class: 'dismiss', 'aria-label': t.dismiss, onclick: clear },
        '×',
      );
    if (this.lastError) {
      const { err, seatLabel } = this.lastError;
      this.errorBox.dataset.code = errorCode(err);
      fill(
        this.errorBox,
        h('p', null, describeError(err, seatLabel)),
        dismiss(() => this.clearNotices()),
      );
    } else {
      delete this.errorBox.dataset.code;
      fill(this.errorBox);
    }
    // The regions stay in the page (empty when quiet), so screen readers announce what appears.
    if (this.lastInfo)
      fill(
        this.infoBox,
        h('p', null, this.lastInfo()),
        dismiss(() => this.clearNotices()),
      );
    else fill(this.infoBox);
  }
}
