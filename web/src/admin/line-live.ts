// The live part of a line's card, redrawn on every poll: the line's state, its numbers, the
// admission chart, the leader and each schedule's seats.
import type { AdminConcertOverview } from '@lineup/client-sdk';
import { h } from '../dom.js';
import { dateTime, showTime, timeOfDay } from '../i18n.js';
import { rateChart } from './chart.js';
import { am } from './messages.js';

export function liveNumbers(data: AdminConcertOverview): HTMLElement[] {
  const t = am();
  const q = data.queue;
  const opens = Date.parse(data.saleOpensAt);
  const state = q.closed
    ? 'closed'
    : data.soldOut
      ? 'soldout'
      : q.policy.paused
        ? 'paused'
        : opens > Date.now()
          ? 'prequeue'
          : 'admitting';
  const stateText = {
    closed: t.stateClosed,
    soldout: t.stateSoldOut,
    paused: t.statePaused,
    prequeue: t.stateOpensAt(dateTime(data.saleOpensAt)),
    admitting: t.stateAdmitting,
  };
  const tile = (key: string, label: string, value: string, extra?: string) =>
    h(
      'div',
      { class: `tile tile-${key}` },
      h('span', { class: 'tile-label' }, label),
      h('strong', { class: 'tile-value', 'data-testid': key }, value),
      extra && h('span', { class: 'tile-extra' }, extra),
    );
  const n = (v: number) => v.toLocaleString();
  const rate = q.admissionRatePerMinute;
  return [
    h('p', { class: `state state-${state}`, 'data-testid': 'line-state' }, stateText[state]),
    h(
      'div',
      { class: 'tiles' },
      tile('waiting', t.waiting, n(q.waiting)),
      tile('prequeue', t.prequeue, n(q.prequeue)),
      tile('active', t.active, n(q.active), `/ ${n(q.policy.maxActive)}`),
      tile(
        'rate',
        t.rate,
        rate === null ? '—' : n(Math.round(rate)),
        rate === null ? t.rateUnknown : `/ ${n(q.policy.admitPerMinute)}`,
      ),
      tile('admitted', t.admittedTotal, n(q.admittedTotal)),
    ),
    rateChart(q.admissionHistory, q.policy.admitPerMinute),
    h(
      'p',
      { class: 'leader', 'data-testid': 'leader' },
      q.leader ? t.leader(q.leader.instanceId, timeOfDay(q.leader.since)) : t.noLeader,
    ),
    h(
      'div',
      { class: 'seats' },
      h('h4', null, t.seats),
      data.schedules.length === 0
        ? h('p', { class: 'muted' }, t.noSchedules)
        : data.schedules.map((s) =>
            h(
              'div',
              { class: 'schedule-seats', 'data-schedule-id': s.id },
              h('span', null, `${showTime(s.startsAt)} · ${s.venue.name}`),
              seatBar(s.availableSeats, s.heldSeats, s.soldSeats, s.totalSeats),
              h(
                'span',
                { class: 'muted' },
                t.seatsLine(s.availableSeats, s.heldSeats, s.soldSeats, s.totalSeats),
              ),
            ),
          ),
    ),
  ];
}

/** Available, held and sold as one stacked bar (widths in percent). */
function seatBar(available: number, held: number, sold: number, total: number): HTMLElement {
  // Widths through the CSSOM, which a Content-Security-Policy on style attributes does not cover.
  const part = (cls: string, n: number) => {
    const el = h('span', { class: cls });
    el.style.width = `${total > 0 ? (n / total) * 100 : 0}%`;
    return el;
  };
  return h(
    'div',
    { class: 'seat-bar', 'aria-hidden': 'true' },
    part('sold', sold),
    part('held', held),
    part('available', available),
  );
}
