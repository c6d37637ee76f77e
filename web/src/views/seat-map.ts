// The seat map of one performance: seats grouped by grade (with the price), rows inside, one
// toggle button per seat. Live changes (seats:changed) patch single buttons, so focus and
// selection survive them. Keyboard: Tab enters a grade, arrow keys move, Enter/Space choose.
import type { Grade, SeatStatus, SeatView } from '@lineup/client-sdk';
import { h } from '../dom.js';
import { m, won } from '../i18n.js';

const GRADES: Grade[] = ['VIP', 'R', 'S', 'A'];

function split(label: string): { row: string; number: string } {
  const i = label.lastIndexOf('-');
  return i < 0
    ? { row: '', number: label }
    : { row: label.slice(0, i), number: label.slice(i + 1) };
}

export class SeatMap {
  private readonly seats = new Map<number, SeatView>();
  readonly selected = new Set<number>();
  private buttons = new Map<number, HTMLButtonElement>();
  private headers = new Map<Grade, HTMLElement>();

  constructor(
    private readonly onSelectionChange: () => void,
    private readonly onLimit: (max: number) => void,
    readonly max = 4,
  ) {}

  load(list: SeatView[]): void {
    this.seats.clear();
    for (const seat of list) this.seats.set(seat.id, seat);
    for (const id of [...this.selected])
      if (this.seats.get(id)?.status !== 'available') this.selected.delete(id);
  }

  get size(): number {
    return this.seats.size;
  }

  label(id: number): string | undefined {
    return this.seats.get(id)?.label;
  }

  selectedSeats(): SeatView[] {
    return [...this.selected].map((id) => this.seats.get(id)).filter((s): s is SeatView => !!s);
  }

  clearSelection(): void {
    this.selected.clear();
    for (const button of this.buttons.values()) this.paint(button);
    this.onSelectionChange();
  }

  /** Applies live changes; returns the labels of chosen seats someone else just took. */
  apply(changes: { seatId: number; status: SeatStatus }[]): { lost: string[]; freed: number } {
    const lost: string[] = [];
    let freed = 0;
    for (const { seatId, status } of changes) {
      const seat = this.seats.get(seatId);
      if (!seat || seat.status === status) continue;
      if (status === 'available') freed++;
      seat.status = status;
      if (status !== 'available' && this.selected.delete(seatId)) lost.push(seat.label);
      const button = this.buttons.get(seatId);
      if (button) this.paint(button);
    }
    this.paintHeaders();
    if (lost.length) this.onSelectionChange();
    return { lost, freed };
  }

  render(): HTMLElement {
    const t = m();
    this.buttons = new Map();
    this.headers = new Map();
    const sections = GRADES.map((grade) => {
      const seats = [...this.seats.values()].filter((s) => s.grade === grade);
      if (seats.length === 0) return null;
      const rows = new Map<string, SeatView[]>();
      for (const seat of seats) {
        const { row } = split(seat.label);
        rows.set(row, [...(rows.get(row) ?? []), seat]);
      }
      const headerId = `grade-${grade}`;
      const header = h('h3', { id: headerId, class: 'grade-title' });
      this.headers.set(grade, header);
      const group = h(
        'div',
        { role: 'group', 'aria-labelledby': headerId, class: 'rows' },
        [...rows.entries()].map(([row, list]) =>
          h(
            'div',
            { class: 'row' },
            h('span', { class: 'row-name', 'aria-hidden': 'true' }, row),
            list
              .sort((a, b) => Number(split(a.label).number) - Number(split(b.label).number))
              .map((seat) => this.button(seat)),
          ),
        ),
      );
      group.addEventListener('keydown', (e) => this.onKey(e, group));
      const section = h(
        'section',
        { class: `grade grade-${grade}`, 'data-grade': grade },
        header,
        group,
      );
      this.rove(group);
      return section;
    });
    this.paintHeaders();
    return h(
      'div',
      { class: 'seat-map', 'data-testid': 'seat-map' },
      h('div', { class: 'stage', 'aria-hidden': 'true' }, t.stage),
      h('p', { class: 'muted small' }, t.seatKeys),
      sections,
      h(
        'ul',
        { class: 'legend', 'aria-label': t.legend },
        h('li', null, h('span', { class: 'seat demo' }), t.seatAvailable),
        h('li', null, h('span', { class: 'seat demo', 'aria-pressed': 'true' }), t.seatSelected),
        h('li', null, h('span', { class: 'seat demo', 'data-status': 'held' }), t.seatHeld),
      ),
    );
  }

  private button(seat: SeatView): HTMLButtonElement {
    const button = h(
      'button',
      {
        type: 'button',
        class: 'seat',
        tabindex: '-1',
        'data-seat-id': seat.id,
        'data-label': seat.label,
      },
      split(seat.label).number,
    );
    button.addEventListener('click', () => this.toggle(seat.id));
    this.buttons.set(seat.id, button);
    this.paint(button);
    return button;
  }

  private toggle(id: number): void {
    const seat = this.seats.get(id);
    if (!seat || seat.status !== 'available') return;
    if (this.selected.has(id)) this.selected.delete(id);
    else if (this.selected.size >= this.max) return this.onLimit(this.max);
    else this.selected.add(id);
    this.paint(this.buttons.get(id)!);
    this.onSelectionChange();
  }

  private paint(button: HTMLButtonElement): void {
    const t = m();
    const seat = this.seats.get(Number(button.dataset.seatId))!;
    const chosen = this.selected.has(seat.id);
    const state =
      seat.status === 'available'
        ? chosen
          ? t.seatSelected
          : t.seatAvailable
        : seat.status === 'sold'
          ? t.seatSold
          : t.seatHeld;
    button.dataset.status = seat.status;
    button.setAttribute('aria-pressed', String(chosen));
    button.setAttribute('aria-disabled', String(seat.status !== 'available'));
    button.setAttribute('aria-label', `${seat.label}, ${seat.grade} ${won(seat.price)}, ${state}`);
    button.title = `${seat.label} · ${won(seat.price)} · ${state}`;
  }

  private paintHeaders(): void {
    for (const [grade, header] of this.headers) {
      const seats = [...this.seats.values()].filter((s) => s.grade === grade);
      const left = seats.filter((s) => s.status === 'available').length;
      header.textContent = m().gradeHeader(grade, won(seats[0]?.price ?? 0), left);
    }
  }

  /** One tab stop per grade: the first available seat (or the first seat). */
  private rove(group: HTMLElement, to?: HTMLButtonElement): void {
    const all = [...group.querySelectorAll<HTMLButtonElement>('button.seat')];
    const target = to ?? all.find((b) => b.dataset.status === 'available') ?? all[0];
    for (const b of all) b.tabIndex = b === target ? 0 : -1;
  }

  private onKey(e: KeyboardEvent, group: HTMLElement): void {
    const current = e.target as HTMLElement;
    if (!current.classList.contains('seat')) return;
    const rows = [...group.querySelectorAll<HTMLElement>('.row')].map((r) => [
      ...r.querySelectorAll<HTMLButtonElement>('button.seat'),
    ]);
    const r = rows.findIndex((row) => row.includes(current as HTMLButtonElement));
    const c = rows[r]!.indexOf(current as HTMLButtonElement);
    const flat = rows.flat();
    const i = flat.indexOf(current as HTMLButtonElement);
    let next: HTMLButtonElement | undefined;
    if (e.key === 'ArrowRight') next = flat[i + 1];
    else if (e.key === 'ArrowLeft') next = flat[i - 1];
    else if (e.key === 'ArrowDown') next = rows[r + 1]?.[Math.min(c, rows[r + 1]!.length - 1)];
    else if (e.key === 'ArrowUp') next = rows[r - 1]?.[Math.min(c, rows[r - 1]!.length - 1)];
    else if (e.key === 'Home') next = flat[0];
    else if (e.key === 'End') next = flat[flat.length - 1];
    else return;
    e.preventDefault();
    if (!next) return;
    this.rove(group, next);
    next.focus();
  }
}
