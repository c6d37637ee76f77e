// Once admitted: the time left, the performances with their remaining seats, the live seat map
// and the hold button.
import type { ScheduleAvailability, SeatsChanged } from '@lineup/client-sdk';
import type { App } from '../app.js';
import { everySecond, fill, h, randomKey, secondsUntil } from '../dom.js';
import { clock, m, showTime, timeOfDay, won } from '../i18n.js';
import type { Room } from '../room-state.js';
import { SeatMap } from './seat-map.js';

export class BookingPanel {
  private schedules: ScheduleAvailability[] | undefined;
  private scheduleId: number | undefined;
  private subscribed: number | undefined;
  private seatsLoaded = false;
  /** seats:changed that arrived while the seat list was loading: applied after it. */
  private buffer: SeatsChanged[] | null = null;
  private holding = false;
  private readonly map: SeatMap;
  private readonly offs: (() => void)[] = [];
  private stopTimer: (() => void) | undefined;
  private parts:
    | { timer: HTMLElement; picker: HTMLElement; mapSlot: HTMLElement; summary: HTMLElement }
    | undefined;

  constructor(
    private readonly app: App,
    private readonly room: Room,
  ) {
    this.map = new SeatMap(
      () => this.renderSummary(),
      (max) => this.app.info(() => m().maxSeats(max)),
    );
    this.offs.push(room.on('seats', (change) => this.onSeats(change)));
    void this.loadSchedules();
  }

  render(justAdmitted: boolean): HTMLElement {
    const t = m();
    const s = this.room.status;
    this.stopTimer?.();
    this.parts = {
      timer: h('strong', { 'data-testid': 'admission-timer' }),
      picker: h('div', { class: 'picker' }),
      mapSlot: h('div', { class: 'map-slot' }),
      summary: h('div', { class: 'summary', 'data-testid': 'selection' }),
    };
    const view = h(
      'section',
      { class: 'view room booking' },
      justAdmitted &&
        h(
          'div',
          { class: 'your-turn', 'data-testid': 'your-turn' },
          h('h2', { tabindex: '-1' }, t.yourTurn),
          s.activeUntil && h('p', null, t.yourTurnText(timeOfDay(s.activeUntil))),
        ),
      h('p', { class: 'eyebrow' }, this.room.concert.artist),
      h('h1', { tabindex: '-1' }, this.room.concert.title),
      h('p', { class: 'timer', role: 'timer' }, `${t.timeLeft} `, this.parts.timer),
      h('fieldset', { class: 'card' }, h('legend', null, t.chooseSchedule), this.parts.picker),
      h(
        'section',
        { class: 'card seats-card', 'aria-labelledby': 'seats-title' },
        h('h2', { id: 'seats-title' }, t.chooseSeats),
        this.parts.mapSlot,
      ),
      this.parts.summary,
    );
    this.stopTimer = everySecond(() => this.tick());
    this.renderPicker();
    this.renderMap();
    this.renderSummary();
    return view;
  }

  /** The room changed (a new admission deadline). */
  update(): void {
    this.tick();
  }

  dispose(): void {
    this.stopTimer?.();
    for (const off of this.offs) off();
    if (this.subscribed !== undefined) this.room.unsubscribeSeats(this.subscribed);
  }

  private tick(): void {
    const until = this.room.status.activeUntil;
    const timer = this.parts?.timer;
    if (!timer || !until) return;
    const left = secondsUntil(until);
    timer.textContent = clock(left);
    timer.classList.toggle('urgent', left < 60);
  }

  private async loadSchedules(): Promise<void> {
    try {
      this.schedules = await this.app.session.sdk.schedules(
        this.room.concert.id,
        this.room.queueToken,
      );
      const first = this.schedules.find((s) => s.availableSeats > 0) ?? this.schedules[0];
      this.renderPicker();
      if (first) await this.selectSchedule(first.id);
    } catch (err) {
      this.app.error(err);
    }
  }

  private async selectSchedule(id: number): Promise<void> {
    if (this.subscribed !== undefined && this.subscribed !== id) {
      this.room.unsubscribeSeats(this.subscribed);
      this.subscribed = undefined;
    }
    this.scheduleId = id;
    // Keep the radio in step without rebuilding it (a keyboard user is on it).
    const radio = this.parts?.picker.querySelector<HTMLInputElement>(`#schedule-${id}`);
    if (radio) radio.checked = true;
    this.seatsLoaded = false;
    this.map.load([]);
    this.map.clearSelection();
    this.renderMap();
    this.buffer = [];
    try {
      // Subscribe first, then read: a change made in between is buffered, not lost.
      await this.room.subscribeSeats(id).catch((err: unknown) => this.app.error(err));
      this.subscribed = id;
      const seats = await this.app.session.sdk.seats(id, this.room.queueToken);
      if (this.scheduleId !== id) return;
      this.map.load(seats);
      for (const change of this.buffer ?? []) this.map.apply(change.changes);
      this.buffer = null;
      this.seatsLoaded = true;
      this.renderMap();
      void this.room.refresh().catch(() => undefined);
    } catch (err) {
      this.app.error(err);
    }
  }

  private onSeats(change: SeatsChanged): void {
    const schedule = this.schedules?.find((s) => s.id === change.scheduleId);
    if (schedule) {
      schedule.availableSeats = change.availableSeats;
      const left = this.parts?.picker.querySelector(`[data-left-for="${schedule.id}"]`);
      if (left) left.textContent = this.leftText(schedule);
    }
    if (change.scheduleId !== this.scheduleId) return;
    if (this.buffer) return void this.buffer.push(change);
    const { lost } = this.map.apply(change.changes);
    if (lost.length) {
      const text = () => m().seatsTakenLive(lost);
      this.app.info(text);
      this.app.announce(text());
    }
  }

  private leftText(s: ScheduleAvailability): string {
    return s.availableSeats > 0 ? m().seatsLeft(s.availableSeats, s.totalSeats) : m().soldOut;
  }

  private renderPicker(): void {
    const picker = this.parts?.picker;
    if (!picker) return;
    if (!this.schedules) return fill(picker, h('p', { class: 'muted' }, m().loading));
    fill(
      picker,
      this.schedules.map((s) => {
        const id = `schedule-${s.id}`;
        const input = h('input', {
          type: 'radio',
          name: 'schedule',
          id,
          value: s.id,
          checked: s.id === this.scheduleId,
        });
        input.addEventListener('change', () => void this.selectSchedule(s.id));
        return h(
          'label',
          { class: 'choice', for: id },
          input,
          h(
            'span',
            null,
            h('strong', null, showTime(s.startsAt)),
            h('span', null, ` · ${s.venue.name}`),
            h('br'),
            h('span', { class: 'muted small', 'data-left-for': s.id }, this.leftText(s)),
          ),
        );
      }),
    );
  }

  private renderMap(): void {
    const slot = this.parts?.mapSlot;
    if (!slot) return;
    if (!this.seatsLoaded) fill(slot, h('p', { class: 'muted' }, m().loading));
    else fill(slot, this.map.render());
  }

  private renderSummary(): void {
    const el = this.parts?.summary;
    if (!el) return;
    const t = m();
    const seats = this.map.selectedSeats();
    const total = seats.reduce((sum, s) => sum + s.price, 0);
    fill(
      el,
      h(
        'p',
        { class: 'chosen' },
        seats.length
          ? `${t.selected}: ${seats.map((s) => `${s.label} (${s.grade})`).join(', ')} · ${t.total} ${won(total)}`
          : t.noneSelected,
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          'data-testid': 'hold',
          disabled: seats.length === 0 || this.holding,
          onclick: () => void this.hold(),
        },
        t.holdSeats(seats.length, won(total)),
      ),
      this.bestAvailable(),
    );
  }

  /** "Best available": the server picks `count` adjacent seats (SPEC §2), beside the map. */
  private bestAvailable(): HTMLElement {
    const t = m();
    const count = h(
      'select',
      { id: 'best-count', 'aria-label': t.bestCount },
      [1, 2, 3, 4].map((n) => h('option', { value: n, selected: n === 2 }, String(n))),
    );
    return h(
      'div',
      { class: 'inline best-available' },
      h('label', { for: 'best-count' }, t.bestAvailable),
      count,
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'data-testid': 'hold-best',
          disabled: this.holding || this.scheduleId === undefined,
          onclick: () => void this.hold(Number(count.value)),
        },
        t.holdBest,
      ),
    );
  }

  /** Holds the chosen seats, or with `count` the best available ones. */
  private async hold(count?: number): Promise<void> {
    const scheduleId = this.scheduleId;
    const seatIds = this.map.selectedSeats().map((s) => s.id);
    if (scheduleId === undefined || (!count && seatIds.length === 0) || this.holding) return;
    this.holding = true;
    this.renderSummary();
    try {
      const reservation = await this.app.session.sdk.hold(
        count ? { scheduleId, count } : { scheduleId, seatIds },
        this.room.queueToken,
        { idempotencyKey: randomKey() },
      );
      this.holding = false;
      this.app.goCheckout(reservation);
    } catch (err) {
      this.holding = false;
      this.app.error(err, (id) => this.map.label(id));
      const taken = (err as { details?: { seatIds?: unknown } }).details?.seatIds;
      if (Array.isArray(taken))
        this.map.apply(taken.map((seatId: number) => ({ seatId, status: 'held' as const })));
      this.renderSummary();
    }
  }
}
