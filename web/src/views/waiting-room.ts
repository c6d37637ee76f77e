// The waiting room: live position, estimated wait, progress, the pre-queue's opening time, and
// the "your turn" moment, after which the booking panel takes over the same screen.
import type { App, View } from '../app.js';
import { everySecond, fill, h, secondsUntil } from '../dom.js';
import { clock, dateTime, m } from '../i18n.js';
import type { Room } from '../room-state.js';
import { BookingPanel } from './booking.js';

/** Position announcements for screen readers: at most one per this many ms (the last always). */
const ANNOUNCE_EVERY_MS = 5_000;

export class RoomView implements View {
  readonly name = 'room';
  private readonly offs: (() => void)[] = [];
  private booking: BookingPanel | undefined;
  private justAdmitted = false;
  private stopClock: (() => void) | undefined;
  private lastAnnounce = 0;
  private pendingAnnounce: ReturnType<typeof setTimeout> | undefined;
  private announced: number | null = null;
  /** The fan chose to keep waiting while sold out: the choice is not offered again (until it recurs). */
  private keepWaiting = false;
  /** What the sold-out panel shows now: it is redrawn only when that changes (focus stays put). */
  private soldOutShown = '';
  // Elements updated in place while waiting (no re-render, so nothing jumps under the reader).
  private parts:
    | {
        position: HTMLElement;
        ahead: HTMLElement;
        eta: HTMLElement;
        progress: HTMLProgressElement;
        opens: HTMLElement;
        mode: HTMLElement;
        fairness: HTMLElement;
        facts: HTMLElement;
        soldOut: HTMLElement;
      }
    | undefined;

  constructor(
    private readonly app: App,
    private readonly room: Room,
  ) {
    this.offs.push(room.on('change', () => this.update()));
    this.offs.push(room.on('admitted', () => this.onAdmitted()));
    if (room.admitted) this.booking = new BookingPanel(app, room);
  }

  title(): string {
    const t = m();
    const s = this.room.status;
    if (s.status === 'active') return t.titleYourTurn;
    if (s.status === 'prequeue') return t.titlePrequeue;
    return t.titleWaiting(s.position ?? 0);
  }

  render(): HTMLElement {
    this.stopClock?.();
    this.parts = undefined;
    if (this.booking) return this.booking.render(this.justAdmitted);
    const t = m();
    const c = this.room.concert;
    const parts = {
      position: h('p', { class: 'position', 'data-testid': 'queue-position' }),
      ahead: h('p', { class: 'ahead' }),
      eta: h('dd', { 'data-testid': 'queue-eta' }),
      facts: h('dl', { class: 'facts' }),
      progress: h('progress', { id: 'queue-progress', max: '100' }),
      // SPEC §2 "Sold-out awareness": said in plain words, with the choice to stay or go.
      soldOut: h('div', {
        class: 'sold-out',
        role: 'status',
        hidden: true,
        'data-testid': 'sold-out',
      }),
      opens: h('div', { class: 'prequeue', 'data-testid': 'prequeue' }),
      mode: h('p', { class: 'muted small' }),
      // The provably fair pre-queue's public record (SPEC §2): seed and order once the sale opens.
      fairness: h(
        'a',
        {
          class: 'small',
          href: `/concerts/${c.id}/queue/fairness`,
          target: '_blank',
          rel: 'noopener',
          'data-testid': 'fairness-link',
        },
        t.fairnessLink,
      ),
    };
    this.parts = parts;
    this.soldOutShown = 'not drawn';
    this.stopClock = everySecond(() => this.tickOpens());
    parts.facts.append(h('dt', null, t.estimatedWait), parts.eta);
    const view = h(
      'section',
      { class: 'view room waiting' },
      h('p', { class: 'eyebrow' }, t.waitingRoom),
      h('h1', { tabindex: '-1' }, c.title),
      h(
        'div',
        { class: 'card queue-card' },
        parts.opens,
        parts.soldOut,
        parts.position,
        parts.ahead,
        h('label', { for: 'queue-progress', class: 'small' }, t.progress),
        parts.progress,
        parts.facts,
        h('p', { class: 'muted' }, t.keepOpen),
        parts.mode,
        parts.fairness,
      ),
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => this.leave() },
        t.leaveQueue,
      ),
    );
    this.update();
    return view;
  }

  dispose(): void {
    this.stopClock?.();
    if (this.pendingAnnounce) clearTimeout(this.pendingAnnounce);
    for (const off of this.offs) off();
    this.booking?.dispose();
  }

  private update(): void {
    if (this.booking) return this.booking.update();
    const parts = this.parts;
    if (!parts) return;
    const t = m();
    const s = this.room.status;
    const pre = s.status === 'prequeue';
    if (pre) {
      fill(
        parts.opens,
        h('h2', null, t.prequeueTitle),
        h('p', null, t.prequeueText(dateTime(this.room.concert.saleOpensAt), s.position ?? 0)),
        h('p', { class: 'countdown', role: 'timer', 'data-testid': 'opens-in' }),
      );
      this.tickOpens();
    } else fill(parts.opens);
    // In the pre-queue nobody has a place yet: no position, no estimate.
    parts.position.hidden = pre;
    parts.ahead.hidden = pre;
    parts.facts.hidden = pre;
    if (!pre && s.position !== null) {
      parts.position.textContent = t.position(s.position);
      parts.ahead.textContent = t.ahead(s.position - 1);
    }
    parts.eta.textContent = t.eta(s.estimatedWaitSeconds);
    const start = this.room.startPosition;
    if (pre || start === null || s.position === null) parts.progress.removeAttribute('value');
    else parts.progress.value = Math.round(((start - s.position + 1) / (start + 1)) * 100);
    this.showSoldOut(s.soldOut && !pre, s.heldSeats);
    parts.mode.textContent = this.room.mode === 'polling' ? t.polling : '';
    parts.fairness.hidden = pre; // before the sale the record holds only the commitment
    document.title = this.title();
    if (!pre && s.position !== this.announced) this.announcePosition();
  }

  /** While sold out: what happened, how many held seats may come back, and stay or leave. */
  private showSoldOut(soldOut: boolean, held: number): void {
    const el = this.parts?.soldOut;
    if (!el) return;
    if (!soldOut) this.keepWaiting = false;
    const shown = soldOut ? `${held}:${this.keepWaiting}` : '';
    if (shown === this.soldOutShown) return;
    this.soldOutShown = shown;
    el.hidden = !soldOut;
    if (!soldOut) {
      fill(el);
      return;
    }
    const t = m();
    el.hidden = false;
    fill(
      el,
      h('h2', null, t.soldOutTitle),
      h('p', { 'data-testid': 'sold-out-text' }, t.soldOutText(held)),
      this.keepWaiting
        ? h('p', { class: 'muted' }, t.soldOutStaying)
        : h(
            'div',
            { class: 'actions' },
            h(
              'button',
              {
                type: 'button',
                'data-testid': 'sold-out-keep-waiting',
                onclick: () => {
                  this.keepWaiting = true;
                  this.update();
                },
              },
              t.soldOutKeepWaiting,
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                'data-testid': 'sold-out-leave',
                onclick: () => this.leave(),
              },
              t.soldOutLeave,
            ),
          ),
    );
  }

  private tickOpens(): void {
    const el = this.parts?.opens.querySelector('[role=timer]');
    if (el) el.textContent = m().opensIn(clock(secondsUntil(this.room.concert.saleOpensAt)));
  }

  /** Polite, and throttled: a reader hears the latest position every few seconds at most. */
  private announcePosition(): void {
    const wait = this.lastAnnounce + ANNOUNCE_EVERY_MS - Date.now();
    if (this.pendingAnnounce) return;
    const say = () => {
      this.pendingAnnounce = undefined;
      const s = this.room.status;
      if (this.booking || s.position === null) return;
      this.lastAnnounce = Date.now();
      this.announced = s.position;
      this.app.announce(m().announcePosition(s.position, m().eta(s.estimatedWaitSeconds)));
    };
    if (wait <= 0) say();
    else this.pendingAnnounce = setTimeout(say, wait);
  }

  private onAdmitted(): void {
    if (this.booking) return;
    this.justAdmitted = true;
    this.booking = new BookingPanel(this.app, this.room);
    this.app.announce(m().announceAdmitted, true);
    if (this.app.current === this) {
      this.app.refresh();
      document.querySelector<HTMLElement>('[data-testid=your-turn] h2')?.focus();
    }
  }

  private async leave(): Promise<void> {
    try {
      await this.room.leave();
      this.app.goConcerts();
      this.app.info(() => m().leftQueue);
    } catch (err) {
      this.app.error(err);
    }
  }
}
