// Creating what a sale needs: a venue (rows of seats by grade), a concert, a performance.
import type { AdminConcertOverview, AdminVenue, Grade } from '@lineup/client-sdk';
import { h } from '../dom.js';
import type { AdminApi } from './admin-api.js';
import type { Notices } from './line-card.js';
import { am } from './messages.js';

const GRADES: Grade[] = ['VIP', 'R', 'S', 'A'];
const DEFAULT_ROWS: [string, number, Grade][] = [
  ['A', 10, 'VIP'],
  ['B', 10, 'R'],
  ['C', 10, 'S'],
];

/** A `datetime-local` value read as Korea time (KST, UTC+9, no daylight saving). */
export function koreaTimeToIso(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}:00+09:00`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function field(id: string, label: string, input: HTMLElement): HTMLElement {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

function gradeSelect(selected: Grade, label: string): HTMLSelectElement {
  return h(
    'select',
    { name: 'grade', 'aria-label': label },
    GRADES.map((g) => h('option', { value: g, selected: g === selected }, g)),
  );
}

export function setupForms(
  api: AdminApi,
  notices: Notices,
  concerts: AdminConcertOverview[],
  venues: AdminVenue[],
  reloadVenues: () => void,
): HTMLElement {
  const t = am();
  const fail = (text: string) => notices.error(new Error(text), () => text);

  // Venue: rows of seats by grade
  const rowList = h('tbody');
  const addRow = ([name, seats, grade]: [string, number, Grade]) => {
    const nameInput = h('input', {
      name: 'row',
      value: name,
      'aria-label': t.rowName,
      maxlength: 8,
    });
    const tr = h(
      'tr',
      null,
      h('td', null, nameInput),
      h(
        'td',
        null,
        h('input', {
          name: 'seats',
          type: 'number',
          min: 1,
          max: 1000,
          value: seats,
          'aria-label': t.rowSeats,
        }),
      ),
      h('td', null, gradeSelect(grade, t.rowGrade)),
      h(
        'td',
        null,
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            'aria-label': t.removeRow(name),
            onclick: () => tr.remove(),
          },
          '×',
        ),
      ),
    );
    rowList.append(tr);
  };
  DEFAULT_ROWS.forEach(addRow);
  const venueName = h('input', { name: 'venueName', maxlength: 200 });
  const venueForm = h(
    'form',
    {
      class: 'card setup',
      id: 'venue-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        const rows = [...rowList.rows].map((tr) => ({
          name: tr.querySelector<HTMLInputElement>('input[name=row]')!.value.trim(),
          seats: Number(tr.querySelector<HTMLInputElement>('input[name=seats]')!.value),
          grade: tr.querySelector<HTMLSelectElement>('select')!.value as Grade,
        }));
        if (!venueName.value.trim()) return fail(t.required(t.venueName));
        const bad = rows.find(
          (r) => !r.name || !Number.isInteger(r.seats) || r.seats < 1 || r.seats > 1000,
        );
        if (rows.length === 0 || bad)
          return fail(bad && !bad.name ? t.required(t.rowName) : t.badNumber(t.rowSeats, 1, 1000));
        try {
          const venue = await api.createVenue({ name: venueName.value.trim(), rows });
          notices.info(t.venueCreated(venue.name, venue.seatCount));
          venueName.value = '';
          reloadVenues();
        } catch (err) {
          notices.error(err);
        }
      },
    },
    h('h3', null, t.venue),
    field('venue-name', t.venueName, venueName),
    h(
      'table',
      { class: 'rows' },
      h('caption', null, t.rows),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', null, t.rowName),
          h('th', null, t.rowSeats),
          h('th', null, t.rowGrade),
          h('th'),
        ),
      ),
      rowList,
    ),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            const next = String.fromCharCode(65 + rowList.rows.length);
            addRow([next, 10, 'A']);
          },
        },
        t.addRow,
      ),
      h('button', { type: 'submit', class: 'primary' }, t.createVenue),
    ),
  );

  // Concert
  const title = h('input', { name: 'title', maxlength: 200 });
  const artist = h('input', { name: 'artist', maxlength: 200 });
  const opens = h('input', { name: 'saleOpensAt', type: 'datetime-local' });
  const concertForm = h(
    'form',
    {
      class: 'card setup',
      id: 'concert-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        if (!title.value.trim()) return fail(t.required(t.concertTitle));
        if (!artist.value.trim()) return fail(t.required(t.artist));
        const saleOpensAt = koreaTimeToIso(opens.value);
        if (!saleOpensAt) return fail(t.required(t.saleOpensAt));
        try {
          const concert = await api.createConcert({
            title: title.value.trim(),
            artist: artist.value.trim(),
            saleOpensAt,
          });
          notices.info(t.concertCreated(concert.title));
          title.value = artist.value = '';
          notices.refresh();
        } catch (err) {
          notices.error(err);
        }
      },
    },
    h('h3', null, t.concert),
    field('concert-title', t.concertTitle, title),
    field('concert-artist', t.artist, artist),
    field('concert-opens', t.saleOpensAt, opens),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t.createConcert),
    ),
  );

  // Performance (schedule)
  const concertPick = h(
    'select',
    { name: 'concertId' },
    concerts.map((c) => h('option', { value: c.id }, c.title)),
  );
  const venuePick = h(
    'select',
    { name: 'venueId' },
    venues.map((v) => h('option', { value: v.id }, `${v.name} (${v.seatCount})`)),
  );
  const starts = h('input', { name: 'startsAt', type: 'datetime-local' });
  const prices = GRADES.map((g, i) =>
    h('input', {
      name: `price-${g}`,
      type: 'number',
      min: 0,
      step: 1000,
      value: [150000, 120000, 90000, 60000][i],
    }),
  );
  const scheduleForm = h(
    'form',
    {
      class: 'card setup',
      id: 'schedule-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        if (concerts.length === 0) return fail(t.needConcert);
        if (venues.length === 0) return fail(t.needVenue);
        const startsAt = koreaTimeToIso(starts.value);
        if (!startsAt) return fail(t.required(t.startsAt));
        const values = prices.map((p) => Number(p.value));
        const bad = values.findIndex(badPrice);
        if (bad >= 0) return fail(t.badNumber(t.price(GRADES[bad]!), 0, 100_000_000));
        try {
          const schedule = await api.createSchedule(Number(concertPick.value), {
            venueId: Number(venuePick.value),
            startsAt,
            prices: Object.fromEntries(GRADES.map((g, i) => [g, values[i]!])),
          });
          notices.info(t.scheduleCreated(schedule.totalSeats));
          notices.refresh();
        } catch (err) {
          notices.error(err);
        }
      },
    },
    h('h3', null, t.schedule),
    field('schedule-concert', t.concertPick, concertPick),
    field('schedule-venue', t.venuePick, venuePick),
    field('schedule-starts', t.startsAt, starts),
    h(
      'div',
      { class: 'prices' },
      prices.map((input, i) => field(`schedule-price-${GRADES[i]}`, t.price(GRADES[i]!), input)),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t.createSchedule),
    ),
  );

  return h('div', { class: 'setup-grid' }, venueForm, concertForm, scheduleForm);
}

/** A price the API refuses: not a whole number of won from 0 to 100,000,000. */
function badPrice(v: number): boolean {
  return !Number.isInteger(v) || v < 0 || v > 100_000_000;
}
